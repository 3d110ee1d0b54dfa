#!/usr/bin/env bash
# The README's test command: sets up the machine (idempotent), builds, and runs every test.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
swift build --build-tests
# The default build has no PostgreSQL code (the Postgres trait is off): postgres-nio is not even cloned.
if [ -e .build/checkouts/postgres-nio ]; then echo "postgres-nio was resolved by the default build" >&2; exit 1; fi
# The end-to-end tests spawn the built `tokenbudget` from the same build folder.
swift test --skip-build
# The engine embedded in a Swift relay, in-process (the ContextEngine library product).
.build/debug/EmbeddedRelay | tail -n 1
# The Python client (clients/python): pytest in a venv against the binary just built.
bash scripts/test-python-client.sh
# The providers' official SDK types (google-genai, openai from PyPI, pinned, in a venv) are the oracle for
# every message the engine hands a relay: the oracle's own test, then all shared dialogues through
# `serve` for both providers against the SDK types and a provider simulator (docs/providers.md).
bash scripts/test-provider-oracle.sh
# docs/openrpc.json and the copy compiled into the server are what scripts/make_openrpc.py writes.
python3 scripts/make_openrpc.py --check
oracle_python="$(bash scripts/bootstrap-oracles.sh | tail -n 1)"
"$oracle_python" scripts/provider_e2e.py --binary .build/debug/tokenbudget
# Streaming rules against tiktoken's own patterns (the `regex` module): what settles, and where a long open
# piece's scan may restart; the second also drops each of its conditions and expects failures.
"$oracle_python" scripts/check_settle_limit.py 10000
"$oracle_python" scripts/check_open_piece_rescan.py 4000 --self-check
# End-to-end fault cases on the real binary: EIO at commit (strace), symlinks, hard links, a store
# deleted or replaced under the engine, NUL and canonically equivalent ids, a damaged file (docs/storage.md).
timeout 300 bash scripts/fault-suite.sh .build/debug/tokenbudget
# A bounded libFuzzer run over serve's framing and request parser (docs/protocol.md).
bash scripts/fuzz-request-parser.sh "${FUZZ_SECONDS:-30}"
# A bounded libFuzzer run: valid request sequences through the service; bad requests between them change no answer.
bash scripts/fuzz-service-sequence.sh "${FUZZ_SECONDS:-30}"
# A bounded libFuzzer run: the o200k and cl100k split scanners must cut what PCRE2 cuts (docs/tokenizer.md).
bash scripts/fuzz-split-scanner.sh "${FUZZ_SECONDS:-30}"
# The PostgreSQL backend: its own build (postgres-nio), a throwaway server, the shared store suite
# and the failover tests against it (docs/deployment.md).
bash scripts/test-postgres.sh
