#!/usr/bin/env python3
"""Regenerates fixtures/tokenizer/: tiktoken's ids for everything the exactness tests compare.

    pip install tiktoken==0.14.0
    TIKTOKEN_CACHE_DIR=... python3 scripts/make_tokenizer_fixtures.py [../shared/corpus]

Writes
  adversarial.txt        a file built here to break pre-tokenizers (see `adversarial()`)
  reference.json         per input and encoding: token count and the first 16 hex digits of the
                         SHA-256 of the ids as little-endian uint32 (the corpus README's hash)
  random_strings.json    seeded random Unicode strings with their full id lists
The vocabularies are read from $TOKENBUDGET_VOCAB_DIR (default ~/.cache/tokenbudget/vocab), the
files scripts/bootstrap.sh verified, so tiktoken never downloads anything.
"""
import hashlib, json, os, random, struct, sys, pathlib

import tiktoken
import tiktoken.load
import tiktoken_ext.openai_public as openai_public

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "tokenizer"
VOCAB = pathlib.Path(os.environ.get("TOKENBUDGET_VOCAB_DIR", pathlib.Path.home() / ".cache/tokenbudget/vocab"))
CORPUS = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus"


def encoding(name):
    spec = getattr(openai_public, name)
    # Point tiktoken at the verified local file instead of its download URL.
    original = tiktoken.load.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda url, expected_hash=None: original(str(VOCAB / f"{name}.tiktoken"), expected_hash)
    try:
        return tiktoken.Encoding(**spec())
    finally:
        openai_public.load_tiktoken_bpe = original


def id_hash(ids):
    return hashlib.sha256(struct.pack(f"<{len(ids)}I", *ids)).hexdigest()[:16]


def adversarial():
    parts = []
    whitespace = [chr(c) for c in [9, 10, 11, 12, 13, 32, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B), 0x2028,
                                   0x2029, 0x202F, 0x205F, 0x3000]]
    lookalikes = [chr(c) for c in [0x180E, 0x200B, 0x200C, 0x200D, 0x2060, 0xFEFF]]
    controls = [chr(c) for c in [*range(0, 32), 127, *range(0x80, 0xA0)]]
    for ch in whitespace + lookalikes + controls:
        parts.append(f"a{ch}b {ch}{ch}c\n{ch}d{ch}{ch}{ch} e{ch}")
    parts.append("".join(whitespace) + "x" + "".join(whitespace) + "\n" + "".join(controls) + "y")
    parts.append("word\u180Eword \u180E word\u180E\u180E\n")
    # Combining marks, alone and stacked, after letters, digits and punctuation.
    parts.append("e\u0301 a\u0308\u0301 \u0301start 5\u0301 !\u0301 Z\u0336\u0351\u0364\u0317a\u0337\u0358lgo")
    parts.append("שָׁלוֹם नमस्ते क्षत्रिय ஸ்ரீ 한국어 각")
    # ZWJ sequences, skin tones, flags, keycaps, variation selectors.
    parts.append("👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🇮🇹🇷🇴 #️⃣ 1️⃣ ❤️ ☺︎ 🧑🏿‍🤝‍🧑🏻 👩‍💻x")
    # CR / CRLF / LF runs with and without spaces.
    parts.append("a\r\nb\r\r\n\n\r\n  \r  \n\n\n \r\n\t\r\nend\r")
    parts.append("\r" * 50 + "\n" * 50 + "\r\n" * 50 + " \n" * 20)
    # Long runs of one character.
    for ch in ["a", "A", " ", "\n", "1", "!", "é", "中", "🙂", "\t", "-", "aA"]:
        parts.append(ch * 10_000)
    parts.append("ab" * 5_000 + " " + "12" * 3_000)
    # Contractions, valid and not, in every case and with look-alike apostrophes and letters.
    parts.append("I'm you're he'S they'RE we'LL it'D 'd 'x ''s 's's I’m don’t ʼs '\u017F 'K '\u212A "
                 "'LL'll'Ll x'VE x've'M 'T 'tis 'twas ' s '\n's")
    # Digits of many scripts, fractions and superscripts.
    parts.append("1234567 ١٢٣٤٥ ४२ 〇一二 ²³¹ ½ ⅓ 1,000,000.50 3.14159 0x1F 1e-9")
    # Newer Unicode (15, 16): Kawi, Cyrillic modifier letters, Garay, Todhri.
    parts.append("\U00011F04\U00011F05\U00011F06 \U0001E030\U0001E031 \U00010D4A\U00010D4B \U000105C0x")
    # Private use, noncharacters and the highest code point.
    parts.append("\uE000\uF8FF \uFFFE\uFFFF \U0010FFFF \U000F0000 end")
    # Special-token look-alikes (ordinary text here).
    parts.append("<|endoftext|> <|endofprompt|> <|fim_prefix|> <|im_start|> <| |>")
    return "\n".join(parts)


def splitmix64(seed, count):
    """SplitMix64 outputs: Tests/.../Fixtures.swift `SeededGenerator` makes the same."""
    mask, state, out = (1 << 64) - 1, seed, []
    for _ in range(count):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(z ^ (z >> 31))
    return out


def splitmix64_bytes(seed, count):
    """The low byte of each SplitMix64 output."""
    return bytes(value & 0xFF for value in splitmix64(seed, count))


def pathological():
    random_bytes = splitmix64_bytes(7, 1_000_000)
    # name -> (text, whether the whole text is one pre-tokenizer piece under both patterns)
    return {
        "one-char-a-1MB": ("a" * 1_000_000, True),
        "one-char-space-1MB": (" " * 1_000_000, True),
        "random-bytes-lossy-1MB": (random_bytes.decode("utf-8", errors="replace"), False),
        # 350,000 random CJK ideographs (U+4E00 + value % 20,902): one 1 MB piece that
        # CharacterCuts cuts into segments, against tiktoken's merge of the whole.
        "cjk-random-1MB": ("".join(chr(0x4E00 + value % 20_902) for value in splitmix64(11, 350_000)), True),
    }


def random_strings(count=600):
    rng = random.Random(20261122)
    pools = [
        (0x20, 0x7E), (0x0, 0x20), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
        (0x590, 0x6FF), (0x900, 0x97F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
        (0x2000, 0x206F), (0x1F300, 0x1FAFF), (0xFE00, 0xFE0F), (0x10000, 0x10FFFF),
    ]
    strings = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(0, 60)):
            lo, hi = rng.choice(pools)
            c = rng.randint(lo, hi)
            if 0xD800 <= c <= 0xDFFF:
                continue
            chars.append(chr(c))
        strings.append("".join(chars))
    return strings


def main():
    encodings = {name: encoding(name) for name in ["o200k_base", "cl100k_base"]}
    OUT.mkdir(parents=True, exist_ok=True)
    adv = adversarial()
    (OUT / "adversarial.txt").write_bytes(adv.encode("utf-8"))

    reference = {"generator": "scripts/make_tokenizer_fixtures.py", "tiktoken": tiktoken.__version__, "inputs": {}}
    inputs = {}
    for path in sorted(CORPUS.glob("*.txt")):
        inputs[f"corpus/{path.name}"] = (path.read_bytes().decode("utf-8"), False)
    inputs["fixtures/adversarial.txt"] = (adv, False)
    for name, value in pathological().items():
        inputs[f"generated/{name}"] = value
    for key, (text, one_piece) in inputs.items():
        entry = {"bytes": len(text.encode("utf-8"))}
        for name, enc in encodings.items():
            try:
                ids = enc.encode_ordinary(text)
                oracle = "encode_ordinary"
            except BaseException as error:  # pyo3's PanicException derives from BaseException
                if not one_piece:
                    raise
                # tiktoken's fancy-regex split overflows its backtracking stack on 1 MB of spaces
                # (RuntimeError(StackOverflow)); the text is one piece, so BPE it directly.
                ids = enc._encode_single_piece(text.encode("utf-8"))
                oracle = f"_encode_single_piece (encode_ordinary failed: {type(error).__name__})"
            entry[name] = {"count": len(ids), "sha256_16": id_hash(ids), "oracle": oracle}
        reference["inputs"][key] = entry
        print(key, entry, file=sys.stderr)
    (OUT / "reference.json").write_text(json.dumps(reference, indent=1, ensure_ascii=False) + "\n")

    strings = random_strings()
    cases = [{"text": s, **{name: enc.encode_ordinary(s) for name, enc in encodings.items()}} for s in strings]
    (OUT / "random_strings.json").write_text(json.dumps(cases, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
