#!/usr/bin/env bash
# End-to-end fault cases on the real binary (docs/storage.md, "When the storage fails"): an fdatasync
# that fails with EIO at a commit (strace fault injection), a second engine through a symlink or a
# hard link, the database deleted or replaced under a running engine, ids with U+0000 and canonically
# equivalent ids, a damaged file, idempotency keys across a restart. Each case prints ok/FAIL; the
# last line is "N passed, M failed", and the exit status is non-zero when a case failed.
# Usage: bash scripts/fault-suite.sh [path/to/tokenbudget]   (default .build/debug/tokenbudget)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
binary="${1:-.build/debug/tokenbudget}"
if ! command -v strace >/dev/null; then
    sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq strace >/dev/null
fi
exec python3 scripts/fault_suite.py "$binary"
