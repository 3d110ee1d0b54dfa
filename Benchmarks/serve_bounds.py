#!/usr/bin/env python3
"""Issue 15: memory and time that must not grow without bound, measured on the real `serve` process.

    python3 Benchmarks/serve_bounds.py --binary .build/release/tokenbudget ended-calls [--store none|sqlite] [--calls 50000]
    python3 Benchmarks/serve_bounds.py --binary … long-session [--store sqlite] [--turns 200000]
    python3 Benchmarks/serve_bounds.py --binary … chunks [--chunks 20000] [--store none|sqlite] [--batch 1000] [--text T] [--encoding E]
    python3 Benchmarks/serve_bounds.py --binary … messages [--messages 500] [--metadata-bytes 540000]
    python3 Benchmarks/serve_bounds.py --binary … rebuild [--turns 60000] [--whole-log]
    python3 Benchmarks/serve_bounds.py --binary … export [--messages 10000] [--rounds 5] [--no-export]
    python3 Benchmarks/serve_bounds.py --binary … long-line [--mb 8 16 32]
    python3 Benchmarks/serve_bounds.py --binary … keyed [--requests 2000 8000]
    python3 Benchmarks/serve_bounds.py --binary … setup-keys [--keys 10000 40000]

RSS is VmRSS from /proc/<pid>/status of the serve process; answers are counted as they are read.
Each prints its figures as `name: value` lines.
"""
import argparse, json, os, statistics, subprocess, sys, tempfile, threading, time

SCRIPT = "You are Ada, a sales agent for Solar Roofs. Be brief, friendly and concrete."


class Serve:
    def __init__(self, binary, store, extra=()):
        args = [binary, "serve", "--store", store, *extra]
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, bufsize=0)
        self.lines = 0
        self.bytes = 0
        self.last = None
        self.keep = False
        self.kept = []
        self.cv = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        f = self.p.stdout
        pending = []  # pieces of the line in progress (a 270 MB line must not be re-copied per read)
        while True:
            data = f.read(1 << 16)
            if not data:
                break
            self.bytes += len(data)
            if b"\n" not in data:
                pending.append(data)
                continue
            pending.append(data)
            parts = b"".join(pending).split(b"\n")
            pending = [parts[-1]]
            with self.cv:
                self.lines += len(parts) - 1
                if self.keep:
                    self.kept.extend(parts[:-1])
                if len(parts) > 1:
                    self.last = parts[-2]
                self.cv.notify_all()

    def send(self, lines):
        self.p.stdin.write(("\n".join(lines) + "\n").encode())

    def wait(self, count, timeout=600):
        with self.cv:
            self.cv.wait_for(lambda: self.lines >= count, timeout)
        return self.lines

    def rss_mb(self):
        with open(f"/proc/{self.p.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def close(self):
        self.p.stdin.close()
        self.p.wait(120)


def req(i, method, params):
    return json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params}, separators=(",", ":"))


def store_arg(kind, folder):
    return "none" if kind == "none" else os.path.join(folder, "s.db")


def ended_calls(a, folder):
    s = Serve(a.binary, store_arg(a.store, folder))
    sent = 0
    rid = 0

    def calls(first, n):
        nonlocal sent, rid
        for start in range(first, first + n, 500):
            batch = []
            for k in range(start, min(first + n, start + 500)):
                sid = f"call-{k:07d}"
                rid += 1; batch.append(req(rid, "session.open", {"session": sid, "script": SCRIPT, "business": "b"}))
                rid += 1; batch.append(req(rid, "turn.append", {"session": sid, "role": "user", "text": "How much is it for a house of 120 square metres?"}))
                rid += 1; batch.append(req(rid, "turn.append", {"session": sid, "role": "model", "text": "About nine thousand euros installed, ten percent off this month."}))
                rid += 1; batch.append(req(rid, "session.close", {"session": sid, "status": "resolved"}))
            s.send(batch)
            sent += len(batch)
            s.wait(sent)

    calls(0, 200)
    start = s.rss_mb()
    t0 = time.time()
    marks = []
    step = a.calls // 5
    for part in range(5):
        calls(200 + part * step, step)
        marks.append(s.rss_mb())
    elapsed = time.time() - t0
    print(f"store: {a.store}")
    print(f"calls: {a.calls} (open, 2 turns, close each)")
    print(f"rss_start_mb: {start:.1f}")
    print("rss_marks_mb: " + " ".join(f"{m:.1f}" for m in marks))
    print(f"rss_end_mb: {marks[-1]:.1f}")
    print(f"growth_percent: {100 * (marks[-1] - start) / start:.1f}")
    print(f"requests_per_s: {4 * a.calls / elapsed:.0f}")
    s.close()


def long_session(a, folder):
    s = Serve(a.binary, store_arg(a.store, folder))
    s.send([req(0, "session.open", {"session": "long", "script": SCRIPT, "window": 4000})])
    sent = 1
    rid = 0

    def turns(n):
        nonlocal sent, rid
        for start in range(0, n, 1000):
            batch = []
            for k in range(start, min(n, start + 1000)):
                rid += 1
                role = "user" if rid % 2 else "model"
                batch.append(req(rid, "turn.append", {"session": "long", "role": role, "text": f"turn {rid}: a sentence of about sixty bytes, give or take."}))
            s.send(batch)
            sent += len(batch)
            s.wait(sent)

    turns(2000)
    start = s.rss_mb()
    marks = []
    for part in range(5):
        turns(a.turns // 5)
        marks.append(s.rss_mb())
    print(f"store: {a.store}")
    print(f"turns: {a.turns} (window 4000: the context stays ~4k tokens)")
    print(f"rss_start_mb: {start:.1f}")
    print("rss_marks_mb: " + " ".join(f"{m:.1f}" for m in marks))
    print(f"growth_percent: {100 * (marks[-1] - start) / start:.1f}")
    s.close()


def chunks(a, folder):
    """One user turn streamed as `--chunks` chunks of `--text` ("word ", 5 bytes), `--batch` requests written
    at once (1000: pipelined, one store transaction per batch; 1: a chunk per transaction, as a relay that
    waits). A text with no space ("😀😀", "مرحبا", "!?!?") makes the turn one long open piece."""
    s = Serve(a.binary, "none" if a.store == "none" else os.path.join(folder, "s.db"))
    s.send([req(0, "session.open", {"session": "c", "script": SCRIPT, "window": 100_000_000, "encoding": a.encoding})])
    s.wait(1)
    base = s.bytes
    text = a.text
    times = []
    sent = 1
    per = a.batch
    window, elapsed = 0, 0.0
    for start in range(0, a.chunks, per):
        batch = [req(sent + k, "turn.append", {"session": "c", "role": "user", "text": text, "final": False}) for k in range(per)]
        t0 = time.time()
        s.send(batch)
        sent += per
        s.wait(sent)
        elapsed += time.time() - t0
        window += per
        if window >= 1000:
            times.append(elapsed / window * 1000)
            window, elapsed = 0, 0.0
    input_bytes = a.chunks * len(text)
    print(f"chunks: {a.chunks} of {len(text)} bytes, {per} a batch, store {a.store}")
    print(f"output_bytes: {s.bytes - base}")
    print(f"output_per_chunk_first_last: {(s.bytes - base) / a.chunks:.0f} (average)")
    print(f"ms_per_chunk_first_1000: {times[0]:.3f}")
    print(f"ms_per_chunk_last_1000: {times[-1]:.3f}")
    s.close()


def messages(a, folder):
    path = os.path.join(folder, "s.db")
    s = Serve(a.binary, path)
    s.send([req(0, "session.open", {"session": "m", "script": SCRIPT})])
    blob = "x" * a.metadata_bytes
    sent = 1
    for k in range(a.messages):
        s.send([req(k + 1, "turn.append", {"session": "m", "role": "user" if k % 2 == 0 else "model",
                                            "text": f"turn {k}", "metadata": {"prosody": blob}})])
        sent += 1
    s.wait(sent)
    s.keep = True
    t0 = time.time()
    s.send([req(10**6, "session.messages", {"session": "m", "limit": 500}),
             req(10**6 + 1, "session.ping", {"session": "m"})])
    s.wait(sent + 1)
    first = time.time() - t0
    s.wait(sent + 2)
    ping = time.time() - t0
    sizes = [len(x) for x in s.kept]
    print(f"messages: {a.messages} with {a.metadata_bytes} bytes of metadata each")
    print(f"answer_bytes: {sizes[0] if sizes else 0}")
    print(f"seconds_to_answer: {first:.3f}")
    print(f"seconds_until_ping_answered: {ping:.3f}")
    print(f"rss_mb_after: {s.rss_mb():.1f}")
    s.close()


def rebuild(a, folder):
    path = os.path.join(folder, "s.db")
    s = Serve(a.binary, path)
    s.send([req(0, "session.open", {"session": "big", "script": SCRIPT, "window": 8000}),
            req(1, "session.open", {"session": "small", "script": SCRIPT})])
    sent = 2
    rid = 10
    words = "so the panels would cover about forty square metres of the roof, wouldn't they? "
    filler = (words * (a.text_bytes // len(words) + 1))[:a.text_bytes]
    for start in range(0, a.turns, 1000):
        batch = []
        for k in range(start, min(a.turns, start + 1000)):
            rid += 1
            batch.append(req(rid, "turn.append", {"session": "big", "role": "user" if k % 2 == 0 else "model",
                                                  "text": f"turn {k}: " + filler}))
        s.send(batch)
        sent += len(batch)
        s.wait(sent)
    s.close()
    if a.whole_log:
        # The same store without its checkpoints: the rebuild folds the whole log (the oracle path).
        import sqlite3
        with sqlite3.connect(path) as db:
            db.execute("DELETE FROM checkpoints")
    s = Serve(a.binary, path)
    s.send([req(1, "session.ping", {"session": "small"})])
    s.wait(1)
    t0 = time.time()
    s.send([req(2, "session.ping", {"session": "big"})])
    time.sleep(0.001)
    t1 = time.time()
    s.send([req(3, "session.ping", {"session": "small"})])
    s.wait(3)
    other = time.time() - t1
    total = time.time() - t0
    print(f"turns: {a.turns} of ~{a.text_bytes} bytes, {'whole log' if a.whole_log else 'from the newest checkpoint'}")
    print(f"seconds_first_touch_of_big_and_ping_of_small: {total:.3f}")
    print(f"ms_ping_of_other_session_sent_during_rebuild: {other * 1000:.1f}")
    s.close()


def export(a, folder):
    """`--export-dir`: how long the answers that share a batch with a `session.close` (and the next
    request after them) wait for the closed session's export. `--rounds` sessions of `--messages`
    turns each are stored first; each round closes one of them in the same write as a turn of
    another session, then sends one more turn and times its answer."""
    exports = os.path.join(folder, "exports")
    s = Serve(a.binary, os.path.join(folder, "s.db"), [] if a.no_export else ["--export-dir", exports])
    sent = 0

    def call(lines):
        nonlocal sent
        t0 = time.time()
        s.send(lines)
        sent += len(lines)
        s.wait(sent)
        return (time.time() - t0) * 1000

    call([req(0, "session.open", {"session": "live", "script": SCRIPT, "window": 10_000_000})])
    turn = "How much is it for a house of 120 square metres, and is there a discount this month?"
    for r in range(a.rounds):
        call([req(0, "session.open", {"session": f"long-{r}", "script": SCRIPT, "window": 10_000_000})])
        for start in range(0, a.messages, 500):
            call([req(k, "turn.append", {"session": f"long-{r}", "role": "user" if k % 2 == 0 else "model", "text": turn})
                  for k in range(start, min(a.messages, start + 500))])
    together, after = [], []
    for r in range(a.rounds):
        call([req(1, "turn.append", {"session": "live", "role": "user", "text": turn})])  # warm the path
        together.append(call([req(2, "session.close", {"session": f"long-{r}", "status": "resolved"}),
                              req(3, "turn.append", {"session": "live", "role": "model", "text": turn})]))
        after.append(call([req(4, "turn.append", {"session": "live", "role": "user", "text": turn})]))
    s.close()
    files = [] if a.no_export else sorted(name for name in os.listdir(exports) if name.endswith(".json"))
    print(f"sessions closed: {a.rounds} of {a.messages} messages; exports written: {len(files)}")
    print(f"ms_close_and_turn_median: {statistics.median(together):.2f} (" + " ".join(f"{t:.1f}" for t in together) + ")")
    print(f"ms_next_turn_median: {statistics.median(after):.2f} (" + " ".join(f"{t:.1f}" for t in after) + ")")


def long_line(a, folder):
    """One request line of `--mb` MB (`rpc.discover` padded with blanks) under a raised
    `--max-line-bytes`: the seconds until its answer, per size (linear means doubling with the size)."""
    for mb in a.mb:
        path = os.path.join(folder, f"line-{mb}.jsonl")
        with open(path, "w") as f:
            f.write('{"jsonrpc":"2.0","id":1,"method":"rpc.discover"' + " " * (mb << 20) + "}\n")
        t0 = time.time()
        with open(path, "rb") as f:
            out = subprocess.run([a.binary, "serve", "--store", "none", "--max-line-bytes", str((mb + 1) << 20)],
                                 stdin=f, capture_output=True, check=True).stdout
        elapsed = time.time() - t0
        assert out.count(b"\n") == 1 and b'"result"' in out, out[:200]
        print(f"line_mb_{mb}_seconds: {elapsed:.2f}")


def keyed(a, folder):
    """`--requests` turns, each with a `requestId`, in one input to a fresh SQLite store (one batch
    of up to the cap): the seconds until the last answer, per count (linear means 4× for 4×)."""
    for n in a.requests:
        path = os.path.join(folder, f"keyed-{n}.jsonl")
        with open(path, "w") as f:
            f.write(req(0, "session.open", {"session": "k", "script": SCRIPT}) + "\n")
            for i in range(n):
                f.write(req(i + 1, "turn.append", {"session": "k", "role": "user" if i % 2 == 0 else "model",
                                                   "text": "hello there friend", "requestId": f"r{i}"}) + "\n")
        store = os.path.join(folder, f"keyed-{n}.db")
        t0 = time.time()
        with open(path, "rb") as f:
            out = subprocess.run([a.binary, "serve", "--store", store], stdin=f, capture_output=True, check=True).stdout
        elapsed = time.time() - t0
        assert out.count(b'"result"') == n + 1, out[-300:]
        print(f"keyed_{n}_seconds: {elapsed:.2f}")


def setup_keys(a, folder):
    """An OpenAI session whose `providerPolicy.setup.audio.input` has `--keys` keys, merged into the
    engine's setup at the open and again in a goAway's re-seed plan: the seconds until both answers,
    per count (linear means 4× for 4×; a merge a key at a time took 34 s for 20,000)."""
    for n in a.keys:
        path = os.path.join(folder, f"setup-{n}.jsonl")
        audio_input = {f"k{i}": i for i in range(n)}
        with open(path, "w") as f:
            f.write(req(1, "session.open", {"session": "o", "script": SCRIPT, "provider": "openai-realtime",
                                            "providerPolicy": {"setup": {"audio": {"input": audio_input}}}}) + "\n")
            f.write(req(2, "resume.goAway", {"session": "o", "timeLeftMs": 0}) + "\n")
        t0 = time.time()
        with open(path, "rb") as f:
            out = subprocess.run([a.binary, "serve", "--store", "none"], stdin=f, capture_output=True, check=True).stdout
        elapsed = time.time() - t0
        assert out.count(b'"result"') == 2, out[-300:]
        print(f"setup_keys_{n}_seconds: {elapsed:.2f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=".build/release/tokenbudget")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("ended-calls"); p.add_argument("--store", default="none"); p.add_argument("--calls", type=int, default=50000)
    p = sub.add_parser("long-session"); p.add_argument("--store", default="sqlite"); p.add_argument("--turns", type=int, default=200000)
    p = sub.add_parser("chunks"); p.add_argument("--chunks", type=int, default=20000)
    p.add_argument("--text", default="word ", help="each chunk's text"); p.add_argument("--encoding", default="o200k_base")
    p.add_argument("--store", default="none", help="none or sqlite"); p.add_argument("--batch", type=int, default=1000)
    p = sub.add_parser("messages"); p.add_argument("--messages", type=int, default=500); p.add_argument("--metadata-bytes", type=int, default=540000)
    p = sub.add_parser("rebuild"); p.add_argument("--turns", type=int, default=60000); p.add_argument("--text-bytes", type=int, default=60)
    p.add_argument("--whole-log", action="store_true", help="delete the checkpoints before the restart")
    p = sub.add_parser("export"); p.add_argument("--messages", type=int, default=10000); p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--no-export", action="store_true", help="the same without --export-dir: what the close itself costs")
    p = sub.add_parser("long-line"); p.add_argument("--mb", type=int, nargs="+", default=[8, 16, 32])
    p = sub.add_parser("keyed"); p.add_argument("--requests", type=int, nargs="+", default=[2000, 8000])
    p = sub.add_parser("setup-keys"); p.add_argument("--keys", type=int, nargs="+", default=[10000, 40000])
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(dir=os.environ.get("BOUNDS_TMP")) as folder:
        {"ended-calls": ended_calls, "long-session": long_session, "chunks": chunks, "messages": messages,
         "rebuild": rebuild, "export": export, "long-line": long_line, "keyed": keyed,
         "setup-keys": setup_keys}[a.cmd](a, folder)


if __name__ == "__main__":
    main()
