/// Exchanges of a recorded call numbered as the engine numbers them: a user turn starts one when
/// the current one has its model turn (or none has begun), so an opening model turn — a greeting —
/// is exchange 1 on its own. Counting one exchange per user turn put the 120 of the 260 shared
/// dialogues that open with the agent one exchange off: two answers of exchange 1, history@10 read
/// 11 (audit). Synthesized instructions keep their cadence by user turns.
struct ExchangeCounter {
    private(set) var exchange = 0
    private(set) var userTurns = 0
    private var answered = false

    /// A user turn; true when it starts a new exchange.
    mutating func user() -> Bool {
        userTurns += 1
        guard exchange == 0 || answered else { return false }
        exchange += 1
        answered = false
        return true
    }

    /// A model turn; an opening one starts exchange 1.
    mutating func model() {
        if exchange == 0 { exchange = 1 }
        answered = true
    }
}
