#!/usr/bin/env python3
"""tokenbudget against the reference tokenizer, side by side, in one run on the same files.

    pip install tiktoken==0.14.0 sentencepiece==0.2.3
    swift build -c release --product TokenizerThroughput
    python3 Benchmarks/tokenizer_side_by_side.py [--encoding o200k_base|cl100k_base|gemma3|gemma4] [--reps 5]
        [--chunk 0|512] [--mode encode|count] [--cold]

The peer is tiktoken for o200k_base/cl100k_base and the sentencepiece library for the Gemma models
(`SentencePieceProcessor.encode`, C++ core). It runs in this process (loading the same verified
vocabulary file); tokenbudget runs in a
long-lived child (.build/release/TokenizerThroughput) that loads once and times calls. The two are
interleaved per file and repetition, so machine noise hits both alike; MB/s are medians over the
repetitions, the ratio is the median of the per-repetition ratios. Token counts must agree, or the
script stops.

By default tokenbudget's per-thread caches (short-piece memo, piece cache) stay warm across calls, as
in a long-running relay, and a warm-up pass over each file precedes the timed ones. `--cold` gives
every timed pass a new encoder with empty caches: the speed on text never seen before.
"""
import argparse, os, pathlib, statistics, subprocess, sys, time

from utf8_chunks import utf8_chunks  # beside this script


ROOT = pathlib.Path(__file__).resolve().parent.parent
VOCAB = pathlib.Path(os.environ.get("TOKENBUDGET_VOCAB_DIR", pathlib.Path.home() / ".cache/tokenbudget/vocab"))
p = argparse.ArgumentParser()
p.add_argument("--encoding", default="o200k_base")
p.add_argument("--reps", type=int, default=5)
p.add_argument("--chunk", type=int, default=0, help="bytes per call; 0 = whole file")
p.add_argument("--mode", default="encode", choices=["encode", "count"])
p.add_argument("--cold", action="store_true", help="empty tokenbudget caches for every timed pass")
p.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
p.add_argument("--binary", default=str(ROOT / ".build/release/TokenizerThroughput"))
args = p.parse_args()

t0 = time.perf_counter()
if args.encoding.startswith("gemma"):
    import sentencepiece
    peer = f"sentencepiece {sentencepiece.__version__}"
    model = sentencepiece.SentencePieceProcessor(model_file=str(VOCAB / f"{args.encoding}_maxtext.spm.model"))
    encode = model.encode
else:
    import tiktoken, tiktoken.load
    import tiktoken_ext.openai_public as openai_public
    peer = f"tiktoken {tiktoken.__version__}"
    original = tiktoken.load.load_tiktoken_bpe
    openai_public.load_tiktoken_bpe = lambda url, expected_hash=None: original(str(VOCAB / f"{args.encoding}.tiktoken"), expected_hash)
    encode = tiktoken.Encoding(**getattr(openai_public, args.encoding)()).encode_ordinary
print(f"{peer} load {1000 * (time.perf_counter() - t0):.0f} ms", file=sys.stderr)
peer_name = peer.split()[0]

child = subprocess.Popen([args.binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)


def ours(path):
    child.stdin.write(f"{args.mode} {args.encoding} {path} {args.chunk}{' cold' if args.cold else ''}\n")
    child.stdin.flush()
    ns, tokens = child.stdout.readline().split()
    return int(ns) / 1e9, int(tokens)


def theirs(pieces):
    start = time.perf_counter()
    tokens = sum(len(encode(piece)) for piece in pieces)
    return time.perf_counter() - start, tokens


files = sorted(pathlib.Path(args.corpus).glob("*.txt"))
rows, total_bytes = [], 0
their_total, our_total = [0.0] * args.reps, [0.0] * args.reps
for path in files:
    data = path.read_bytes()
    total_bytes += len(data)
    pieces = utf8_chunks(data, args.chunk)
    ours(path)  # warm-up: load, page in, prepare chunks
    theirs(pieces)
    t_times, o_times, ratios = [], [], []
    for rep in range(args.reps):
        t, t_tokens = theirs(pieces)
        o, o_tokens = ours(path)
        if t_tokens != o_tokens:
            sys.exit(f"{path.name}: token counts differ: {peer_name} {t_tokens}, tokenbudget {o_tokens}")
        t_times.append(t); o_times.append(o); ratios.append(t / o)
        their_total[rep] += t; our_total[rep] += o
    mb = len(data) / 1e6
    rows.append((path.name, mb / statistics.median(t_times), mb / statistics.median(o_times), statistics.median(ratios)))

label = "whole file" if args.chunk == 0 else f"{args.chunk}-byte calls"
caches = "cold caches" if args.cold else "warm caches"
print(f"{args.encoding}, {args.mode}, {label}, {caches}, {args.reps} interleaved repetitions, medians; peer {peer}")
print(f"{'file':<16}{peer_name + ' MB/s':>18}{'tokenbudget MB/s':>18}{'ratio':>8}")
for name, t, o, r in rows:
    print(f"{name:<16}{t:>18.1f}{o:>18.1f}{r:>7.2f}x")
mb = total_bytes / 1e6
corpus_ratios = [t / o for t, o in zip(their_total, our_total)]
print(f"{'corpus':<16}{mb / statistics.median(their_total):>18.1f}{mb / statistics.median(our_total):>18.1f}"
      f"{statistics.median(corpus_ratios):>7.2f}x")
child.stdin.close()
