#!/usr/bin/env python3
"""Plays a recorded session through `tokenbudget serve` the way a relay does, and shows the budget.

    python3 scripts/demo_session.py [SESSION.jsonl] [--script FILE] [--window N] [--every K]

It starts `tokenbudget serve` as a child on pipes, opens a session with the script, and for each
recorded turn sends what a relay would: a manager instruction every K exchanges (`instruction.push`),
`client.speechStarted` before each user turn, `turn.append`, and `model.turnComplete` after each
model turn. Every answer is read before the next request; a line per event shows the usage by
segment, what the delta added/removed and the snapshot hash; the final snapshot is printed at the end.
Standard library only.
"""
import argparse, json, os, subprocess, sys, pathlib, time

ROOT = pathlib.Path(__file__).resolve().parent.parent
parser = argparse.ArgumentParser()
parser.add_argument("session", nargs="?", default=str(ROOT / "fixtures/sessions/persuasion4good-0001.jsonl"))
parser.add_argument("--script", default=str(ROOT / "fixtures/scripts/donation-agent.md"))
parser.add_argument("--window", type=int, default=800, help="small, so that eviction shows")
parser.add_argument("--every", type=int, default=2, help="a manager instruction every K exchanges")
parser.add_argument("--binary", default=os.environ.get("TOKENBUDGET_BIN", str(ROOT / ".build/release/tokenbudget")))
parser.add_argument("--renderer", default="gemini")
args = parser.parse_args()

instructions = [l.strip() for l in open(ROOT / "fixtures/instructions.txt", encoding="utf-8") if l.strip()]
events = [json.loads(l) for l in open(args.session, encoding="utf-8") if l.strip()]

serve = subprocess.Popen([args.binary, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
next_id = 0


def call(method, **params):
    global next_id
    next_id += 1
    serve.stdin.write(json.dumps({"jsonrpc": "2.0", "id": next_id, "method": method, "params": params}) + "\n")
    serve.stdin.flush()
    while True:
        answer = json.loads(serve.stdout.readline())
        if answer.get("id") == next_id:
            return answer
        print(f"  notification: {answer}")


def bar(usage, width=40):
    limit = usage["limit"]
    parts = [("S", usage["script"]), ("h", usage["history"]), ("I", usage["instruction"]), ("s", usage["summary"])]
    text = "".join(ch * round(width * n / limit) for ch, n in parts)
    return (text + "." * width)[:width]


def show(label, answer):
    if "error" in answer:
        print(f"{label:<34} ERROR {answer['error']['code']}: {answer['error']['message']}")
        return
    r = answer["result"]
    u, d = r["usage"], r["delta"]
    change = " ".join([f"+{i['id']}" for i in d["added"]] + [f"-{i}" for i in d["removed"]]
                      + [f"~{i['id']}" for i in d["updated"]])
    notes = ",".join(n["note"] for n in r.get("notes", []))
    print(f"{label:<34} [{bar(u)}] script {u['script']:>5} hist {u['history']:>5} instr {u['instruction']:>4} "
          f"free {u['free']:>5}  {change:<14} {notes:<22} {r['hash'][:8]}")


script = pathlib.Path(args.script).read_text(encoding="utf-8")
# An id names one conversation for good (the engine refuses to reopen one, docs/protocol.md): each run
# is a new call, so it gets a new id, and the earlier runs stay in the store to read.
SESSION = f"demo-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
opened = call("session.open", session=SESSION, script=script, window=args.window, renderer=args.renderer)
if "error" in opened:
    sys.exit(f"session.open failed: {opened['error']['message']}")
u = opened["result"]["usage"]
print(f"session '{SESSION}': script {u['script']} tokens, window {u['window']}, room {opened['result']['capacity']['room']}"
      f" (S script, h history, I instruction)")
exchange = 0
for event in events:
    text = event["text"]
    short = (text[:26] + "…") if len(text) > 27 else text
    if event["type"] == "user":
        exchange += 1
        if args.every and exchange % args.every == 0:
            note = instructions[(exchange // args.every - 1) % len(instructions)]
            show(f"instruction.push", call("instruction.push", session=SESSION, text=note))
        show("client.speechStarted", call("client.speechStarted", session=SESSION))
        show(f"user:  {short}", call("turn.append", session=SESSION, role="user", text=text))
    else:
        show(f"model: {short}", call("turn.append", session=SESSION, role="model", text=text))
        show("model.turnComplete", call("model.turnComplete", session=SESSION))

final = call("context.snapshot", session=SESSION)["result"]
print(f"\nfinal snapshot ({final['renderer']}), hash {final['hash']}, usage {final['usage']['total']}/{final['usage']['limit']}:")
print(json.dumps(final["snapshot"], ensure_ascii=False, indent=1)[:3000])
print(json.dumps(call("session.close", session=SESSION, status="resolved")["result"]["figures"]))
serve.stdin.close()
sys.exit(serve.wait())
