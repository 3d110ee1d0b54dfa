#!/usr/bin/env bash
# The README's main-job command: set up, build, and play a real recorded session through
# `tokenbudget serve` with manager instructions interleaved, showing the budget as it goes.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/bootstrap.sh
swift build -c release --product tokenbudget
python3 scripts/demo_session.py "$@"
