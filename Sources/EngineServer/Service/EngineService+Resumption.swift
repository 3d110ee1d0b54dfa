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

    /// `usage.report {session, usageMetadata | usage | inputTokens (+ audioTokens)}`: what the provider
    /// reported for its last response (Gemini `usageMetadata.promptTokenCount`, OpenAI `response.done`'s
    /// `usage.input_tokens`), and how much of it was audio when the report says (Gemini
    /// `promptTokensDetails`, OpenAI `input_token_details.audio_tokens`), against the ledger: the drift
    /// in tokens and percent; the policy may calibrate from it, and a drift past its threshold is also
    /// sent as a `provider.drift` notification.
    func usageReport(_ params: Params) throws(RPCError) -> Reply {
        let id = try params.string("session")
        let reported: Int
        var audio: Int?
        if let gemini = try params.optionalObject("usageMetadata") {
            guard let count = gemini["promptTokenCount"]?.intValue, count >= 0, count <= Bounds.maxReportedTokens else {
                throw RPCError(RPCError.invalidParams,
                               "usage.report: usageMetadata needs a whole number promptTokenCount in 0...\(Bounds.maxReportedTokens)",
                               data: ["param": "usageMetadata"])
            }
            reported = count
            audio = try Self.geminiAudioTokens(gemini["promptTokensDetails"], of: count)
        } else if let openAI = try params.optionalObject("usage") {
            guard let count = openAI["input_tokens"]?.intValue, count >= 0, count <= Bounds.maxReportedTokens else {
                throw RPCError(RPCError.invalidParams,
                               "usage.report: usage needs a whole number input_tokens in 0...\(Bounds.maxReportedTokens)",
                               data: ["param": "usage"])
            }
            reported = count
            if let details = openAI["input_token_details"], details != .null, let value = details["audio_tokens"], value != .null {
                guard let tokens = value.intValue, tokens >= 0, tokens <= count else {
                    throw RPCError(RPCError.invalidParams,
                                   "usage.report: usage.input_token_details.audio_tokens must be a whole number in 0...input_tokens (\(count))",
                                   data: ["param": "usage"])
                }
                audio = tokens
            }
        } else if let count = try params.optionalInt("inputTokens", min: 0, max: Bounds.maxReportedTokens) {
            reported = count
            audio = try params.optionalInt("audioTokens", min: 0, max: count)
        } else {
            throw RPCError(RPCError.invalidParams, "usage.report: give usageMetadata (Gemini), usage (OpenAI) or inputTokens",
                           data: ["param": "usageMetadata"])
        }
        let session = try activeSession(id)
        guard session.context.provider != nil else {
            throw RPCError(RPCError.invalidParams, "usage.report: session \"\(id)\" was opened without a provider",
                           data: ["param": "session", "session": .string(id)])
        }
        var notification: JSONValue?
        let reply = try change(params, .usageReported(inputTokens: reported, audioTokens: audio), metadata: nil) { outcome in
            guard let drift = outcome.provider?.drift else { return [:] }
            var fields: JSONObject = [
                "reported": .int(Int64(drift.reported)), "held": .int(Int64(drift.held)),
                "driftTokens": .int(Int64(drift.tokens)), "driftPercent": .double((drift.percent * 100).rounded() / 100),
                "calibrated": drift.calibrated.map { .string($0) } ?? .null,
            ]
            if let split = drift.audio { fields["audio"] = ["reported": .int(Int64(split.reported)), "held": .int(Int64(split.held))] }
            if drift.notify {
                var params = fields
                params["session"] = .string(id)
                notification = ["jsonrpc": "2.0", "method": "provider.drift", "params": .object(params)]
            }
            return ["drift": .object(fields)]
        }
        if let notification { notify(notification) }
        return reply
    }

    /// The audio part of a Gemini report: the `AUDIO` entries of `promptTokensDetails` (a list of
    /// `{modality, tokenCount}`, google-genai `ModalityTokenCount`), or nil without the list.
    static func geminiAudioTokens(_ details: JSONValue?, of total: Int) throws(RPCError) -> Int? {
        guard let details, details != .null else { return nil }
        let refusal = RPCError(
            RPCError.invalidParams,
            "usage.report: usageMetadata.promptTokensDetails must be a list of {modality, tokenCount} whose counts sum to at most promptTokenCount (\(total))",
            data: ["param": "usageMetadata"])
        guard let entries = details.arrayValue, !entries.isEmpty else { throw refusal }
        var audio = 0, sum = 0
        for entry in entries {
            // Proto3 JSON leaves a default out: no `modality` is MODALITY_UNSPECIFIED, no `tokenCount` 0.
            guard case .object(let object) = entry else { throw refusal }
            let modality: String?
            switch object["modality"] {
            case nil, .null?: modality = nil
            case let value?:
                guard let name = value.stringValue else { throw refusal }
                modality = name
            }
            let count: Int
            switch object["tokenCount"] {
            case nil, .null?: count = 0
            case let value?:
                guard let whole = value.intValue, whole >= 0, whole <= total else { throw refusal }
                count = whole
            }
            sum += count  // each ≤ total: no overflow in any list a request can carry
            if modality == "AUDIO" { audio += count }
        }
        guard sum <= total else { throw refusal }
        return audio
    }
}
