#!/usr/bin/env python3
"""Checks the rule of Sources/Tokenizer/Encoding/OpenPieceRescan.swift against tiktoken's own patterns, run by
the `regex` module as tiktoken's reference does: for a text that is one piece from its start to its end (a long
open piece, as the last chunk left it), wherever the rule lets the scan restart — at or up to 16 characters
before a boundary — what it reads from there (the pattern, o200k's second letter class after a lower-case
letter, cl100k's whitespace run after a line break) ends where the pattern's match from the start ends,
whatever is appended. Needs `pip install regex`.

    python3 scripts/check_open_piece_rescan.py [runs]            # exit 1 on any failure
    python3 scripts/check_open_piece_rescan.py [runs] --mutate M # the rule with one condition dropped
    python3 scripts/check_open_piece_rescan.py [runs] --self-check

--mutate drops one condition: `letters` (o200k restarts the pattern at capitals, Lm/Lo letters and marks
after a lower-case letter, instead of reading its second class on), `whitespace` (no check that the piece is
a whitespace run), `slash` (o200k restarts at '/', which may be its trailing `[\r\n/]*`), `breaks` (cl100k
restarts the pattern in whitespace after a line break, instead of reading the run on), `marks` (o200k
restarts at a mark before a lower-case letter came: a mark after a symbol is a piece of its own).
--self-check runs the rule (no failure expected) and every mutation (failures expected: the check can
fail), and exits 1 if either expectation does not hold.
"""
import argparse
import random
import sys

import regex

from check_settle_limit import PATTERNS

LOOK_BACK = 16  # OpenPieceRescan.lookBackCharacters
MUTATIONS = ["letters", "whitespace", "slash", "breaks", "marks"]

# Runs that stay one piece long, each as segments (alphabet, fewest, most characters): letters of each case
# class and script, marks among them, lower-case letters then Lm/Lo ones, symbols and emoji, symbols then a line
# break and slashes (o200k's trailing `[\r\n/]*`), whitespace with and without line breaks.
RUNS = [
    [(["a", "b", "ж", "é"], 6, 40)], [(["A", "B", "Ж"], 6, 40)], [(["A", "b", "Ж", "д"], 6, 40)],
    [(["م", "ر", "ح", "ب", "ا"], 6, 40)], [(["ภ", "า", "ษ", "ไ", "ท", "ย", "่", "ั"], 6, 40)],
    [(["न", "म", "स", "्", "त", "े"], 6, 40)], [(["日", "本", "ー"], 6, 40)], [(["م", "ا", "a", "b"], 6, 40)],
    [(["A", "B", "م"], 6, 40)], [(["ʰ", "م", "X"], 6, 40)], [(["a", "ж"], 1, 4), (["م", "ا", "日"], 6, 30)],
    [(["!", "?", "/", ".", "-"], 6, 40)], [(["😀", "!", "\u0301"], 6, 40)], [(["'", "!", "s"], 6, 40)],
    [(["!", "?"], 1, 4), (["\n"], 1, 2), (["/"], 6, 30)], [([" ", "\t", "\u3000"], 6, 40)],
    [([" ", "\n", "\t"], 6, 40)], [(["\n", "\r"], 6, 40)], [(["/", "\n", "!"], 6, 40)],
]
PREFIXES = ["", "", " ", "!", "\u0301", "'", "\n"]
# What may be appended: letters of every class, marks, apostrophes and contractions, digits, symbols,
# whitespace and line breaks, a character above plane 2.
SUFFIX = [" ", "\n", "\t", "\r", "\u3000", "x", "s", "ll", "X", "LT", "Ж", "д", "م", "日", "ʰ", "\u0301", "'", "'s",
          "'ll", "!", "/", ".", "1", "12", "😀", "\U00030001", "a b", "!\n", " \n", "\n x"]


def kind(character):
    """CharacterClassTable's classes."""
    if ord(character) >= 0x30000:
        return "unknown"
    for name, pattern in [("newline", r"[\r\n]"), ("space", r"\s"), ("upper", r"[\p{Lu}\p{Lt}]"), ("lower", r"\p{Ll}"),
                          ("letter", r"[\p{Lm}\p{Lo}]"), ("mark", r"\p{M}"), ("number", r"\p{N}")]:
        if regex.match(pattern, character):
            return name
    return "other"


def turned(text, at, o200k):
    """OpenPieceCut.turned for a boundary at `at` (characters): a lower-case letter (o200k) or a line break
    (cl100k) before it."""
    return any(kind(c) == ("lower" if o200k else "newline") for c in text[:at])


def restart(text, at, o200k, mutation=None):
    """OpenPieceRescan.restart: (a character index at or before `at`, what is read from there: "pattern", o200k's
    "second class" of letters, cl100k's "whitespace" run after a line break), or None."""
    has_turned = turned(text, at, o200k)
    whitespace = lambda k: k in ("space", "newline")
    starts_whitespace = len(text) >= 2 and whitespace(kind(text[0])) and whitespace(kind(text[1]))
    position = at
    for _ in range(LOOK_BACK):
        if position <= 0:
            return None
        if position + 1 < len(text):
            k, following = kind(text[position]), kind(text[position + 1])
            if k == "lower":
                return position, "pattern"
            if k in ("upper", "letter", "mark"):
                if not o200k:
                    if k != "mark" or following in ("other", "mark"):
                        return position, "pattern"
                elif has_turned and mutation != "letters":
                    if k != "upper":
                        return position, "second class"
                elif k != "mark" or mutation == "marks":
                    return position, "pattern"
            if k == "other" and (following == "other" and (text[position] != "/" or not o200k or mutation == "slash")
                                 or following == "mark" and not o200k):
                return position, "pattern"
            if whitespace(k) and whitespace(following) and (starts_whitespace or mutation == "whitespace"):
                return position, "pattern" if o200k or not has_turned or mutation == "breaks" else "whitespace"
        position -= 1
    return None


CONTRACTION = regex.compile(r"(?i:'s|'t|'re|'ve|'m|'ll|'d)")


def second_class_end(text, start):
    """O200kUnicodeScanner.secondClassEnd: o200k's second letter class read on from `start`, then a
    contraction; None at a character the class table does not know."""
    end = start
    while end < len(text) and kind(text[end]) in ("lower", "letter", "mark", "unknown"):
        if kind(text[end]) == "unknown":
            return None
        end += 1
    contraction = CONTRACTION.match(text, end)
    return contraction.end() if contraction else end


def whitespace_run_end(text, start):
    """Cl100kScanner.whitespaceRunEnd: the whitespace run from `start` to the text's end, else after its last
    line break; None when it has none past `start`."""
    end = start
    while end < len(text) and kind(text[end]) in ("space", "newline"):
        end += 1
    if end == len(text):
        return end
    breaks = [i for i in range(start, end) if text[i] in "\r\n"]
    return breaks[-1] + 1 if breaks else None


def check(runs, mutation, seed=0):
    generator = random.Random(seed)
    failures, checked = 0, 0
    for name, pattern in PATTERNS.items():
        compiled = regex.compile(pattern)
        o200k = name == "o200k_base"
        for attempt in range(runs):
            text = generator.choice(PREFIXES) + "".join(
                generator.choice(alphabet) for alphabet, fewest, most in RUNS[attempt % len(RUNS)]
                for _ in range(generator.randint(fewest, most)))
            if compiled.match(text).end() != len(text):
                continue  # not one piece: no open piece to restart in
            at = generator.randint(1, len(text) - 5)
            found = restart(text, at, o200k, mutation)
            if found is None:
                continue
            r, reads = found
            for _ in range(8):
                grown = text + "".join(generator.choice(SUFFIX) for _ in range(generator.randint(0, 5)))
                checked += 1
                whole = compiled.match(grown).end()
                restarted = {"pattern": lambda: compiled.match(grown, r).end(), "second class": lambda: second_class_end(grown, r),
                             "whitespace": lambda: whitespace_run_end(grown, r)}[reads]()
                if restarted is None:
                    continue  # undecidable there, or the piece ended before: the engine scans from the start
                if whole != restarted:
                    failures += 1
                    if failures <= 3 and mutation is None:
                        print(f"{name}: {grown!r} restarted at {r}: {restarted} != {whole}")
    return failures, checked


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("runs", type=int, nargs="?", default=20_000, help="runs tried per pattern (those that are one piece are checked)")
    parser.add_argument("--mutate", choices=MUTATIONS)
    parser.add_argument("--self-check", action="store_true")
    args = parser.parse_args()
    if not args.self_check:
        failures, checked = check(args.runs, args.mutate)
        print(f"{failures} of {checked} restarts ended elsewhere ({args.mutate or 'the rule'})")
        sys.exit(1 if failures else 0)
    ok = True
    failures, checked = check(args.runs, None)
    print(f"the rule: {failures} of {checked} restarts ended elsewhere")
    ok &= failures == 0
    for mutation in MUTATIONS:
        failures, checked = check(args.runs, mutation)
        print(f"--mutate {mutation}: {failures} of {checked} restarts ended elsewhere (some expected)")
        ok &= failures > 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
