#!/usr/bin/env bash
# Throughput and paced latency of the real `tokenbudget serve` on pipes (Benchmarks/ServeLoad):
# in memory, then with the SQLite store (synchronous FULL, group commit).
#   bash Benchmarks/serve-bench.sh [ServeLoad options…]
# With POSTGRES=1 it also builds the PostgreSQL backend (the Postgres trait, .build-postgres; 4–11 min
# the first time), starts a throwaway server (scripts/postgres-server.sh) and runs the same load on it.
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
if [ "${POSTGRES:-}" = 1 ]; then
    swift build -c release --traits Postgres --scratch-path .build-postgres --product tokenbudget >/dev/null
    exports="$(bash scripts/postgres-server.sh start)"  # a failed start stops here
    eval "$exports"
    trap 'bash scripts/postgres-server.sh stop "$TOKENBUDGET_PG_DATA"' EXIT
    "$TOKENBUDGET_PG_BIN/createdb" -h "$TOKENBUDGET_PG_SOCKET_DIR" -U postgres bench
    echo "with PostgreSQL (unix socket, synchronous_commit on, fsync on):"
    .build/release/ServeLoad --binary .build-postgres/release/tokenbudget \
        --serve-arg --store --serve-arg "postgres://postgres@/bench?host=$TOKENBUDGET_PG_SOCKET_DIR" "$@"
fi
