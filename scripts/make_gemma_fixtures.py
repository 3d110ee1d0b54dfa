#!/usr/bin/env python3
"""Regenerates the Gemma oracle fixtures: sentencepiece's ids for everything the Gemma tests compare.

    pip install sentencepiece==0.2.3
    python3 scripts/make_gemma_fixtures.py [../shared/corpus]

Writes, in fixtures/tokenizer/:
  gemma_adversarial.txt      text built here to break a SentencePiece re-implementation (`adversarial()`)
  gemma_reference.json       per input and model: token count and the first 16 hex digits of the SHA-256
                             of the ids as little-endian uint32 (the corpus README's hash)
  gemma_random_strings.json  seeded random Unicode strings with their full id lists
and, for `unused_variant` in the reference and `gemma3_unused` in the random strings, the ids of a
variant of gemma3 whose pieces UNUSED_IDS are retyped UNUSED (Gemma has no UNUSED pieces of its own,
so this is the only oracle for SentencePiece's resegmentation of merged UNUSED pieces).
The models are read from $TOKENBUDGET_VOCAB_DIR (default ~/.cache/tokenbudget/vocab), the files
scripts/bootstrap.sh verified. Ids are `SentencePieceProcessor.encode(text)`: no BOS, no EOS.
"""
import hashlib, json, os, random, struct, sys, pathlib

import sentencepiece

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "tokenizer"
VOCAB = pathlib.Path(os.environ.get("TOKENBUDGET_VOCAB_DIR", pathlib.Path.home() / ".cache/tokenbudget/vocab"))
CORPUS = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "corpus"
MODELS = {"gemma3": "gemma3_maxtext.spm.model", "gemma4": "gemma4_maxtext.spm.model"}
UNUSED_IDS = range(1000, 3000)  # NORMAL pieces among them become UNUSED (GemmaTests.swift does the same)


def unused_variant():
    from sentencepiece import sentencepiece_model_pb2 as pb
    model = pb.ModelProto()
    model.ParseFromString((VOCAB / MODELS["gemma3"]).read_bytes())
    for index in UNUSED_IDS:
        if model.pieces[index].type == pb.ModelProto.SentencePiece.NORMAL:
            model.pieces[index].type = pb.ModelProto.SentencePiece.UNUSED
    return sentencepiece.SentencePieceProcessor(model_proto=model.SerializeToString())


def id_hash(ids):
    return hashlib.sha256(struct.pack(f"<{len(ids)}I", *ids)).hexdigest()[:16]


def adversarial():
    parts = []
    # Runs of spaces, tabs and newlines around the lengths of Gemma's user-defined runs (2..31).
    for ch in [" ", "\t", "\n"]:
        for n in [1, 2, 3, 30, 31, 32, 33, 62, 63, 64, 100]:
            parts.append(f"x{ch * n}y {ch * n} z{ch * n}")
    parts.append(" \t \n \r\n\r \t\t  \n\n  x\u00A0y\u3000z\u2028w\u2029v\u0085u")
    # Digits: split_digits vocabularies have no multi-digit pieces.
    parts.append("1234567890 3.14159 1,000,000.50 0x1F 1e-9 ١٢٣٤٥ ४२ 〇一二 ²³¹ ½ " + "9" * 500)
    # Characters with no piece: byte fallback (private use, rare CJK extensions, old scripts, controls).
    parts.append("\uE000\uF8FF \U000F0000\U0010FFFF \U00020000\U0002A6D6\U00030000 \U00010330\U00010331 "
                 "\U0001F9FF\U0001FAF8 \u0000\u0001\u001F\u007F\u0080\u009F x\uFFFE\uFFFFy \uFFFD")
    # Emoji: ZWJ sequences, skin tones, flags, keycaps, variation selectors.
    parts.append("👨‍👩‍👧‍👦 🏳️‍🌈 👍🏽 🇮🇹🇷🇴 #️⃣ 1️⃣ ❤️ ☺︎ 🧑🏿‍🤝‍🧑🏻 👩‍💻x 🫨🪿")
    # The escape character itself, and text that looks like pieces of every type.
    parts.append("\u2581 \u2581\u2581x\u2581 a\u2581\u2581\u2581b ▁hello ▁▁▁")
    parts.append("<start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n<unused0><unused99><unused6241>"
                 "<mask>[multimodal]<start_of_image><end_of_image><bos><eos><pad><unk><0x41><0xZZ>"
                 "<b>bold</b> <table><tr><td>1</td></tr></table> <<b>> </b</ <h1>t</h1>")
    # The one piece with an inner escaped space (`>▁</`) and its neighbours.
    parts.append("<i>a</i> <b> </b> x> </y >  </ > </> > </ </ > <") 
    # Combining marks, scripts, RTL, CR/CRLF.
    parts.append("e\u0301 a\u0308\u0301 \u0301start Z\u0336\u0351\u0364a שָׁלוֹם नमस्ते ஸ்ரீ 한국어 각 مرحبا بالعالم")
    parts.append("a\r\nb\r\r\n\n\r\n  \r  \n\n\n \r\n\t\r\nend\r")
    # Long runs without a space: the heap path.
    for ch in ["a", "中", "🙂", "é", "-", "ab", "1", ".", "\u2581"]:
        parts.append(ch * 3_000)
    parts.append("人工智能的发展需要大量的数据和计算资源" * 300)
    parts.append("antidisestablishmentarianism" * 200)
    return "\n".join(parts)


def random_strings(count=600):
    rng = random.Random(20261201)
    pools = [
        (0x20, 0x7E), (0x0, 0x20), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF),
        (0x590, 0x6FF), (0x900, 0x97F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3),
        (0x2000, 0x206F), (0x1F300, 0x1FAFF), (0xFE00, 0xFE0F), (0x10000, 0x10FFFF), (0x20, 0x20),
        (0x2581, 0x2581), (0x9, 0xA), (0x30, 0x39),
    ]
    words = ["<b>", "</b>", "<start_of_turn>", "<unused1>", "> </", "  ", "\n\n", "\t\t", " the", "ing"]
    strings = []
    for _ in range(count):
        chars = []
        for _ in range(rng.randint(0, 60)):
            if rng.random() < 0.08:
                chars.append(rng.choice(words))
                continue
            lo, hi = rng.choice(pools)
            c = rng.randint(lo, hi)
            if 0xD800 <= c <= 0xDFFF:
                continue
            chars.append(chr(c))
        strings.append("".join(chars))
    return strings


def main():
    models = {name: sentencepiece.SentencePieceProcessor(model_file=str(VOCAB / file)) for name, file in MODELS.items()}
    OUT.mkdir(parents=True, exist_ok=True)
    adv = adversarial()
    (OUT / "gemma_adversarial.txt").write_bytes(adv.encode("utf-8"))

    reference = {"generator": "scripts/make_gemma_fixtures.py", "sentencepiece": sentencepiece.__version__, "inputs": {}}
    inputs = {f"corpus/{path.name}": path.read_bytes().decode("utf-8") for path in sorted(CORPUS.glob("*.txt"))}
    inputs["fixtures/gemma_adversarial.txt"] = adv
    inputs["fixtures/adversarial.txt"] = (OUT / "adversarial.txt").read_bytes().decode("utf-8")
    inputs["generated/one-char-a-200KB"] = "a" * 200_000
    inputs["generated/one-char-space-200KB"] = " " * 200_000
    for key, text in inputs.items():
        entry = {"bytes": len(text.encode("utf-8"))}
        for name, model in models.items():
            ids = model.encode(text)
            entry[name] = {"count": len(ids), "sha256_16": id_hash(ids)}
        reference["inputs"][key] = entry
        print(key, entry, file=sys.stderr)
    variant = unused_variant()
    ids = variant.encode(adv)
    reference["unused_variant"] = {"base": "gemma3", "unused_ids": [UNUSED_IDS.start, UNUSED_IDS.stop],
                                   "input": "fixtures/gemma_adversarial.txt", "count": len(ids), "sha256_16": id_hash(ids)}
    (OUT / "gemma_reference.json").write_text(json.dumps(reference, indent=1, ensure_ascii=False) + "\n")

    cases = [{"text": s, **{name: model.encode(s) for name, model in models.items()}, "gemma3_unused": variant.encode(s)}
             for s in random_strings()]
    (OUT / "gemma_random_strings.json").write_text(json.dumps(cases, ensure_ascii=True) + "\n")


if __name__ == "__main__":
    main()
