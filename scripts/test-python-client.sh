#!/usr/bin/env bash
# The Python client's tests (clients/python/tests) against the built binary: a venv with the package
# as `pip install clients/python` installs it, pytest (pinned) and tiktoken (pinned, the oracle for
# `encode`; its tests are skipped only when PyPI cannot give it), then pytest. No tests collected
# (pytest's exit 5) is a failure.
#
# Binary: $TOKENBUDGET_BIN, else .build/debug/tokenbudget (what scripts/test.sh builds), else
# .build/release/tokenbudget. Venv: $TOKENBUDGET_PYCLIENT_VENV (default .build/python-client-venv).
# Needs the vocabularies scripts/bootstrap.sh installs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

PYTEST_VERSION="9.2.0"
TIKTOKEN_VERSION="0.14.0"

log() { printf 'test-python-client: %s\n' "$*" >&2; }

binary="${TOKENBUDGET_BIN:-}"
if [ -z "$binary" ]; then
    for candidate in .build/debug/tokenbudget .build/release/tokenbudget; do
        [ -x "$candidate" ] && { binary="$candidate"; break; }
    done
fi
[ -n "$binary" ] && [ -x "$binary" ] || { log "no tokenbudget binary: run 'swift build' first"; exit 1; }
binary="$(cd "$(dirname "$binary")" && pwd)/$(basename "$binary")"

python="${PYTHON:-python3}"
venv="${TOKENBUDGET_PYCLIENT_VENV:-$PWD/.build/python-client-venv}"
. scripts/venv.sh
ensure_venv "$venv" "$python"
pip() { "$venv/bin/python" -m pip --disable-pip-version-check --no-input "$@"; }

# The package is what is under test: always reinstalled from the tree.
pip install --quiet --force-reinstall --no-deps ./clients/python >&2
pip install --quiet "pytest==$PYTEST_VERSION" >&2

# tiktoken reads its vocabularies from a cache named by the SHA-1 of their URLs (tiktoken/load.py); the
# files are the verified ones scripts/bootstrap.sh installed, so it never needs the network.
export TOKENBUDGET_EXPECT_TIKTOKEN=0
if pip install --quiet "tiktoken==$TIKTOKEN_VERSION" >&2; then
    vocab_dir="${TOKENBUDGET_VOCAB_DIR:-$HOME/.cache/tokenbudget/vocab}"
    export TIKTOKEN_CACHE_DIR="$PWD/.build/python-client-tiktoken-cache"
    mkdir -p "$TIKTOKEN_CACHE_DIR"
    ln -sf "$vocab_dir/o200k_base.tiktoken" "$TIKTOKEN_CACHE_DIR/fb374d419588a4632f3f557e76b4b70aebbca790"
    ln -sf "$vocab_dir/cl100k_base.tiktoken" "$TIKTOKEN_CACHE_DIR/9b5ad71b2ce5302211f9c61530b329a4922fc6a4"
    export TOKENBUDGET_EXPECT_TIKTOKEN=1
else
    log "tiktoken==$TIKTOKEN_VERSION could not be installed: its comparison is skipped (the recorded ids still run)"
fi

log "pytest with TOKENBUDGET_BIN=$binary"
status=0
TOKENBUDGET_BIN="$binary" "$venv/bin/python" -m pytest -p no:cacheprovider -q -rs clients/python/tests || status=$?
if [ "$status" -eq 5 ]; then
    log "pytest collected no tests: failing"
    exit 1
fi
exit "$status"
