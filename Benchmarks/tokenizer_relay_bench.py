#!/usr/bin/env python3
"""What a relay sees: every file of a corpus timed once per round, on text the encoder has not seen.

    pip install tiktoken==0.14.0 sentencepiece==0.2.3 fastokens gigatoken riptoken bpe-openai   # whichever install
    swift build -c release --product TokenizerThroughput
    python3 Benchmarks/tokenizer_relay_bench.py [--corpus DIR] [--warm-corpus DIR] [--encoding o200k_base|cl100k_base|gemma3|gemma4]
        [--rounds 5] [--chunk 0|512] [--peers fastokens,gigatoken,riptoken,bpe-openai,quicktok] [--seen] [--pollute MB]

States per contestant, each measured on every file in every round, all interleaved:
- cold: a fresh encoder per file per round (for peers a new instance, built untimed);
- warm: a fresh encoder that first encoded `--warm-corpus` (untimed, at most `--warm-bytes`), a
  corpus other than the timed one: a process that has served other turns, not these;
- with `--seen`, also seen: one encoder (one peer instance) that has encoded every file before, in
  the exactness check — every piece in its caches: the upper bound, what first sight costs beside it.
tiktoken keeps no state between calls, so one instance serves both. For the Gemma models the
reference is the sentencepiece library (C++, no cache between calls either) and the peers are
fastokens and Hugging Face tokenizers on the `tokenizer.json` that transformers' converter makes of
the model (`gemma_tokenizer_json.py`; needs transformers and protobuf). Before timing, each peer's ids
and ours are compared with the reference's on every file (whole or in `--chunk` calls); a peer that
differs or does not install is skipped with the reason. Per file: the median over rounds of the
same-round ratio reference time / contestant time. Corpus: the median over rounds of the summed
times' ratio. `min` is the weakest file's median ratio.

Single core: the script pins itself (and so the TokenizerThroughput child) to one CPU before any
peer loads. fastokens 0.3.5 otherwise spreads an input of 64 KiB or more over every core it may use
(its `fanout` pool, `FASTOKENS_BPE_THREADS`), so whole files of ~110 KB ran on two cores here.
"""
import argparse, array, os, pathlib, statistics, subprocess, sys, tempfile, time

from utf8_chunks import utf8_chunks  # beside this script
from cache_pollution import polluter  # beside this script
from warm_files import WARM_BYTES, warm_files  # beside this script

ROOT = pathlib.Path(__file__).resolve().parent.parent
VOCAB = pathlib.Path(os.environ.get("TOKENBUDGET_VOCAB_DIR", pathlib.Path.home() / ".cache/tokenbudget/vocab"))
SHARED = ROOT.parent / "shared" / "corpus"
p = argparse.ArgumentParser()
p.add_argument("--encoding", default="o200k_base", choices=["o200k_base", "cl100k_base", "gemma3", "gemma4"])
p.add_argument("--corpus", default=str(SHARED))
p.add_argument("--warm-corpus", default=None, help="default: the shared corpus, or --heldout when timing it")
p.add_argument("--warm-bytes", type=int, default=WARM_BYTES)
p.add_argument("--rounds", type=int, default=5)
p.add_argument("--chunk", type=int, default=0, help="bytes per call; 0 = whole file")
p.add_argument("--mode", default="encode", choices=["encode", "count"], help="ours only; peers always encode")
p.add_argument("--peers", default=None,
               help="default: fastokens,gigatoken,riptoken,bpe-openai,quicktok; for Gemma fastokens,tokenizers")
p.add_argument("--binary", default=str(ROOT / ".build/release/TokenizerThroughput"))
p.add_argument("--seen", action="store_true", help="also time the files again on an encoder that has seen them")
p.add_argument("--pollute", type=int, default=0, metavar="MB",
               help="write MB of memory before every timed call of every contestant (untimed): no contestant's "
                    "tables start in the core's own cache, as between two turns of a relay")
args = p.parse_args()

# One core for every contestant: Rust's `available_parallelism` (fastokens' and rayon's default
# thread counts) reads the affinity mask, so the peers start no worker threads; the variables say the
# same to any library that reads them instead.
CORE = min(os.sched_getaffinity(0))
os.sched_setaffinity(0, {CORE})
for variable in ("FASTOKENS_BPE_THREADS", "RAYON_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ[variable] = "1"

corpus = pathlib.Path(args.corpus)
warm_corpus = pathlib.Path(args.warm_corpus) if args.warm_corpus else SHARED
if warm_corpus.resolve() == corpus.resolve():
    sys.exit("--warm-corpus must differ from --corpus: warm means warmed on other text")
files = sorted(path for path in corpus.rglob("*.txt") if path.name != "README.md")
warm_files, warm_size = warm_files(warm_corpus, args.warm_bytes)
# Warmed in slices of ~64 KB (bpe-openai refuses calls over 200,000 tokens); ours reads whole files.
warm_texts = [text[i : i + 65_536] for text in (path.read_text("utf-8") for path in warm_files) for i in range(0, len(text), 65_536)]

GEMMA = args.encoding.startswith("gemma")
if GEMMA:
    import sentencepiece

    model = sentencepiece.SentencePieceProcessor(model_file=str(VOCAB / f"{args.encoding}_maxtext.spm.model"))
    reference_name = f"sentencepiece {sentencepiece.__version__}"
    reference_encode = model.encode  # no BOS/EOS: the ids scripts/make_gemma_fixtures.py records
    gemma_json_dir = tempfile.TemporaryDirectory()
    args.peers = "fastokens,tokenizers" if args.peers is None else args.peers
else:
    import tiktoken, tiktoken.load
    import tiktoken_ext.openai_public as openai_public

    vocab_path = str(VOCAB / f"{args.encoding}.tiktoken")
    original = tiktoken.load.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda url, expected_hash=None: original(vocab_path, expected_hash)
    spec = getattr(openai_public, args.encoding)()
    reference = tiktoken.Encoding(**spec)
    reference_name = f"tiktoken {tiktoken.__version__}"
    reference_encode = reference.encode_ordinary
    args.peers = "fastokens,gigatoken,riptoken,bpe-openai,quicktok" if args.peers is None else args.peers


def fastokens_factory():
    import fastokens
    def make():
        tok = fastokens.Tokenizer.from_tiktoken(vocab_path, pattern=spec["pat_str"], special_tokens={})
        encode = tok.encode_ordinary if hasattr(tok, "encode_ordinary") else (lambda text: tok.encode(text, add_special_tokens=False))
        return lambda text: encode(text).ids
    return make


def gemma_peer(name):
    """fastokens or Hugging Face tokenizers on the model's converted tokenizer.json (converted once)."""
    from gemma_tokenizer_json import gemma_tokenizer_json  # beside this script

    json_path = next(pathlib.Path(gemma_json_dir.name).glob("*.tokenizer.json"), None)
    if json_path is None:
        json_path = gemma_tokenizer_json(VOCAB / f"{args.encoding}_maxtext.spm.model", gemma_json_dir.name)
    if name == "fastokens":
        import fastokens
        loader = fastokens.Tokenizer.from_file
    elif name == "tokenizers":
        import tokenizers
        loader = tokenizers.Tokenizer.from_file
    else:
        raise RuntimeError("not a peer for the Gemma models (fastokens, tokenizers)")

    def make():
        tok = loader(str(json_path))
        # add_special_tokens=False: no BOS/EOS; user-defined pieces are still matched in the text.
        return lambda text: tok.encode(text, add_special_tokens=False).ids
    return make


def make_peer(name):
    """A factory of fresh encode_ordinary functions, or a reason it is unavailable."""
    if GEMMA:
        return gemma_peer(name)
    if name == "fastokens":
        return fastokens_factory()
    if name == "gigatoken":
        import gigatoken
        return lambda: gigatoken.Tokenizer.from_tiktoken(vocab_path).as_tiktoken().encode_ordinary
    if name == "riptoken":
        import riptoken
        ranks = tiktoken.load.load_tiktoken_bpe(vocab_path)
        return lambda: riptoken.CoreBPE(ranks, {}, spec["pat_str"]).encode_ordinary
    if name == "bpe-openai":
        import bpe_openai
        return lambda: bpe_openai.build_encoding_from_name(args.encoding).encode_ordinary
    if name == "quicktok":
        import quicktok
        raise RuntimeError("quicktok 0.2 trains its own BPE (BasicTokenizer); it loads no tiktoken vocabulary")
    raise RuntimeError("unknown peer")


inputs = {path: utf8_chunks(path.read_bytes(), args.chunk) for path in files}
expected = {path: [token for piece in pieces for token in reference_encode(piece)] for path, pieces in inputs.items()}

peers = {}
seen_instances = {}  # per peer, the instance of the exactness check: it has encoded every file
for name in [name for name in args.peers.split(",") if name]:
    try:
        factory = make_peer(name)
        started = time.perf_counter()
        encode = factory()
        built = time.perf_counter() - started
        for path, pieces in inputs.items():
            got = [token for piece in pieces for token in encode(piece)]
            if list(got) != expected[path]:
                raise RuntimeError(f"ids differ from {reference_name} on {path.name}")
        peers[name] = factory
        seen_instances[name] = encode
        print(f"peer {name}: exact on {len(files)} files (built in {1000 * built:.0f} ms)", file=sys.stderr)
    except Exception as error:  # not installed, inexact, or no such API: say so and go on
        print(f"peer {name}: skipped ({type(error).__name__}: {error})", file=sys.stderr)

child = subprocess.Popen([args.binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)


def ask(line):
    child.stdin.write(line + "\n")
    child.stdin.flush()
    return child.stdout.readline().split()


ask("warmfrom " + " ".join(str(path) for path in warm_files))
if args.pollute:
    ask(f"pollute {args.pollute}")  # the child writes it itself, after its warm pass, as timed() does here
with tempfile.TemporaryDirectory() as scratch:
    for path in files:
        out = pathlib.Path(scratch, "ids")
        ask(f"ids {args.encoding} {path} {args.chunk} {out}")
        if array.array("I", out.read_bytes()).tolist() != expected[path]:
            sys.exit(f"tokenbudget: ids differ from {reference_name} on {path.name}")
print(f"tokenbudget: exact on {len(files)} files", file=sys.stderr)


def ours(path, state):
    # No state word: the child's shared encoder, which encoded every file for the ids check.
    command = f"{args.mode} {args.encoding} {path} {args.chunk}" + ("" if state == "seen" else f" {state}")
    ns, tokens = ask(command)
    if int(tokens) != len(expected[path]):
        sys.exit(f"{path.name}: tokenbudget counted {tokens}, {reference_name} {len(expected[path])}")
    return int(ns) / 1e9


# A peer built for a cold call has just written its tables (fastokens also reads its merge tables
# and copies a 16-32 MiB cache seed when it binds), so they may start in the core's own cache while
# ours, loaded once, were pushed out by the contestants before. Between two turns a relay does other
# work (JSON, SQLite, its own I/O). `--pollute MB` writes a buffer larger than the core's own cache
# (stop 28's machine: 4 MiB L2 per core, 260 MiB shared L3) before every timed call of every
# contestant, ours in the child after its warm pass. Held-out o200k, stop 28: fastokens stays ahead
# cold with it (0.81x with 8 MB against 0.82-0.91x without): build order does not explain the gap.
pollute = polluter(args.pollute)


def timed(encode, pieces):
    pollute()
    start = time.perf_counter()
    for piece in pieces:
        encode(piece)
    return time.perf_counter() - start


def peer_time(name, factory, path, state):
    if state == "seen":
        return timed(seen_instances[name], inputs[path])
    encode = factory()
    # One untimed call: some peers set up lazily on the first call (fastokens ~0.4 s, gigatoken
    # ~0.4 s); that is start-up, not the cost of unseen text.
    encode("x")
    if state == "warm":
        for text in warm_texts:
            encode(text)
    return timed(encode, inputs[path])


contestants = ["tokenbudget"] + list(peers)
states = ["cold", "warm"] + (["seen"] if args.seen else [])
times = {(c, s): {path: [] for path in files} for c in contestants + ["reference"] for s in states}
for round_index in range(args.rounds):
    for path in files:
        for state in states:
            times[("reference", state)][path].append(timed(reference_encode, inputs[path]))
            times[("tokenbudget", state)][path].append(ours(path, state))
            for name, factory in peers.items():
                times[(name, state)][path].append(peer_time(name, factory, path, state))
    print(f"round {round_index + 1}/{args.rounds} done", file=sys.stderr)

total_mb = sum(path.stat().st_size for path in files) / 1e6
label = "whole files" if args.chunk == 0 else f"{args.chunk}-byte calls"
print(f"{args.encoding}, {label}, {args.rounds} rounds, one core (CPU {CORE}), corpus {corpus} ({len(files)} files, {total_mb:.2f} MB), "
      f"warm on {len(warm_files)} files of {warm_corpus} ({warm_size / 1e6:.2f} MB); ratios = {reference_name} time / contestant time")
print(f"{'contestant':<14}{'state':<6}{'MB/s':>8}{'corpus':>9}{'min file':>22}{'vs fastokens':>14}")
summary = {}
for state in states:
    base = times[("reference", state)]
    base_sums = [sum(base[path][r] for path in files) for r in range(args.rounds)]
    print(f"{reference_name.split()[0][:13]:<14}{state:<6}{total_mb / statistics.median(base_sums):>8.1f}{1:>8.2f}x")
    for name in contestants:
        mine = times[(name, state)]
        sums = [sum(mine[path][r] for path in files) for r in range(args.rounds)]
        corpus_ratio = statistics.median(b / s for b, s in zip(base_sums, sums))
        per_file = {path: statistics.median(b / m for b, m in zip(base[path], mine[path])) for path in files}
        weakest = min(per_file, key=per_file.get)
        summary[(name, state)] = (sums, per_file)
        versus = ""
        if "fastokens" in peers:
            fast_sums = [sum(times[("fastokens", state)][path][r] for path in files) for r in range(args.rounds)]
            versus = f"{statistics.median(f / s for f, s in zip(fast_sums, sums)):>13.2f}x"
        print(f"{name:<14}{state:<6}{total_mb / statistics.median(sums):>8.1f}{corpus_ratio:>8.2f}x"
              f"{weakest.name[:12]:>13} {per_file[weakest]:>6.2f}x{versus}")
print()
print(f"per file, {' / '.join(['tokenbudget'] + (['fastokens'] if 'fastokens' in peers else []))} ratios to {reference_name} ({', '.join(states)}):")
for path in files:
    row = [f"{summary[(name, s)][1][path]:.2f}" for name in ["tokenbudget"] + (["fastokens"] if "fastokens" in peers else []) for s in states]
    print(f"  {path.name:<24}" + "  ".join(f"{value:>6}" for value in row))
child.stdin.close()
