/// One method per event, for callers that build events one at a time (tests, benchmarks, embedders).
/// Each is `apply` of the matching `ContextEvent`: there is no second path.
extension ContextSession {
    /// `apply(.turn(…))`: a turn, or a chunk of one.
    public mutating func appendTurn(_ role: TurnRole, text: String, final: Bool = true, tokens: Int? = nil) throws
        -> EventOutcome
    {
        try apply(.turn(role, text: text, final: final, tokens: tokens))
    }

    /// `apply(.instruction(…))`: a manager instruction, buffered as pending.
    public mutating func pushInstruction(_ text: String, tokens: Int? = nil) throws -> EventOutcome {
        try apply(.instruction(text: text, tokens: tokens))
    }

    /// `apply(.speechStarted)`: the client started speaking.
    public mutating func clientSpeechStarted() throws -> EventOutcome { try apply(.speechStarted) }

    /// `apply(.turnComplete)`: the model finished its turn.
    public mutating func modelTurnComplete() -> EventOutcome {
        // Cannot throw: completing a turn only finalizes and strips, it never needs room.
        try! apply(.turnComplete)
    }

    /// `apply(.summary(…))`: sets or (with nil) removes the summary item.
    public mutating func setSummary(_ text: String?, tokens: Int? = nil) throws -> EventOutcome {
        try apply(.summary(text: text, tokens: tokens))
    }
}
