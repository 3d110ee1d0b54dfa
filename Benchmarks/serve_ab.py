#!/usr/bin/env python3
"""Two `tokenbudget` builds side by side under the same `serve` load (Benchmarks/ServeLoad), alternated
round by round so that both see the same machine: medians of events/s and of paced p50/p99 latency,
in memory and with a fresh SQLite store each run, and the same-run ratio B / A.

    swift build -c release --product ServeLoad
    python3 Benchmarks/serve_ab.py --a OLD/tokenbudget --b .build/release/tokenbudget [--rounds 5]

2 shared cores: quote the medians and the ratio, never one run.
"""
import argparse, pathlib, re, statistics, subprocess, tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
parser = argparse.ArgumentParser()
parser.add_argument("--a", required=True, help="baseline binary")
parser.add_argument("--b", required=True, help="candidate binary")
parser.add_argument("--rounds", type=int, default=5)
parser.add_argument("--events", type=int, default=200_000)
parser.add_argument("--latency-events", type=int, default=5_000)
parser.add_argument("--load", default=str(ROOT / ".build/release/ServeLoad"))
args = parser.parse_args()

THROUGHPUT = re.compile(r"= (\d+) events/s")
LATENCY = re.compile(r"p50 (\d+) µs, p90 \d+ µs, p99 (\d+) µs")


def run(binary, store):
    with tempfile.TemporaryDirectory() as folder:
        location = "none" if store == "memory" else f"{folder}/bench.db"
        out = subprocess.run(
            [args.load, "--binary", binary, "--events", str(args.events), "--rate", "1000",
             "--latency-events", str(args.latency_events), "--serve-arg", "--store", "--serve-arg", location],
            capture_output=True, text=True, check=True).stdout
    p50, p99 = LATENCY.search(out).groups()
    return int(THROUGHPUT.search(out).group(1)), int(p50), int(p99)


results = {(name, store): [] for name in "ab" for store in ("memory", "sqlite")}
for round in range(args.rounds):
    order = "ab" if round % 2 == 0 else "ba"
    for store in ("memory", "sqlite"):
        for name in order:
            results[(name, store)].append(run(getattr(args, name), store))
    print(f"round {round + 1}/{args.rounds} done", flush=True)

for store in ("memory", "sqlite"):
    medians = {}
    for name in "ab":
        runs = results[(name, store)]
        medians[name] = [statistics.median(r[i] for r in runs) for i in range(3)]
        print(f"{store:<6} {name}: {medians[name][0]:>9,.0f} events/s  p50 {medians[name][1]:>5.0f} µs  "
              f"p99 {medians[name][2]:>6.0f} µs   (runs: {', '.join(f'{r[0]:,}' for r in runs)})")
    print(f"{store:<6} b/a: throughput {medians['b'][0] / medians['a'][0]:.3f}x, "
          f"p50 {medians['b'][1] / medians['a'][1]:.3f}x, p99 {medians['b'][2] / medians['a'][2]:.3f}x")
