#!/usr/bin/env bash
# Installs the provider oracles' SDKs and tiktoken's regex module (pinned) into a venv and prints the venv's python on its last line.
# Venv: $TOKENBUDGET_ORACLE_VENV (default ~/.cache/tokenbudget/oracle-venv). Idempotent: when the venv
# already has exactly these versions, nothing is installed. Needs only PyPI (and Debian's python3-venv
# when `python3 -m venv` is missing). Used by scripts/provider_oracle.py.
set -euo pipefail

GOOGLE_GENAI_VERSION="3.6.1"
OPENAI_VERSION="3.63.0"
PYDANTIC_VERSION="2.14.4"  # the validator both SDKs use: pinned so the oracle's verdicts do not drift
JSONSCHEMA_VERSION="4.23.0"  # validates every answer of the end-to-end runs against docs/openrpc.json
REGEX_VERSION="2026.12.2"  # runs tiktoken's pre-tokenizer patterns as tiktoken's reference does (scripts/check_*.py)

venv="${TOKENBUDGET_ORACLE_VENV:-${HOME:-/tmp}/.cache/tokenbudget/oracle-venv}"
. "$(dirname "${BASH_SOURCE[0]}")/venv.sh"
log() { printf 'bootstrap-oracles: %s\n' "$*" >&2; }

python="${PYTHON:-python3}"
command -v "$python" >/dev/null || { log "no $python on PATH"; exit 1; }

have_versions() {
    [ -x "$venv/bin/python" ] || return 1
    "$venv/bin/python" - "$GOOGLE_GENAI_VERSION" "$OPENAI_VERSION" "$PYDANTIC_VERSION" "$JSONSCHEMA_VERSION" "$REGEX_VERSION" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
names = ("google-genai", "openai", "pydantic", "jsonschema", "regex")
sys.exit(0 if tuple(version(n) for n in names) == tuple(sys.argv[1:6]) else 1)
PY
}

if have_versions; then
    log "venv $venv already has google-genai==$GOOGLE_GENAI_VERSION openai==$OPENAI_VERSION"
else
    ensure_venv "$venv" "$python"
    log "installing google-genai==$GOOGLE_GENAI_VERSION openai==$OPENAI_VERSION pydantic==$PYDANTIC_VERSION regex==$REGEX_VERSION"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        "google-genai==$GOOGLE_GENAI_VERSION" "openai==$OPENAI_VERSION" "pydantic==$PYDANTIC_VERSION" \
        "jsonschema==$JSONSCHEMA_VERSION" "regex==$REGEX_VERSION" >&2
    have_versions || { log "venv $venv does not report the pinned versions after install"; exit 1; }
fi
echo "$venv/bin/python"
