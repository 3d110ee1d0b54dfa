#!/usr/bin/env python3
"""Checks the rule of Sources/Tokenizer/Encoding/SettleLimit.swift against tiktoken's own patterns, run by
the `regex` module as tiktoken's reference does: every pre-tokenizer piece that ends at or before the limit
is a piece of the text whatever is appended. Needs `pip install regex`.

    python3 scripts/check_settle_limit.py [texts] [--lookahead K]
    python3 scripts/check_settle_limit.py --pieces FOLDER [--lookahead K]

--lookahead K replaces the rule's lookahead (none after a trailing run of letters or whitespace, else 1
character; 3 when one of them is an apostrophe) by a fixed K: K=1 fails on o200k ("don" + "'" + "t"), K=0 on
both ("12" + "3"), which shows the check can fail. Exit status 1 on any failure.

--pieces FOLDER streams every 2,000-byte slice of the folder's .txt files in 5-byte chunks (as
Benchmarks/StreamedTurnCount does) and prints how many pieces a counter that resumes at the settled boundary
counts, per piece of the finished slices (`RunCut` aside), against resuming at the start of the last piece
(the least any exact counter that re-merges the piece a chunk cut off can count).
"""
import argparse
import pathlib
import random
import sys

import regex

PATTERNS = {
    "o200k_base": r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                  r"|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"
                  r"|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+",
    "cl100k_base": r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s",
}
# Letters of every case class and runs of them, marks, apostrophes and contraction letters, digits,
# symbols, Unicode whitespace and runs of it, line breaks, a character above plane 2.
ALPHABET = [" ", "\n", "\t", "\r", "\u3000", "\u00a0", "    ", "\n   ", "x", "l", "s", "d", "m", "t", "r", "e", "v",
            "L", "T", "S", "R", "A", "LTLT", "ABCD", "ǅ", "ʰ", "é", "ſ", "\u0301", "\u064e", "\u093f", "م", "日", "'", "’", "!", "/", ".", ",",
            "1", "12", "😀", "\U00030001", "'s", "'re", "'ll", "'L", "'S"]


def run_kind(character, marks_are_letters=True):
    """The trailing runs SettleLimit takes back whole; above plane 2 counts as a letter, as there. A mark is
    in o200k's letter classes; cl100k's letter run (`\p{L}++`) ends before one, as before a symbol."""
    if regex.match(r"\s", character):
        return "whitespace"
    if regex.match(r"\p{L}", character) or ord(character) >= 0x30000 or (marks_are_letters and regex.match(r"\p{M}", character)):
        return "letters"
    return "other"


def settle_limit(text, lookahead, case_boundaries=False, marks_are_letters=True):
    """`case_boundaries` (o200k_base): a lower-case letter before a capital inside the trailing letter run
    ends its piece, so the walk back stops there (the boundary before the capital)."""
    end = len(text)
    run = lambda character: run_kind(character, marks_are_letters)
    if end and run(text[-1]) != "other":
        kind = run(text[-1])
        while end > 0 and run(text[end - 1]) == kind:
            if (case_boundaries and kind == "letters" and end < len(text) and regex.match(r"\p{Ll}", text[end - 1])
                    and regex.match(r"[\p{Lu}\p{Lt}]", text[end])):
                return end
            end -= 1
    if lookahead is None:
        lookahead = 3 if "'" in text[max(0, end - 3):end] else 0 if end < len(text) else 1
    return max(0, end - lookahead)


def pieces_counted(folder, lookahead):
    """Pieces counted while streaming the folder's slices, resuming at the rule's boundary and at the last
    piece's start, and the pieces of the finished slices (o200k_base)."""
    compiled = regex.compile(PATTERNS["o200k_base"])
    by_rule = by_last = final = 0
    for path in sorted(pathlib.Path(folder).glob("*.txt")):
        data, start = path.read_bytes(), 0
        while start + 2_000 <= len(data):
            end = start + 2_000
            while end < len(data) and data[end] & 0xC0 == 0x80:
                end += 1
            text, chunk_ends, offset = data[start:end].decode(), [], start
            while offset < end:
                cut = min(end, offset + 5)
                while cut < end and data[cut] & 0xC0 == 0x80:
                    cut += 1
                chunk_ends.append(len(data[start:cut].decode()))
                offset = cut
            start = end
            final += sum(1 for _ in compiled.finditer(text))
            rule_from = last_from = 0
            for chunk_end in chunk_ends:
                grown = text[:chunk_end]
                pieces = [m.start() for m in compiled.finditer(grown, rule_from)]
                by_rule += len(pieces)
                limit = settle_limit(grown, lookahead, case_boundaries=True)
                rule_from = max([rule_from] + [piece for piece in pieces if piece <= limit])
                pieces = [m.start() for m in compiled.finditer(grown, last_from)]
                by_last += len(pieces)
                last_from = pieces[-1] if pieces else last_from
    print(f"{final} pieces in the finished slices; counted while streaming: {by_rule / final:.2f} per piece resuming "
          f"at the settled boundary, {by_last / final:.2f} resuming at the last piece")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("texts", nargs="?", type=int, default=100_000)
    parser.add_argument("--lookahead", type=int)
    parser.add_argument("--pieces", metavar="FOLDER")
    parser.add_argument("--marks-as-others", action="store_true", help="o200k's marks too: fails (a mark joins its letters)")
    parser.add_argument("--marks-as-letters", action="store_true", help="cl100k's marks too: passes, settling less")
    arguments = parser.parse_args()
    if arguments.pieces:
        pieces_counted(arguments.pieces, arguments.lookahead)
        return
    failed = False
    for name, pattern in PATTERNS.items():
        compiled = regex.compile(pattern)
        random_source = random.Random(7)
        checked = wrong = 0
        for _ in range(arguments.texts):
            text = "".join(random_source.choice(ALPHABET) for _ in range(random_source.randint(1, 12)))
            limit = settle_limit(text, arguments.lookahead, case_boundaries=name == "o200k_base",
                                 marks_are_letters=name == "o200k_base" or arguments.marks_as_letters)
            if arguments.marks_as_others:
                limit = settle_limit(text, arguments.lookahead, case_boundaries=name == "o200k_base", marks_are_letters=False)
            final = [m.span() for m in compiled.finditer(text) if m.end() <= limit]
            for _ in range(3):
                grown = text + "".join(random_source.choice(ALPHABET) for _ in range(random_source.randint(1, 4)))
                checked += 1
                if [m.span() for m in compiled.finditer(grown) if m.end() <= limit] != final:
                    wrong += 1
                    if wrong <= 3:
                        print(f"{name}: {text!r} + {grown[len(text):]!r} moves a piece that ends at or before {limit}")
        print(f"{name}: {checked} appended texts, {wrong} moved a settled piece")
        failed = failed or wrong > 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
