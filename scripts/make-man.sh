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
# generate-manual drops every non-ASCII character (its String+Escaping: `where character.isASCII`):
# "(1–100)" became "(1100)". Name the help texts that lose characters, so they can be made ASCII.
bin="$(swift build --configuration "${CONFIGURATION:-debug}" --show-bin-path)/tokenbudget"
"$bin" --experimental-dump-help | python3 -c '
import json, sys
def walk(command, path):
    texts = [(path, command.get(k)) for k in ("abstract", "discussion")]
    texts += [(path + " " + str(a.get("valueName")), a.get(k)) for a in command.get("arguments", []) for k in ("abstract", "discussion")]
    for where, text in texts:
        if isinstance(text, str) and any(ord(c) > 127 for c in text):
            print("make-man: non-ASCII dropped from the page in", where + ":", repr(text[:70]), file=sys.stderr)
    for sub in command.get("subcommands", []):
        walk(sub, path + " " + sub["commandName"])
walk(json.load(sys.stdin)["command"], "tokenbudget")
'
