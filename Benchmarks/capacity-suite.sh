#!/usr/bin/env bash
# The turn-capacity suite. For each agent script in ../shared/scripts:
#  - the context-only capacity table for the reference profile and a replay of ../shared/sessions under
#    three policies (charts: <script>-capacity.svg, <script>-replay.svg);
#  - both providers × every strategy, for the reference profile as spoken turns (4 s / 8 s) and for all
#    shared dialogues spoken at 150 words per minute (charts: <script>-<provider>-capacity.svg,
#    <script>-<provider>-replay.svg; PNG beside each when rsvg-convert is installed);
# and a summary table of the provider runs in $OUT/summary.md (default OUT=.build/capacity-suite).
# Usage: bash Benchmarks/capacity-suite.sh [window]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
window="${1:-32000}"
out="${OUT:-.build/capacity-suite}"
shared=../shared
[ -d "$shared/sessions" ] || { echo "capacity-suite: $shared/sessions is absent; nothing to run" >&2; exit 0; }
mkdir -p "$out"
swift build -c release --product tokenbudget >/dev/null
bin=.build/release/tokenbudget
for script in "$shared"/scripts/*.md; do
    [ "$(basename "$script")" = README.md ] && continue
    name="$(basename "$script" .md)"
    echo "=== $name"
    "$bin" capacity --script "$script" --window "$window" \
        --policy keep-all --policy strip-after-response --policy fixtures/policies/keep-last-2.json \
        --plot "$out/$name-capacity.svg"
    "$bin" replay "$shared/sessions" --script "$script" --window "$window" \
        --policy keep-all --policy strip-after-response --policy fixtures/policies/keep-last-2.json \
        --instruction-every 1 --instruction-tokens 400 --plot "$out/$name-replay.svg" 2>/dev/null | tail -5
    "$bin" capacity --provider both --script "$script" --exchanges 200 --price input=4,cached=0.4 \
        --plot "$out/$name-capacity.svg" --json > "$out/$name-providers-capacity.json"
    "$bin" replay "$shared/sessions" --provider both --script "$script" --instruction-every 1 \
        --instruction-tokens 400 --price input=4,cached=0.4 --plot "$out/$name-replay.svg" --json \
        > "$out/$name-providers-replay.json"
done
if command -v rsvg-convert >/dev/null; then
    for svg in "$out"/*.svg; do rsvg-convert -w 960 "$svg" -o "${svg%.svg}.png"; done
fi
python3 - "$out" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
lines = ["# Capacity suite: both providers, every strategy", "",
         "Reference profile: 200 exchanges, spoken turns of 4 s (client) and 8 s (agent), a 400-token instruction "
         "every exchange. Replay: the 260 shared dialogues, spoken at 150 words/min, an instruction every exchange. "
         "Prices: $4 per million input tokens, $0.40 cached (illustrative).", ""]
for path in sorted(out.glob("*-providers-capacity.json")):
    name = path.name.removesuffix("-providers-capacity.json")
    replay = json.loads((out / f"{name}-providers-replay.json").read_text())
    capacity = json.loads(path.read_text())
    lines += [f"## {name}", "",
              "| provider | strategy | reference: over the limit at | billed/call | saved vs keep-all | $/call | replay: calls over | billed/call | re-seeds/h |",
              "|---|---|---|---|---|---|---|---|---|"]
    for cap, rep in zip(capacity, replay):
        for c, r in zip(cap["strategies"], rep["strategies"]):
            over = c["firstOverLimit"] if c["firstOverLimit"] is not None else "never"
            lines.append(f"| {cap['provider']} | {c['strategy']} | {over} | {c['billedInputPerCall']:,.0f} | "
                         f"{c.get('savedVsKeepAll', 0):,.0f} | {c.get('costPerCall', 0):.3f} | "
                         f"{r['callsOverLimit']}/{r['calls']} | {r['billedInputPerCall']:,.0f} | {r['reseedsPerHour']:.1f} |")
    lines.append("")
(out / "summary.md").write_text("\n".join(lines))
print("\n".join(lines))
PY
echo "charts and summary.md in $out"
