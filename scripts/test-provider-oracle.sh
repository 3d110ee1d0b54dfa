#!/usr/bin/env bash
# The provider oracle's own test: bootstraps the pinned SDK venv, runs the self-test, checks that every
# message in fixtures/provider-messages/valid.jsonl passes and every one in invalid.jsonl is rejected.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="$(bash "$here/scripts/bootstrap-oracles.sh" | tail -n 1)"
"$python" "$here/scripts/provider_oracle.py" --versions
"$python" "$here/scripts/provider_oracle.py" --self-test
"$python" "$here/scripts/provider_oracle.py" "$here/fixtures/provider-messages/valid.jsonl"
"$python" "$here/scripts/provider_oracle.py" --expect-invalid "$here/fixtures/provider-messages/invalid.jsonl"
