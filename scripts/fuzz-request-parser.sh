#!/usr/bin/env bash
# Builds the request-parser fuzz target with libFuzzer + AddressSanitizer and runs it for a bounded
# time (default 60 s). Usage: bash scripts/fuzz-request-parser.sh [seconds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
export ENABLE_FUZZ=1 SWIFT_BACKTRACE=enable=no
swift build --scratch-path .build-fuzz --product RequestParserFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >/dev/null
corpus=.build-fuzz/corpus
mkdir -p "$corpus"
# Seeds: real requests and a few broken ones.
printf '%s\n' '{"jsonrpc":"2.0","id":1,"method":"session.open","params":{"session":"a","script":"x"}}' > "$corpus/open"
printf '%s\n' '{"jsonrpc":"2.0","id":"q","method":"turn.append","params":{"session":"a","role":"user","text":"h\u00e9\ud83d\ude00"}}' > "$corpus/turn"
printf '%s' '{"jsonrpc":"2.0","id":2,"method":' > "$corpus/cut"
printf '[1,2]\n{"a":[[[[{}]]]]}\n' > "$corpus/misc"
# Numbers the writer prints differently from how they came in (1.0 -> 1, 1E3 -> 1000, 1e999 -> null).
printf '%s\n' '{"jsonrpc":"2.0","id":3,"method":"m","params":{"a":1.0,"b":1E3,"c":-0.0,"d":2.5e-7,"e":1e999,"f":12345678901234567890,"g":[0.1,-1e15]}}' > "$corpus/numbers"
bin=$(find .build-fuzz -type f -name RequestParserFuzz -perm -u+x | head -n 1)
"$bin" "$corpus" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 2>&1 | tail -n 12
