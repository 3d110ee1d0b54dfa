#!/usr/bin/env bash
# Builds the o200k/cl100k split-scanner fuzz target with libFuzzer + AddressSanitizer and runs it for a
# bounded time (default 60 s). Usage: bash scripts/fuzz-split-scanner.sh [seconds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
export ENABLE_FUZZ=1 SWIFT_BACKTRACE=enable=no
swift build --scratch-path .build-fuzz --product SplitScannerFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >/dev/null
corpus=.build-fuzz/split-corpus
mkdir -p "$corpus"
# Seeds: contractions, whitespace runs before letters and newlines, and the non-ASCII characters
# whose class changes a decision (U+00A0 space, U+017F long s, é, a combining mark, an Arabic digit);
# the dictionary adds capitals (É, П), a Cyrillic lower-case letter and Thai letters and marks (Lo, M):
# the word walk of O200kUnicodeScanner.plainWordEnd changes phase on them.
printf "I'm HERE's  the\\t\\tCAT'S 123456 x\\r\\n\\n  y /// ?!\\n" > "$corpus/ascii"
printf "caf\\xc3\\xa9 don'\\xc5\\xbf a\\xc2\\xa0b 12\\xd9\\xa3 e\\xcc\\x81 \\xe4\\xb8\\xad\\xe6\\x96\\x87 \\xf0\\x9f\\x98\\x80!" > "$corpus/unicode"
dict=.build-fuzz/split.dict
printf '%s\n' '"'"'"s"' '"'"'"LL"' '"'"'"re"' '" "' '"\x09"' '"\x0d\x0a"' '"\x0b"' '"\xc2\xa0"' '"\xc2\x85"' \
    '"\xc5\xbf"' '"\xc3\xa9"' '"\xcc\x81"' '"\xd9\xa3"' '"\xe3\x80\x80"' '"\xe2\x80\x80"' '"\xe1\xa0\x8e"' \
    '"\xc7\x85"' '"\xca\xb0"' '"\xc3\x89"' '"\xd0\x9f"' '"\xd1\x80"' '"\xe0\xb8\x81"' '"\xe0\xb8\xb4"' > "$dict"
bin=$(find .build-fuzz -type f -name SplitScannerFuzz -perm -u+x | head -n 1)
"$bin" "$corpus" -dict="$dict" -max_total_time="$seconds" -max_len=256 -print_final_stats=1 2>&1 | tail -n 12
