#!/usr/bin/env python3
"""Writes a store of provider sessions with a given tokenbudget binary and prints what that binary
answered (each session's snapshot hash, version and provider ledger), as JSON. The sessions cover
what later releases changed for provider sessions: an OpenAI turn still arriving at a re-seed whose
late chunk names the old connection's item, calibrating usage reports (one at the 4× bound), speech
starts with the room, and a Gemini session with re-seeds, a reconnect and reports.
fixtures/stores/release-f86f6b1-providers.db was made with it by the release at f86f6b1.

    python3 scripts/make_provider_release_store.py BINARY STORE.db > ANSWERS.json
"""
import json, subprocess, sys

binary, db = sys.argv[1], sys.argv[2]
reqs = []


def r(method, **params):
    reqs.append({"jsonrpc": "2.0", "id": len(reqs) + 1, "method": method, "params": params})


def exchange(session, k, spoken=True, ids=True):
    r("client.speechStarted", session=session)
    extra = lambda key: ({"audioMs": 3000} if spoken else {}) | ({"providerItemId": f"{key}{k}"} if ids else {})
    r("turn.append", session=session, role="user", text=f"Question {k} about the panels?", **extra("q"))
    r("turn.append", session=session, role="model", text=f"Answer {k}: they last twenty years.", **extra("a"))
    r("model.turnComplete", session=session)


# OpenAI: a turn still arriving when the connection is re-seeded, its late chunk with the old item's id.
r("session.open", session="prov-o", script="S.", provider="openai-realtime", window=420, reserve=0,
  providerPolicy={"calibrate": True})
exchange("prov-o", 1)
r("client.speechStarted", session="prov-o")
r("turn.append", session="prov-o", role="user", text="I want to", audioMs=1000, providerItemId="item_old", final=False)
r("resume.goAway", session="prov-o", timeLeftMs=0)
r("resume.connected", session="prov-o", reseeded=True)
r("turn.append", session="prov-o", role="user", text=" buy panels.", audioMs=2000, providerItemId="item_old")
r("turn.append", session="prov-o", role="model", text="Gladly.", audioMs=1000, providerItemId="m2")
r("model.turnComplete", session="prov-o")
r("usage.report", session="prov-o", inputTokens=150)
for k in range(3, 9):
    exchange("prov-o", k)
    r("usage.report", session="prov-o", inputTokens=120 + 7 * k)

# OpenAI without deletes: reports far over put the rate at its 4× bound, and later ones find it there.
r("session.open", session="prov-c", script="S.", provider="openai-realtime", window=2000, reserve=0,
  providerPolicy={"calibrate": True, "sendDeletes": False})
for k in range(1, 6):
    exchange("prov-c", k)
    r("usage.report", session="prov-c", inputTokens=5000 * k)
r("resume.goAway", session="prov-c", timeLeftMs=0)
exchange("prov-c", 6)
r("resume.connected", session="prov-c", reseeded=True)
r("usage.report", session="prov-c", inputTokens=9000)
exchange("prov-c", 7)

# Gemini: re-seeds planned at a small threshold, a reconnect with a handle, calibrating reports.
r("session.open", session="prov-g", script="You sell solar panels.", provider="gemini-live", window=320, reserve=0,
  providerPolicy={"reseedAt": 0.02, "calibrate": True})
r("resume.update", session="prov-g", handle="h-1", resumable=True)
for k in range(1, 7):
    if k % 2:
        r("instruction.push", session="prov-g", text=f"Coaching {k}: ask about the roof.")
    exchange("prov-g", k, ids=False)
    r("resume.connected", session="prov-g", reseeded=True)
    r("usage.report", session="prov-g", usageMetadata={"promptTokenCount": 300 + 40 * k})
r("resume.goAway", session="prov-g", timeLeftMs=50000)
r("resume.connected", session="prov-g", reseeded=False)
exchange("prov-g", 7, ids=False)

SESSIONS = ("prov-o", "prov-c", "prov-g")
for session in SESSIONS:
    r("context.snapshot", session=session)
    r("session.get", session=session)

out = subprocess.run([binary, "serve", "--store", db], input="".join(json.dumps(x) + "\n" for x in reqs),
                     capture_output=True, text=True, check=True).stdout
answers = [json.loads(line) for line in out.splitlines() if line.strip()]
errors = [(reqs[a["id"] - 1]["method"], a["error"]["message"]) for a in answers if "error" in a and a.get("id")]
if errors:
    sys.exit(f"the binary refused: {errors}")
by_id = {a["id"]: a for a in answers if a.get("id")}
result = {}
for session in SESSIONS:
    snapshot = next(by_id[q["id"]] for q in reqs if q["method"] == "context.snapshot" and q["params"]["session"] == session)
    record = next(by_id[q["id"]] for q in reqs if q["method"] == "session.get" and q["params"]["session"] == session)
    result[session] = {"hash": snapshot["result"]["hash"], "version": record["result"]["snapshotVersion"],
                       "messageCount": record["result"]["messageCount"]}
print(json.dumps({"sessions": result}, indent=1))
