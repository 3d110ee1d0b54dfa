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
        let timeLeft = try params.optionalInt("timeLeftMs", min: 0) ?? 0
        let session = try servedSession(id)
        guard session.status == .active else {
            return .read(["session": .string(id), "action": "end", "reason": .string("the session is \(session.status.rawValue)")])
        }
        unit.touch(session, id: id)
        registry.touch(session, id: id, at: monotonicNow())
        let state = session.resume
        let reason: String
        if state.handle == nil || !state.resumable {
            reason = "no resumable handle"
        } else if wallNow() - state.updatedAt > options.handleValiditySeconds {
            reason = "the handle is older than \(Int(options.handleValiditySeconds)) s"
        } else if state.attempts >= options.maxReconnectAttempts {
            reason = "\(options.maxReconnectAttempts) reconnect attempts used"
        } else {
            session.resume.attempts += 1
            persistResume(session, id: id)
            return .changed([
                "session": .string(id), "action": "reconnect", "handle": .string(state.handle!),
                "attempt": JSONValue(session.resume.attempts), "maxAttempts": JSONValue(options.maxReconnectAttempts),
                "delayMs": JSONValue(options.reconnectDelayMs), "timeLeftMs": JSONValue(timeLeft),
            ])
        }
        let snapshot = session.context.snapshot()
        return .changed([
            "session": .string(id), "action": "reseed", "reason": .string(reason), "hash": .string(snapshot.hash),
            "usage": snapshot.usage.json, "snapshot": session.renderer.render(snapshot),
        ])
    }

    /// `resume.connected {session}`: the new connection is up; attempts start over.
    func resumeConnected(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let session = try activeSession(id)
        unit.touch(session, id: id)
        session.resume.attempts = 0
        persistResume(session, id: id)
        registry.touch(session, id: id, at: monotonicNow())
        return ["session": .string(id), "attempts": 0]
    }
}
