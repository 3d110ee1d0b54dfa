#!/usr/bin/env bash
# Regenerates docs/man/tokenbudget.1 (mdoc) from the command-line definitions, with
# swift-argument-parser's generate-manual plugin. No Package.swift change: a dependency's command
# plugins are available as they are; it works offline (the plugin builds from .build/checkouts).
# The page's date is that of the last commit touching Sources/tokenbudget, so regenerating without
# a change to the commands gives the same bytes. Debug build by default (already built by tests);
# CONFIGURATION=release works too.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
date="$(git log -1 --format=%cs -- Sources/tokenbudget 2>/dev/null || true)"
date="${date:-$(date -u +%F)}"
swift package plugin generate-manual --configuration "${CONFIGURATION:-debug}" --date "$date" >&2
mkdir -p docs/man
cp .build/plugins/GenerateManual/outputs/tokenbudget/tokenbudget.1 docs/man/tokenbudget.1
echo "docs/man/tokenbudget.1 ($(wc -l <docs/man/tokenbudget.1) lines, dated $date)" >&2
