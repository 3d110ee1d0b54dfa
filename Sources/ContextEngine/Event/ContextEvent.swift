import JSONWire

/// The events a relay reports, as values: the one list of what the engine accepts.
///
/// Serving a request, rebuilding a session after a restart (a fold over its stored log), `replay`
/// and `capacity` all hand events to `ContextSession.apply`, the one place that applies them. A new
/// kind is a case here, its branch in `apply` and in the stored form below (the compiler finds every
/// switch), plus its entry in the server's method table.
///
/// Opening and closing are not events of the context: a session is opened by `ContextSession.init`
/// (its configuration and script are the session record) and closed by the server's registry.
public enum ContextEvent: Sendable, Equatable {
    /// A turn, or a chunk of one (`final: false` while more chunks follow). `tokens`, when given, is
    /// the count of the whole turn text so far (token-count profiles, stored counts); counted otherwise.
    /// `audioMs`: the turn was spoken, and the provider created it from this much audio (the whole
    /// turn's so far); `providerItemID`: the provider's id for it (OpenAI's server item id).
    case turn(TurnRole, text: String, final: Bool = true, tokens: Int? = nil, audioMs: Int? = nil, providerItemID: String? = nil)
    /// A manager instruction: buffered as pending until the client speaks.
    case instruction(text: String, tokens: Int? = nil)
    /// The client started speaking: the pending instruction enters the context.
    case speechStarted
    /// The model finished its turn: the active instruction is stripped (or kept, as the policy says).
    case turnComplete
    /// The summary that stands for evicted history; nil removes it.
    case summary(text: String?, tokens: Int? = nil)
    /// The relay's provider connection is up again: resumed with a handle (the provider restored what
    /// it held), or `reseeded` with the last re-seed plan (the ledger starts over from the seed).
    case connected(reseeded: Bool)
    /// The engine decided to re-seed at a `resume.goAway` (kept in the log: the decision depends on the
    /// handle's age, a rebuild must not decide again).
    case reseedPlanned(reason: String)
    /// The provider reported the input tokens of its last response (`usage.report`), and how many
    /// of them were audio when it said (Gemini `promptTokensDetails`, OpenAI `input_token_details`).
    case usageReported(inputTokens: Int, audioTokens: Int? = nil)
}

extension ContextSession {
    /// Applies one event: completely, returning what changed, or not at all.
    ///
    /// With `CONTEXT_INVARIANT_CHECKS` (debug builds: tests) every event is followed by
    /// `checkInvariants()`; `replay` calls it itself in release builds.
    ///
    /// - Throws: `ContextError` (`.overBudget`, `.instructionTooLong`); the session is unchanged.
    /// - Complexity: amortized O(1) plus tokenizing the event's own text (see `ContextSession`).
    public mutating func apply(_ event: ContextEvent) throws -> EventOutcome {
        var outcome: EventOutcome
        switch event {
        case .turn(let role, let text, let final, let tokens, let audioMs, let providerItemID):
            outcome = try applyTurn(role, text: text, final: final, tokens: tokens, audioMs: audioMs, providerItemID: providerItemID)
        case .instruction(let text, let tokens):
            outcome = try applyInstruction(text, tokens: tokens)
        case .speechStarted:
            outcome = try applySpeechStarted()
        case .turnComplete:
            outcome = applyTurnComplete()
        case .summary(let text, let tokens):
            outcome = try applySummary(text, tokens: tokens)
        case .usageReported(let reported, let audio):
            outcome = applyUsageReport(reported, audio: audio)
        case .connected, .reseedPlanned:
            // The context stays as it is; only the provider mirror follows.
            outcome = finish([], [])
        }
        // `take` leaves nil behind, so the mirror's arrays are not copied when it changes.
        if var mirror = provider.take() {
            outcome.provider = mirror.follow(event, outcome.delta, context: self)
            provider = mirror
        }
        #if CONTEXT_INVARIANT_CHECKS
        if let violation = invariantViolation() {
            preconditionFailure("ContextSession invariant broken after \(event): \(violation)")
        }
        #endif
        return outcome
    }
}

// MARK: - The stored form

/// How an event is kept in a session's stored log: a kind name and a JSON payload. The names and
/// payloads are those the release before `ContextEvent` wrote (`fixtures/stores/release-4628414.db`
/// is rebuilt by the tests), so stored logs stay readable.
extension ContextEvent {
    /// The kind's name in the stored log.
    public var kind: String {
        switch self {
        case .turn: "turn"
        case .instruction: "instruction"
        case .speechStarted: "speech"
        case .turnComplete: "complete"
        case .summary: "summary"
        case .connected: "connected"
        case .reseedPlanned: "reseed"
        case .usageReported: "usage"
        }
    }

    /// The payload in the stored log: `turn {role, text, final}`, `instruction {text}`,
    /// `summary {text | null}`, the others `{}`; `tokens` only when the caller gave a count.
    public var payload: JSONObject {
        var object: JSONObject
        var given: Int?
        switch self {
        case .turn(let role, let text, let final, let tokens, let audioMs, let providerItemID):
            object = ["role": .string(role.rawValue), "text": .string(text), "final": .bool(final)]
            if let audioMs { object["audioMs"] = .int(Int64(audioMs)) }
            if let providerItemID { object["providerItemId"] = .string(providerItemID) }
            given = tokens
        case .instruction(let text, let tokens):
            object = ["text": .string(text)]
            given = tokens
        case .speechStarted, .turnComplete:
            object = [:]
        case .summary(let text, let tokens):
            object = ["text": text.map { .string($0) } ?? .null]
            given = tokens
        case .connected(let reseeded):
            object = ["reseeded": .bool(reseeded)]
        case .reseedPlanned(let reason):
            object = ["reason": .string(reason)]
        case .usageReported(let inputTokens, let audioTokens):
            object = ["inputTokens": .int(Int64(inputTokens))]
            if let audioTokens { object["audioTokens"] = .int(Int64(audioTokens)) }
        }
        if let given { object["tokens"] = .int(Int64(given)) }
        return object
    }

    /// The event a stored log holds.
    ///
    /// - Throws: `ContextError(.invalidEvent)` naming what is wrong: an unknown kind or a payload
    ///   without its fields. A log is never folded with guessed values.
    public init(kind: String, payload: JSONValue) throws {
        func text(_ name: String) throws -> String {
            guard let value = payload[name]?.stringValue else {
                throw ContextError(.invalidEvent, "a stored \(kind) event has no string \"\(name)\"")
            }
            return value
        }
        let tokens = payload["tokens"]?.intValue
        switch kind {
        case "turn":
            guard let role = payload["role"]?.stringValue.flatMap(TurnRole.init(rawValue:)) else {
                throw ContextError(.invalidEvent, "a stored turn event has no role \"user\" or \"model\"")
            }
            self = .turn(
                role, text: try text("text"), final: payload["final"]?.boolValue ?? true, tokens: tokens,
                audioMs: payload["audioMs"]?.intValue, providerItemID: payload["providerItemId"]?.stringValue)
        case "instruction":
            self = .instruction(text: try text("text"), tokens: tokens)
        case "speech":
            self = .speechStarted
        case "complete":
            self = .turnComplete
        case "summary":
            guard let value = payload["text"], value == .null || value.stringValue != nil else {
                throw ContextError(.invalidEvent, "a stored summary event has no \"text\" (a string or null)")
            }
            self = .summary(text: value.stringValue, tokens: tokens)
        case "connected":
            self = .connected(reseeded: payload["reseeded"]?.boolValue ?? false)
        case "reseed":
            self = .reseedPlanned(reason: try text("reason"))
        case "usage":
            guard let inputTokens = payload["inputTokens"]?.intValue else {
                throw ContextError(.invalidEvent, "a stored usage event has no whole number \"inputTokens\"")
            }
            let audioTokens = payload["audioTokens"]?.intValue
            if let audioTokens, !(0 ... inputTokens).contains(audioTokens) {
                throw ContextError(.invalidEvent, "a stored usage event has audioTokens \(audioTokens) outside 0...inputTokens (\(inputTokens))")
            }
            self = .usageReported(inputTokens: inputTokens, audioTokens: audioTokens)
        default:
            throw ContextError(.invalidEvent, "unknown stored event kind \"\(kind)\"")
        }
    }
}
