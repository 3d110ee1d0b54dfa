#!/usr/bin/env python3
"""Two or more tokenbudget variants alternated on the same files: builds against each other, or
count against encode on one build. Our side only (no peer): for A/B decisions, quoted in
docs/tokenizer.md ("Choices, alternatives, measured effect").

    swift build -c release --product TokenizerThroughput && cp .build/release/TokenizerThroughput /tmp/before
    ... change, rebuild ...
    python3 Benchmarks/tokenizer_ab.py --variant /tmp/before:encode --variant .build/release/TokenizerThroughput:encode
    python3 Benchmarks/tokenizer_ab.py --variant .build/release/TokenizerThroughput:encode [--pollute 64] \\
        --variant .build/release/TokenizerThroughput:count [--cold | --warm DIR] [--chunk 512] [--files en.txt,zh.txt]

Each variant is `<TokenizerThroughput binary>:<encode|count>`, run as a long-lived child; per file,
one untimed pass each, then `--reps` rounds in which every variant runs once. Prints the median
milliseconds per file and variant, and the sum over the files.
"""
import argparse, pathlib, statistics, subprocess

from cache_pollution import polluter  # beside this script
from warm_files import warm_files  # beside this script

ROOT = pathlib.Path(__file__).resolve().parent.parent
p = argparse.ArgumentParser()
p.add_argument("--variant", action="append", required=True, help="binary:mode")
p.add_argument("--encoding", default="o200k_base")
p.add_argument("--reps", type=int, default=7)
p.add_argument("--chunk", type=int, default=0)
state = p.add_mutually_exclusive_group()
state.add_argument("--cold", action="store_true")
state.add_argument("--warm", metavar="DIR", default="",
                   help="a fresh encoder per call that first encoded DIR's files as the relay script's warm state does (untimed; warm_files.py)")
p.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus"))
p.add_argument("--files", default="", help="comma-separated names; default every .txt in the corpus")
p.add_argument("--pollute", type=int, default=0, metavar="MB",
               help="write MB of memory before every timed call: what the peers of tokenizer_relay_bench.py do to the caches between our calls")
args = p.parse_args()
# The relay script runs five other tokenizers between two of our calls; their tables evict ours from
# the last-level cache (32 MiB here), so a change that saves instructions but touches more lines can
# win here and lose there. --pollute reproduces that.
pollute = polluter(args.pollute)

variants = []
for spec in args.variant:
    binary, _, mode = spec.rpartition(":")
    child = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    variants.append((f"{pathlib.Path(binary).name}:{mode}", mode, child))
    if args.warm:
        paths, _ = warm_files(args.warm)
        child.stdin.write("warmfrom " + " ".join(str(path) for path in paths) + "\n")
        child.stdin.flush()
        child.stdout.readline()


def run(mode, child, path):
    pollute()
    state = " warm" if args.warm else " cold" if args.cold else ""
    child.stdin.write(f"{mode} {args.encoding} {path} {args.chunk}{state}\n")
    child.stdin.flush()
    return int(child.stdout.readline().split()[0]) / 1e6


names = args.files.split(",") if args.files else sorted(q.name for q in pathlib.Path(args.corpus).glob("*.txt"))
totals = [0.0] * len(variants)
print(f"{args.encoding}, {'warmed on ' + args.warm if args.warm else 'cold' if args.cold else 'warm (the same file)'} caches, chunk {args.chunk or 'whole file'}, medians of {args.reps} (ms)"
      + (f", {args.pollute} MB written before each call" if args.pollute else ""))
print(f"{'file':<16}" + "".join(f"{label:>28}" for label, _, _ in variants))
for name in names:
    path = pathlib.Path(args.corpus) / name
    for _, mode, child in variants:
        run(mode, child, path)
    times = [[] for _ in variants]
    for _ in range(args.reps):
        for index, (_, mode, child) in enumerate(variants):
            times[index].append(run(mode, child, path))
    medians = [statistics.median(t) for t in times]
    totals = [a + b for a, b in zip(totals, medians)]
    print(f"{name:<16}" + "".join(f"{m:>28.2f}" for m in medians))
print(f"{'sum':<16}" + "".join(f"{t:>28.1f}" for t in totals))
