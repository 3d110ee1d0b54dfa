#!/usr/bin/env python3
"""Are fastokens' cold figures in tokenizer_relay_bench.py its own? That script times each cold peer
instance fresh, but in a process that has already encoded every file (tiktoken's reference ids and
the peer's own exactness check). This times one fresh fastokens instance per file, in a fresh
process, after one of:

    fresh     nothing encoded before
    tikseen   tiktoken encoded the same Python strings first (their UTF-8 is then cached in the str)
    preseen   another fastokens instance encoded them first, then was dropped

    python3 Benchmarks/fastokens_cold_check.py --corpus DIR [--runs 3] [--pollute 64]

Each mode runs in its own child process, modes alternated, `--runs` times; one core; `--pollute` MB
written before every timed call. Prints the summed milliseconds of each run (docs/tokenizer.md,
"Stop 36").
"""
import argparse, gc, os, pathlib, subprocess, sys, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
VOCAB = pathlib.Path(os.environ.get("TOKENBUDGET_VOCAB_DIR", pathlib.Path.home() / ".cache" / "tokenbudget" / "vocab"))
p = argparse.ArgumentParser()
p.add_argument("--corpus", required=True)
p.add_argument("--runs", type=int, default=3)
p.add_argument("--pollute", type=int, default=64, metavar="MB")
p.add_argument("--mode", choices=["fresh", "tikseen", "preseen"], help=argparse.SUPPRESS)  # the child's
args = p.parse_args()

if args.mode is None:
    for run in range(args.runs):
        for mode in ["fresh", "tikseen", "preseen"]:
            out = subprocess.run([sys.executable, __file__, "--corpus", args.corpus, "--pollute", str(args.pollute), "--mode", mode],
                                 check=True, capture_output=True, text=True).stdout.strip()
            print(f"run {run + 1} {mode:<8} {out}")
    sys.exit(0)

os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
os.environ["FASTOKENS_BPE_THREADS"] = "1"
import fastokens, tiktoken, tiktoken.load
import tiktoken_ext.openai_public as openai_public

vocab_path = str(VOCAB / "o200k_base.tiktoken")
original = tiktoken.load.load_tiktoken_bpe
openai_public.load_tiktoken_bpe = lambda url, expected_hash=None: original(vocab_path, expected_hash)
spec = openai_public.o200k_base()
texts = [path.read_text("utf-8") for path in sorted(pathlib.Path(args.corpus).rglob("*.txt"))]


def make():
    tok = fastokens.Tokenizer.from_tiktoken(vocab_path, pattern=spec["pat_str"], special_tokens={})
    encode = tok.encode_ordinary if hasattr(tok, "encode_ordinary") else (lambda text: tok.encode(text, add_special_tokens=False))
    encode("x")  # fastokens sets up on the first call (~0.4 s): not the cost of unseen text
    return encode


if args.mode == "tikseen":
    reference = tiktoken.Encoding(**spec)
    for text in texts:
        reference.encode_ordinary(text)
elif args.mode == "preseen":
    other = make()
    for text in texts:
        other(text)
    del other
    gc.collect()
junk = bytearray(args.pollute << 20)
total = 0.0
for text in texts:
    encode = make()
    for i in range(0, len(junk), 64):
        junk[i] = (junk[i] + 1) & 255
    start = time.perf_counter()
    encode(text)
    total += time.perf_counter() - start
print(f"{1000 * total:.1f} ms")
