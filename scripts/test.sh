#!/usr/bin/env bash
# The README's test command: sets up the machine (idempotent), builds, and runs every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
swift build --build-tests
# The end-to-end tests spawn the built `tokenbudget` from the same build folder.
swift test --skip-build
# A bounded libFuzzer run over serve's framing and request parser (docs/protocol.md).
bash scripts/fuzz-request-parser.sh "${FUZZ_SECONDS:-30}"
# A bounded libFuzzer run: the o200k and cl100k split scanners must cut what PCRE2 cuts (docs/tokenizer.md).
bash scripts/fuzz-split-scanner.sh "${FUZZ_SECONDS:-30}"
# The PostgreSQL backend: its own build (postgres-nio), a throwaway server, the shared store suite
# and the failover tests against it (docs/deployment.md).
bash scripts/test-postgres.sh
