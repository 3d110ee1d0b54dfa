#!/usr/bin/env bash
# The turn-capacity suite: for each agent script in ../shared/scripts, the capacity table for the
# reference profile and a replay of all of ../shared/sessions under three policies, with charts in
# $OUT (default .build/capacity-suite). Usage: bash Benchmarks/capacity-suite.sh [window]
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
done
echo "charts in $out"
