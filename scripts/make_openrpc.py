#!/usr/bin/env python3
"""Writes the protocol as data: docs/openrpc.json (OpenRPC 1.2.6, every method, param, result,
notification and error code as JSON Schema) and Sources/EngineServer/Protocol/OpenRPCDocument.swift
(the same document, compiled in, answered by `rpc.discover`; a test checks both are equal and that the
server's method table has exactly these methods and params).

    python3 scripts/make_openrpc.py            # rewrite both
    python3 scripts/make_openrpc.py --check    # exit 1 when either is out of date

docs/protocol.md stays the human view; scripts/provider_e2e.py validates every answer and notification
it sees against these schemas, so they cannot drift from what the engine writes.
"""
import json, pathlib, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
S = {"type": "string"}
I = {"type": "integer"}
N = {"type": "number"}
B = {"type": "boolean"}
ANY_OBJECT = {"type": "object"}


def obj(required, optional=None, strict=True):
    properties = dict(required)
    properties.update(optional or {})
    schema = {"type": "object", "properties": properties, "required": sorted(required)}
    if strict:
        schema["additionalProperties"] = False
    return schema


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema):
    return {"oneOf": [schema, {"type": "null"}]}


schemas = {
    "Usage": obj({k: I for k in ("window", "reserve", "limit", "script", "summary", "history", "instruction", "total",
                                 "free", "items")}),
    "Item": obj({"id": S, "kind": {"enum": ["script", "summary", "turn", "instruction"]},
                 "role": {"enum": ["system", "user", "model"]}, "text": S, "tokens": I, "final": B}),
    # An updated item carries the text appended since the previous answer, not the whole text.
    "UpdatedItem": obj({"id": S, "kind": {"enum": ["turn"]}, "role": {"enum": ["user", "model"]}, "appended": S,
                        "tokens": I, "final": B}),
    "Delta": obj({"added": {"type": "array", "items": ref("Item")}, "updated": {"type": "array", "items": ref("UpdatedItem")},
                  "removed": {"type": "array", "items": S}}),
    "Note": obj({"note": {"enum": ["evicted", "instructionReplaced", "instructionsCoalesced", "instructionTruncated",
                                   "instructionActivated", "instructionStripped", "instructionKept"]}},
                {"id": S, "exchanges": I, "items": I, "tokens": I, "fromTokens": I, "toTokens": I}),
    "ProviderLedger": obj({"held": I, "stale": I, "limit": I}),
    "ProviderMessage": {"type": "object", "description": "A provider client message, exact JSON (Gemini "
                        "LiveClientMessage, OpenAI realtime client event); checked against the SDK types by "
                        "scripts/provider_oracle.py"},
    "Reseed": obj({"reason": S, "held": I, "send": {"type": "array", "items": ref("ProviderMessage")}}),
    "Drift": obj({"reported": I, "held": I, "driftTokens": I, "driftPercent": N, "calibrated": nullable(S)},
                 {"audio": obj({"reported": I, "held": I})}),
    "Change": obj(
        {"session": S, "version": I, "usage": ref("Usage"), "delta": ref("Delta"), "hash": S},
        {"notes": {"type": "array", "items": ref("Note")}, "pendingInstruction": S, "activeInstruction": S,
         "provider": ref("ProviderLedger"), "send": {"type": "array", "items": ref("ProviderMessage")},
         "reseed": ref("Reseed"),
         # Fields some methods add to a change (resume.connected, usage.report, resume.goAway).
         "attempts": I, "drift": ref("Drift"), "action": {"enum": ["reseed"]}, "reason": S, "timeLeftMs": I}),
    "SessionRecord": obj(
        {"id": S, "businessId": nullable(S), "locationId": nullable(S), "userId": nullable(S),
         "status": {"enum": ["active", "closed", "resolved", "abandoned"]}, "createdAt": N, "updatedAt": N,
         "lastMessageAt": nullable(N), "expiresAt": nullable(N), "metadata": {}, "configuration": ANY_OBJECT,
         "scriptHash": S, "messageCount": I, "figures": {}, "snapshotVersion": I, "snapshotHash": nullable(S)},
        {"usage": ref("Usage"), "hash": S}),
    "Message": obj({"messageId": S, "sessionId": S, "seq": I, "type": {"enum": ["user", "model", "instruction", "system"]},
                    "content": S, "tokens": I, "timestamp": N, "metadata": {}}),
    "StatusFigures": obj({"count": I, "averageDurationSeconds": N, "averageMessages": N}),
}

SESSION = ("session", S, True)
STATE_CHANGE = {"result": ref("Change")}


REQUEST_ID = ("requestId", {"type": "string", "minLength": 1, "maxLength": 256,
                             "description": "idempotency key, 1 to 256 bytes of UTF-8: a retry answers the "
                             "original result (docs/protocol.md)"}, False)
STORE_WRITE_ERRORS = ["notStored", "outcomeUnknown", "writesRefused"]


def method(name, summary, params, result, errors):
    # Any request that names a session may carry an idempotency key.
    if any(p[0] == "session" for p in params):
        params = params + [REQUEST_ID]
    return {
        "name": name, "summary": summary,
        "params": [{"name": p[0], "schema": p[1], "required": p[2]} for p in params],
        "result": {"name": "result", "schema": result},
        "errors": [{"$ref": f"#/components/errors/{e}"} for e in errors],
    }


EVENT_ERRORS = ["invalidParams", "unknownSession", "sessionNotActive", "overBudget", "ownedElsewhere",
                "rebuildMismatch", "storeUnavailable"] + STORE_WRITE_ERRORS
methods = [
    method("session.open", "Opens a session on a script (docs/protocol.md, docs/providers.md).", [
        SESSION, ("script", S, False), ("scriptFile", S, False),
        ("provider", {"enum": ["gemini-live", "openai-realtime", "none"]}, False), ("model", S, False),
        ("providerPolicy", ANY_OBJECT, False), ("encoding", S, False), ("window", {"type": "integer", "minimum": 1, "maximum": 100_000_000}, False),
        ("reserve", {"type": "integer", "minimum": 0, "maximum": 99_999_999}, False), ("policy", {"type": ["string", "object", "null"]}, False),
        ("renderer", {"enum": ["neutral", "gemini", "openai"]}, False), ("business", S, False), ("location", S, False),
        ("user", S, False), ("metadata", ANY_OBJECT, False),
    ], obj({"session": S, "status": {"enum": ["active"]}, "encoding": S, "script": obj({"tokens": I, "hash": S}),
            "policy": ANY_OBJECT, "usage": ref("Usage"), "capacity": obj({"limit": I, "room": I, "overheadPerItem": I}),
            "hash": S, "snapshot": ANY_OBJECT},
           {"provider": obj({"name": S, "model": S, "held": I, "stale": I, "limit": I}),
            "send": {"type": "array", "items": ref("ProviderMessage")}}),
        ["invalidParams", "sessionExists", "scriptOverBudget", "invalidPolicy", "tokenizerUnavailable",
         "scriptUnreadable", "invalidConfiguration", "ownedElsewhere", "storeUnavailable"] + STORE_WRITE_ERRORS),
    method("turn.append", "A turn, or a chunk of one.", [
        SESSION, ("role", {"enum": ["user", "model"]}, True), ("text", S, True), ("final", B, False),
        ("metadata", ANY_OBJECT, False), ("audioMs", {"type": "integer", "minimum": 0, "maximum": 86_400_000}, False),
        ("providerItemId", {"type": "string", "minLength": 1}, False),
    ], ref("Change"), EVENT_ERRORS),
    method("instruction.push", "A manager instruction, buffered as pending.", [SESSION, ("text", S, True)],
           ref("Change"), EVENT_ERRORS + ["instructionTooLong"]),
    method("client.speechStarted", "The client started speaking: the pending instruction becomes active.",
           [SESSION], ref("Change"), EVENT_ERRORS),
    method("model.turnComplete", "The model finished its turn: the active instruction is stripped.",
           [SESSION], ref("Change"), EVENT_ERRORS),
    method("summary.set", "Sets (or with null removes) the summary of evicted history.",
           [SESSION, ("text", {"type": ["string", "null"]}, True)], ref("Change"), EVENT_ERRORS),
    method("context.snapshot", "The full compacted context in a renderer's shape.",
           [SESSION, ("renderer", {"enum": ["neutral", "gemini", "openai"]}, False)],
           obj({"session": S, "status": S, "usage": ref("Usage"), "hash": S, "renderer": S, "snapshot": ANY_OBJECT}),
           ["invalidParams", "unknownSession", "rebuildMismatch", "storeUnavailable", "ownedElsewhere"]),
    method("session.ping", "Keeps an active session from being abandoned.", [SESSION],
           obj({"session": S, "status": {"enum": ["active"]}, "idleTimeoutSeconds": N}),
           ["invalidParams", "unknownSession", "sessionNotActive"]),
    method("session.close", "Ends a session.", [SESSION, ("status", {"enum": ["closed", "resolved"]}, False)],
           obj({"session": S, "status": {"enum": ["closed", "resolved"]},
                "figures": obj({"durationSeconds": N, "messages": I, "usage": ref("Usage"),
                                "summary": obj({"turns": I, "finalHash": S})})}),
           ["invalidParams", "unknownSession", "sessionNotActive"] + STORE_WRITE_ERRORS),
    method("session.resume", "The session as the engine holds it (rebuilt after a restart).", [SESSION],
           obj({"session": S, "status": S, "version": I, "usage": ref("Usage"), "hash": S,
                "pendingInstruction": nullable(S), "activeInstruction": nullable(S), "snapshot": ANY_OBJECT}),
           ["invalidParams", "unknownSession", "sessionNotActive", "ownedElsewhere", "rebuildMismatch", "storeUnavailable"]
           + STORE_WRITE_ERRORS),
    method("resume.update", "Keeps the latest resumable handle.",
           [SESSION, ("handle", S, False), ("resumable", B, False)],
           obj({"session": S, "handle": nullable(S), "resumable": B}),
           ["invalidParams", "unknownSession", "sessionNotActive"] + STORE_WRITE_ERRORS),
    method("resume.goAway", "The connection is about to end: the plan.",
           [SESSION, ("timeLeftMs", {"type": "integer", "minimum": 0, "maximum": 86_400_000}, False)],
           {"oneOf": [
               obj({"session": S, "action": {"enum": ["reconnect"]}, "handle": S, "attempt": I, "maxAttempts": I,
                    "delayMs": I, "timeLeftMs": I},
                   # Gemini provider sessions: the resumed connection's setup, with the handle.
                   {"send": {"type": "array", "items": ref("ProviderMessage")}}),
               obj({"session": S, "action": {"enum": ["reseed"]}, "reason": S, "hash": S, "usage": ref("Usage"),
                    "snapshot": ANY_OBJECT}),
               obj({"session": S, "action": {"enum": ["end"]}, "reason": S}),
               ref("Change"),
           ]}, ["invalidParams", "unknownSession", "sessionNotActive", "rebuildMismatch", "storeUnavailable",
                "ownedElsewhere"] + STORE_WRITE_ERRORS),
    method("resume.connected", "The new connection is up (with a provider: re-seeded or resumed).",
           [SESSION, ("reseeded", B, False)],
           {"oneOf": [obj({"session": S, "attempts": I}), ref("Change")]},
           ["invalidParams", "unknownSession", "sessionNotActive"] + STORE_WRITE_ERRORS),
    method("usage.report", "What the provider reported for its last response, against the ledger.",
           [SESSION, ("usageMetadata", ANY_OBJECT, False), ("usage", ANY_OBJECT, False),
            ("inputTokens", {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}, False),
            ("audioTokens", {"type": "integer", "minimum": 0, "maximum": 1_000_000_000}, False)],
           ref("Change"), ["invalidParams", "unknownSession", "sessionNotActive"] + STORE_WRITE_ERRORS),
    # Without a store an ended session keeps only its id and status (it had no record to read).
    method("session.get", "The stored record, with usage and hash (without a store, an ended session: its id and status).",
           [SESSION], {"oneOf": [ref("SessionRecord"),
                                 obj({"id": S, "status": {"enum": ["closed", "resolved", "abandoned"]}})]},
           ["invalidParams", "unknownSession", "storeUnavailable"]),
    method("session.messages", "One page of the stored transcript, in seq order.",
           [SESSION, ("limit", {"type": "integer", "minimum": 1, "maximum": 500}, False),
            ("after", {"type": "integer", "minimum": -1}, False), ("cursor", S, False)],
           obj({"session": S, "messages": {"type": "array", "items": ref("Message")}, "nextCursor": nullable(S)}),
           ["invalidParams", "unknownSession", "storeUnavailable"]),
    method("sessions.active", "The active session of a business or user.",
           [("business", S, False), ("user", S, False)], obj({"session": nullable(ref("SessionRecord"))}),
           ["invalidParams", "storeUnavailable"]),
    method("sessions.history", "Recent sessions of a business or user.",
           [("business", S, False), ("user", S, False), ("limit", {"type": "integer", "minimum": 1, "maximum": 100}, False)],
           obj({"sessions": {"type": "array", "items": ref("SessionRecord")}}), ["invalidParams", "storeUnavailable"]),
    method("sessions.stats", "Figures per status.", [],
           obj({"byStatus": obj({s: ref("StatusFigures") for s in ("active", "closed", "resolved", "abandoned")})}),
           ["storeUnavailable"]),
    method("rpc.discover", "This document.", [], {"type": "object", "required": ["openrpc", "methods"]}, []),
]

errors = {
    "parseError": (-32700, "not JSON, or invalid UTF-8"),
    "invalidRequest": (-32600, "not a request object, or a line over --max-line-bytes"),
    "methodNotFound": (-32601, "unknown method"),
    "invalidParams": (-32602, "a parameter missing, unknown, of the wrong type or out of range"),
    "internalError": (-32603, "internal error (a bug)"),
    "unknownSession": (-32001, "unknown session"),
    "sessionNotActive": (-32002, "the session is closed, resolved or abandoned"),
    "sessionExists": (-32003, "the id is already used (open now, or a conversation that ended)"),
    "scriptOverBudget": (-32004, "the script alone exceeds window − reserve"),
    "overBudget": (-32005, "does not fit even after evicting every evictable exchange; nothing changed"),
    "instructionTooLong": (-32006, "an instruction over the policy's maxTokens with overLimit reject"),
    "invalidPolicy": (-32007, "invalid policy or providerPolicy"),
    "tokenizerUnavailable": (-32008, "unknown encoding, or its vocabulary is missing"),
    "scriptUnreadable": (-32009, "scriptFile cannot be read"),
    "invalidConfiguration": (-32010, "invalid window/reserve"),
    "notStored": (-32011, "the change could not be stored; its batch was undone (data.reason: the store's code)"),
    "storeUnavailable": (-32012, "the method needs a store, or the store failed to answer"),
    "ownedElsewhere": (-32013, "another engine holds the session, or took it over"),
    "rebuildMismatch": (-32014, "a stored session cannot be rebuilt as it was; it is not served"),
    "outcomeUnknown": (-32015, "an I/O error at COMMIT: the change may or may not be stored (retry with the same requestId)"),
    "writesRefused": (-32016, "the store refuses writes (a commit's outcome unknown, or the file replaced) until a restart"),
}

notifications = {
    "session.abandoned": obj({"session": S, "idleSeconds": N}),
    "session.lost": obj({"session": S}),
    "provider.drift": obj({"session": S, "reported": I, "held": I, "driftTokens": I, "driftPercent": N,
                           "calibrated": nullable(S)}, {"audio": obj({"reported": I, "held": I})}),
}

document = {
    "openrpc": "1.2.6",
    "info": {"title": "tokenbudget serve", "version": "1",
             "description": "JSON-RPC 2.0 over newline-delimited stdin/stdout (docs/protocol.md). Notifications the "
                            "engine sends are listed under x-notifications."},
    "methods": methods,
    "components": {
        "schemas": schemas,
        "errors": {name: {"code": code, "message": message} for name, (code, message) in errors.items()},
    },
    "x-notifications": [{"name": name, "params": schema} for name, schema in notifications.items()],
}

text = json.dumps(document, indent=1, ensure_ascii=False) + "\n"
swift = (
    "// Written by scripts/make_openrpc.py from the same data as docs/openrpc.json; do not edit by hand.\n"
    "// `rpc.discover` answers it; OpenRPCTests checks it equals docs/openrpc.json and the method table.\n\n"
    "enum OpenRPCDocument {\n    static let text = #\"\"\"\n" + text + "\n\"\"\"#\n}\n"
)
targets = {ROOT / "docs/openrpc.json": text, ROOT / "Sources/EngineServer/Protocol/OpenRPCDocument.swift": swift}
if "--check" in sys.argv:
    stale = [str(p.relative_to(ROOT)) for p, t in targets.items() if not p.exists() or p.read_text() != t]
    if stale:
        sys.exit("out of date (run python3 scripts/make_openrpc.py): " + ", ".join(stale))
    print("openrpc: up to date")
else:
    for path, content in targets.items():
        path.write_text(content)
    print(f"openrpc: {len(methods)} methods, {len(notifications)} notifications, {len(errors)} errors")
