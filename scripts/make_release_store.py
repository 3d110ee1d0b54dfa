#!/usr/bin/env python3
"""Writes a store with a given tokenbudget binary: two sessions covering every stored event kind
(chunked turns, instructions, speech, complete, summary set and cleared, eviction, keep-last-n, a
closed session) and prints the snapshot hashes that binary answered. fixtures/stores/release-4628414.db
was made with it by the release at 4628414.

    python3 scripts/make_release_store.py BINARY STORE.db
"""
import json, subprocess, sys
binary, db = sys.argv[1], sys.argv[2]
reqs = []
def r(method, **p): reqs.append({"jsonrpc":"2.0","id":len(reqs)+1,"method":method,"params":p})
script = "You are Ada, a sales agent for Solar Roofs. Be brief, friendly and concrete. Quote prices in euros."
r("session.open", session="rel-a", script=script, window=400, reserve=20, renderer="openai", business="b1", user="u1",
  policy={"preset":"strip-after-response"})
r("instruction.push", session="rel-a", text="Mention the 20-year warranty.")
r("client.speechStarted", session="rel-a")
r("turn.append", session="rel-a", role="user", text="Hi, how much ", final=False)
r("turn.append", session="rel-a", role="user", text="does a roof cost?", final=True, metadata={"lang":"en"})
r("turn.append", session="rel-a", role="model", text="It depends on the size; typically 9,000 to 14,000 euros, with a 20-year warranty.")
r("model.turnComplete", session="rel-a")
for i in range(12):
    if i % 3 == 0: r("instruction.push", session="rel-a", text=f"Coaching {i}: ask about the roof's orientation and shade. 日本語も少し。")
    r("client.speechStarted", session="rel-a")
    r("turn.append", session="rel-a", role="user", text=f"Question {i}: what about financing over {i+2} years, and is there any subsidy?")
    r("turn.append", session="rel-a", role="model", text=f"Answer {i}: yes, financing over {i+2} years is possible; subsidies depend on your region. Ünïcödé ✓")
    r("model.turnComplete", session="rel-a")
    if i == 6: r("summary.set", session="rel-a", text="Earlier: the client asked about price, financing and subsidies.")
r("summary.set", session="rel-b-none", text=None)
r("session.open", session="rel-b", script=script, policy={"preset":"keep-last-n","keepLast":2} , renderer="gemini")
r("instruction.push", session="rel-b", text="Be warmer.")
r("client.speechStarted", session="rel-b")
r("turn.append", session="rel-b", role="user", text="Hello?")
r("turn.append", session="rel-b", role="model", text="Hello! How can I help?")
r("model.turnComplete", session="rel-b")
r("summary.set", session="rel-b", text=None)
r("context.snapshot", session="rel-a")
r("context.snapshot", session="rel-b")
r("session.close", session="rel-b", status="resolved")
p = subprocess.run([binary, "serve", "--store", db], input="".join(json.dumps(x)+"\n" for x in reqs), capture_output=True, text=True)
answers = [json.loads(l) for l in p.stdout.splitlines()]
for q, a in zip(reqs, answers):
    if "error" in a: print("ERR", q["method"], a["error"], file=sys.stderr)
snaps = {a["result"]["session"]: a["result"]["hash"] for q, a in zip(reqs, answers) if q["method"] == "context.snapshot"}
print(snaps)
