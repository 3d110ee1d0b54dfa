#!/bin/bash
# Where a cold pass goes, in instructions (callgrind: exact and repeatable, unlike wall time on a
# shared machine). For each file of a corpus: the instructions of counting it on a fresh encoder
# (`TokenizerThroughput`'s `cold`) and per byte; then the whole corpus counted twice on one encoder,
# whose second pass finds every piece memoized — the part of a cold pass that is not first sight.
#
#   Benchmarks/tokenizer_cold_instructions.sh [corpus folder] [encoding]   (default: /tmp/heldout o200k_base)
#   CALLGRIND_TOP=1 …   also the ten costliest functions of the cold passes (exclusive)
#
# Needs valgrind (apt-get install valgrind); builds TokenizerThroughput in release first.
set -euo pipefail
corpus=${1:-/tmp/heldout}
encoding=${2:-o200k_base}
case "$encoding" in o200k_base | cl100k_base) ;; *) echo "byte-level BPE encodings only (o200k_base, cl100k_base): $encoding" >&2; exit 2 ;; esac
command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 2; }
[ -d "$corpus" ] || { echo "no corpus folder $corpus (Benchmarks/tokenizer_heldout_corpus.py builds one)" >&2; exit 2; }
corpus=$(cd "$corpus" && pwd)  # the script works from the package's folder below
cd "$(dirname "$0")/.."
swift build -c release --product TokenizerThroughput >/dev/null
binary=.build/release/TokenizerThroughput
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The corpus's *.txt files, as tokenizer_relay_bench.py takes them.
mapfile -t files < <(find "$corpus" -name '*.txt' -type f | sort)
[ ${#files[@]} -gt 0 ] || { echo "no *.txt files in $corpus" >&2; exit 2; }

# Instructions inside the counting entry point $3 for the commands in $1 (callgrind output to $2):
# a fresh encoder's `countOrdinary`, or the shared encoder's `BPEEncoding.count` (which inlines it).
instructions() {
    valgrind --tool=callgrind --dump-instr=no --toggle-collect="$3" \
        --callgrind-out-file="$2" "$binary" < "$1" 2>&1 >/dev/null | awk '/refs:/ { gsub(",", "", $4); print $4 }'
}
fresh='*countOrdinary*'
shared='*BPEEncoding*count*'

total_bytes=0
total_cold=0
printf '%-28s %10s %14s %8s\n' file bytes "cold instrs" "per byte"
for file in "${files[@]}"; do
    echo "count $encoding $file 0 cold" > "$work/one"
    cold=$(instructions "$work/one" "$work/one.out" "$fresh")
    bytes=$(stat -c %s "$file")
    total_bytes=$((total_bytes + bytes))
    total_cold=$((total_cold + cold))
    printf '%-28s %10d %14d %8.1f\n' "$(basename "$file")" "$bytes" "$cold" "$(echo "$cold / $bytes" | bc -l)"
done
printf '%-28s %10d %14d %8.1f\n' "cold, every file" "$total_bytes" "$total_cold" "$(echo "$total_cold / $total_bytes" | bc -l)"

# The same files twice on the shared encoder; the first pass also pays one-time set-up (tables read
# lazily), so the second pass is the difference of the two runs. (A corpus larger than the memo
# holds, like the shared 8.5 MB, misses some pieces again in the second pass.)
for file in "${files[@]}"; do echo "count $encoding $file 0"; done > "$work/once"
cat "$work/once" "$work/once" > "$work/twice"
once=$(instructions "$work/once" "$work/once.out" "$shared")
twice=$(instructions "$work/twice" "$work/twice.out" "$shared")
seen=$((twice - once))
printf '%-28s %10d %14d %8.1f\n' "again, every piece seen" "$total_bytes" "$seen" "$(echo "$seen / $total_bytes" | bc -l)"
echo "first sight's share of a cold pass: $(echo "100 * ($total_cold - $seen) / $total_cold" | bc) % of its instructions"

# The same two passes in wall time (no valgrind), 5 alternated runs: medians.
for file in "${files[@]}"; do echo "count $encoding $file 0 cold"; done > "$work/cold"
lines=${#files[@]}  # the first pass's replies, skipped when summing the second
for run in 1 2 3 4 5; do
    "$binary" < "$work/cold" | awk '{ s += $1 } END { printf "cold %.2f\n", s / 1e6 }'
    "$binary" < "$work/twice" | awk -v n="$lines" 'NR > n { s += $1 } END { printf "seen %.2f\n", s / 1e6 }'
done | sort -k1,1 -k2n | awk '{ v[$1] = v[$1] " " $2; c[$1]++; a[$1, c[$1]] = $2 }
    END { printf "wall ms, 5 runs: cold%s (median %.1f); every piece seen%s (median %.1f)\n", v["cold"], a["cold", 3], v["seen"], a["seen", 3] }'

if [ "${CALLGRIND_TOP:-0}" = 1 ]; then
    instructions "$work/cold" "$work/cold.out" "$fresh" >/dev/null
    callgrind_annotate --inclusive=no "$work/cold.out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | grep -v TOTALS | head -10 | cut -c1-160
fi
