#!/usr/bin/env bash
# Throughput and latency of `tokenbudget serve` under a recorded load (1,000 sessions, turn.append
# with 50–500-byte real utterances). Usage: bash Benchmarks/serve-bench.sh [ServeLoad options]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
swift build -c release --product tokenbudget >/dev/null
swift build -c release --product ServeLoad >/dev/null
echo "in memory (--store none):"
.build/release/ServeLoad --binary .build/release/tokenbudget --serve-arg --store --serve-arg none "$@"
store="$(mktemp -d)/bench.db"
echo "with the SQLite store ($store, synchronous=FULL, group commit):"
.build/release/ServeLoad --binary .build/release/tokenbudget --serve-arg --store --serve-arg "$store" "$@"
rm -rf "$(dirname "$store")"
