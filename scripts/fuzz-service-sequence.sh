#!/usr/bin/env bash
# Builds the service-sequence fuzz target with libFuzzer + AddressSanitizer and runs it for a bounded
# time (default 60 s): valid request sequences, with and without bad requests between them, through
# EngineService in process (docs/protocol.md). Usage: bash scripts/fuzz-service-sequence.sh [seconds]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds="${1:-60}"
export ENABLE_FUZZ=1 SWIFT_BACKTRACE=enable=no
swift build --scratch-path .build-fuzz --product ServiceSequenceFuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld >/dev/null
corpus=.build-fuzz/corpus-service
mkdir -p "$corpus"
# Seeds: a few sequences of every kind of request (the bytes choose method, session, text).
printf '\x00\x00\x01\x05\x00\x01\x03\x01\x02\x04\x00\x00\x05\x01\x00\x07\x02\x01\x0a\x02\x03' > "$corpus/calls"
printf '\x80\x00\x01\x81\x01\x02\x82\x02\x00\x83\x00\x01\x84\x01\x01\x85\x02\x02\x86\x00\x00\x87\x01\x03\x88\x02\x01' > "$corpus/bad"
head -c 512 /dev/urandom > "$corpus/random" 2>/dev/null || true
bin=$(find .build-fuzz -type f -name ServiceSequenceFuzz -perm -u+x | head -n 1)
"$bin" "$corpus" -max_total_time="$seconds" -max_len=600 -print_final_stats=1 2>&1 | tail -n 12
