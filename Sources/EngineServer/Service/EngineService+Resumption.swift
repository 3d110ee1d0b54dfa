import ContextEngine
import JSONWire
import SessionStore

/// Reconnect plans for provider connections that end (Gemini's goAway ~60 s before its ~10-minute
/// limit; handles valid ~2 h; OpenAI has no resume and is re-seeded).
extension EngineService {
    /// `resume.update {session, handle, resumable}`: keeps the latest resumable handle.
    func resumeUpdate(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let handle = try params.optionalString("handle")
        let resumable = try params.optionalBool("resumable") ?? true
        let session = try activeSession(id)
        unit.touch(session, id: id)
        if resumable, let handle, !handle.isEmpty {
            session.resume.handle = handle
            session.resume.updatedAt = wallNow()
        }
        session.resume.resumable = resumable
        persistResume(session, id: id)
        registry.touch(session, id: id, at: monotonicNow())
        return ["session": .string(id), "handle": session.resume.handle.map { .string($0) } ?? .null,
                "resumable": .bool(session.resume.resumable)]
    }

    /// `resume.goAway {session, timeLeftMs}`: reconnect with the handle (attempt k of n, after a
    /// delay), or re-seed a fresh connection with the compacted snapshot, or end.
    func resumeGoAway(_ params: Params) throws(RPCError) -> Reply {
        let id = try params.string("session")
        let timeLeft = try params.optionalInt("timeLeftMs", min: 0, max: Bounds.maxDurationMs) ?? 0
        let session = try servedSession(id)
        guard session.status == .active else {
            return .read(["session": .string(id), "action": "end", "reason": .string("the session is \(session.status.rawValue)")])
        }
        unit.touch(session, id: id)
        registry.touch(session, id: id, at: monotonicNow())
        let state = session.resume
        let reason: String
        if session.context.provider?.profile.kind == .openAIRealtime {
            reason = "OpenAI Realtime has no resumption: a new connection is seeded with the compacted context"
        } else if session.context.provider?.reseedPending == true {
            // Resuming would restore what the plan is there to shed; the plan is made again with
            // what the context holds now.
            reason = "a re-seed is planned and not carried out yet: the new connection carries it"
        } else if state.handle == nil || !state.resumable {
            reason = "no resumable handle"
        } else if wallNow() - state.updatedAt > options.handleValiditySeconds {
            reason = "the handle is older than \(Int(options.handleValiditySeconds)) s"
        } else if state.attempts >= options.maxReconnectAttempts {
            reason = "\(options.maxReconnectAttempts) reconnect attempts used"
        } else if let mirror = session.context.provider, mirror.stale >= mirror.policy.reseedOnGoAwayStaleTokens {
            // The handle would restore what the provider holds, stale tokens included; a new
            // connection seeded with the compacted context sheds them.
            reason = "the provider holds \(mirror.stale) stale tokens (policy: re-seed from \(mirror.policy.reseedOnGoAwayStaleTokens)); a re-seed sheds them, the handle would restore them"
        } else {
            session.resume.attempts += 1
            persistResume(session, id: id)
            var answer: JSONObject = [
                "session": .string(id), "action": "reconnect", "handle": .string(state.handle!),
                "attempt": JSONValue(session.resume.attempts), "maxAttempts": JSONValue(options.maxReconnectAttempts),
                "delayMs": JSONValue(options.reconnectDelayMs), "timeLeftMs": JSONValue(timeLeft),
            ]
            if let setup = session.context.provider?.resumeSetup(handle: state.handle!, session.context) { answer["send"] = [setup] }
            return .changed(.object(answer))
        }
        if session.context.provider != nil {
            // The plan is an event of the log: a rebuild must not decide again (the handle's age moved).
            return try change(params, .reseedPlanned(reason: reason), metadata: nil) { _ in
                ["action": "reseed", "reason": .string(reason), "timeLeftMs": JSONValue(timeLeft)]
            }
        }
        let snapshot = session.context.snapshot()
        return .changed([
            "session": .string(id), "action": "reseed", "reason": .string(reason), "hash": .string(snapshot.hash),
            "usage": snapshot.usage.json, "snapshot": session.renderer.render(snapshot),
        ])
    }

    /// `resume.connected {session, reseeded?}`: the new connection is up; attempts start over. With a
    /// provider, `reseeded: true` confirms the last re-seed plan was carried out (the ledger starts
    /// over from its seed; `send` has what changed since the plan), `false` a resumption with the
    /// handle (the provider restored what it held).
    func resumeConnected(_ params: Params) throws(RPCError) -> Reply {
        let id = try params.string("session")
        let reseeded = try params.optionalBool("reseeded") ?? false
        let session = try activeSession(id)
        unit.touch(session, id: id)
        session.resume.attempts = 0
        persistResume(session, id: id)
        registry.touch(session, id: id, at: monotonicNow())
        guard session.context.provider != nil else { return .changed(["session": .string(id), "attempts": 0]) }
        return try change(params, .connected(reseeded: reseeded), metadata: nil) { _ in ["attempts": 0] }
    }
}
