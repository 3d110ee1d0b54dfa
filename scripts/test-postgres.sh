#!/usr/bin/env bash
# The PostgreSQL backend's tests: builds with the Postgres trait in its own scratch path
# (.build-postgres: postgres-nio takes 4–11 min the first time), starts a throwaway server
# (scripts/postgres-server.sh), and runs the shared store suite against it plus the failover tests:
# StoreMethodsTests, StoreCrashTests, FailoverTests, SessionLifecycleTests, SessionsCLITests. `scripts/test.sh` calls it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
swift build --traits Postgres --scratch-path .build-postgres --build-tests
# Assigned first: a failed start stops here (`eval "$(…)"` would swallow its status).
exports="$(bash scripts/postgres-server.sh start)"
eval "$exports"
trap 'bash scripts/postgres-server.sh stop "$TOKENBUDGET_PG_DATA"' EXIT
export TOKENBUDGET_TEST_PG_SOCKET_DIR="$TOKENBUDGET_PG_SOCKET_DIR" TOKENBUDGET_TEST_PG_BIN="$TOKENBUDGET_PG_BIN"
export TOKENBUDGET_BIN="$PWD/.build-postgres/debug/tokenbudget"
swift test --traits Postgres --scratch-path .build-postgres --skip-build --filter 'StoreMethodsTests|StoreCrashTests|FailoverTests|SessionLifecycleTests|SessionsCLITests'
