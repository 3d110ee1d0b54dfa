#!/usr/bin/env python3
"""How much of a corpus a seeded memo (`MemoSeed`) answers: of the distinct pieces of each file that
are one token of at most 16 bytes (a fresh encoder per file, as the relay script's cold state), the
share whose token the seed holds, for several orders of filling the memo's two-slot sets. The
memo's key and set hash are `ShortPieceMemo`'s, written again here; the pieces are tiktoken's own
pattern through the `regex` module. Used to choose the seed's order (docs/tokenizer.md, stop 32).

    python3 Benchmarks/memo_seed_coverage.py --corpus ../shared/corpus [--vocab PATH] [--set-bits 16 17]

Needs `tiktoken` and `regex` (pip). The vocabulary is read from the file, never downloaded.
"""
import argparse, os, pathlib, struct

import regex
from tiktoken.load import load_tiktoken_bpe

O200K_PATTERN = "|".join([
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
    r"""\p{N}{1,3}""", r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""", r"""\s*[\r\n]+""", r"""\s+(?!\S)""", r"""\s+""",
])
MASK = (1 << 64) - 1
MAX_PIECE_BYTES = 16


def memo_key(piece):
    """`ShortPieceMemo.key`: the bytes as two words (overlapping loads), exact with the length."""
    n = len(piece)
    if n >= 8:
        return struct.unpack("<Q", piece[:8])[0], struct.unpack("<Q", piece[n - 8:])[0]
    if n >= 4:
        return struct.unpack("<I", piece[:4])[0] | struct.unpack("<I", piece[n - 4:])[0] << 32, 0
    return piece[0] | piece[n >> 1] << 8 | piece[n - 1] << 16, 0


def memo_set(piece, set_bits):
    """`ShortPieceMemo.set(of:count:)`."""
    k0, k1 = memo_key(piece)
    mixed = ((k0 ^ ((k1 * 0x9E3779B97F4A7C15) & MASK) ^ len(piece)) * 0xBF58476D1CE4E5B9) & MASK
    return mixed >> (64 - set_bits)


def seed(tokens, set_bits, priority):
    """The tokens each set keeps: its two of lowest `priority` (the build inserts in the reverse order)."""
    sets = {}
    for rank, piece in tokens:
        sets.setdefault(memo_set(piece, set_bits), []).append((priority(rank, piece), piece))
    return {piece for members in sets.values() for _, piece in sorted(members)[:2]}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--vocab", default=os.path.expanduser("~/.cache/tokenbudget/vocab/o200k_base.tiktoken"))
    parser.add_argument("--set-bits", type=int, nargs="+", default=[16])
    args = parser.parse_args()
    ranks = load_tiktoken_bpe(args.vocab)
    short = [(rank, piece) for piece, rank in ranks.items() if 1 <= len(piece) <= MAX_PIECE_BYTES]
    pattern = regex.compile(O200K_PATTERN)
    per_file = []
    for path in sorted(pathlib.Path(args.corpus).glob("*.txt")):
        pieces = {match.encode() for match in pattern.findall(path.read_text(encoding="utf-8"))}
        per_file.append({piece for piece in pieces if len(piece) <= MAX_PIECE_BYTES and piece in ranks})
    total = sum(len(pieces) for pieces in per_file)
    orders = {
        "lowest rank first (MemoSeed)": lambda rank, piece: rank,
        "leading space first, then rank": lambda rank, piece: (piece[:1] != b" ", rank),
        "rank, x2 without a leading space": lambda rank, piece: rank if piece[:1] == b" " else 2 * rank,
        "rank, x4 without a leading space": lambda rank, piece: rank if piece[:1] == b" " else 4 * rank,
    }
    print(f"{len(short)} tokens of 1-{MAX_PIECE_BYTES} bytes; {total} distinct one-token pieces in {len(per_file)} files")
    for bits in args.set_bits:
        for name, priority in orders.items():
            held = seed(short, bits, priority)
            found = sum(len(pieces & held) for pieces in per_file)
            print(f"2^{bits} sets, {name}: {len(held)} seeded, {found / total:.1%} of the pieces found")


if __name__ == "__main__":
    main()
