import ContextEngine
import Testing

/// The design notes' arithmetic: window 32,000, script 20,000, user 50, model 100, a 400-token
/// instruction every exchange, zero reserve and overhead.
@Suite struct ReferenceArithmeticTests {
    /// Runs exchanges until the first eviction; returns how many completed before it.
    func exchangesBeforeFirstEviction(_ policy: ContextPolicy) throws -> Int {
        var session = try TestSupport.session(policy: policy)
        for exchange in 0 ..< 10_000 {
            let outcomes = [
                try session.pushInstruction("coach", tokens: 400),
                try session.clientSpeechStarted(),
                try session.appendTurn(.user, text: "u", tokens: 50),
                try session.appendTurn(.model, text: "m", tokens: 100),
                session.modelTurnComplete(),
            ]
            if outcomes.contains(where: \.evicted) { return exchange }
        }
        return -1
    }

    @Test func keepAllFits21Exchanges() throws {
        // 12,000 / (50 + 100 + 400) = 21.8
        #expect(try exchangesBeforeFirstEviction(.keepAll) == 21)
    }

    @Test func stripAfterResponseFits77Exchanges() throws {
        // floor((12,000 − 400) / 150) = 77: the active instruction sits beside 77 exchanges of history.
        #expect(try exchangesBeforeFirstEviction(.stripAfterResponse) == (12_000 - 400) / 150)
        #expect(try exchangesBeforeFirstEviction(.stripAfterResponse) == 77)
    }

    @Test func keepLastTwoSitsBetween() throws {
        // 2 kept + 1 active instruction: floor((12,000 − 1,200) / 150) = 72.
        #expect(try exchangesBeforeFirstEviction(.keepLast(2)) == 72)
    }

    @Test(arguments: [ContextPolicy.keepAll, .stripAfterResponse, .keepLast(3)])
    func thousandExchangesNeverExceedTheWindow(_ policy: ContextPolicy) throws {
        var session = try TestSupport.session(policy: policy)
        var evictions = 0
        for _ in 0 ..< 1_000 {
            for outcome in [
                try session.pushInstruction("coach", tokens: 400),
                try session.clientSpeechStarted(),
                try session.appendTurn(.user, text: "u", tokens: 50),
                try session.appendTurn(.model, text: "m", tokens: 100),
                session.modelTurnComplete(),
            ] {
                #expect(outcome.usage.total <= 32_000)
                if outcome.evicted { evictions += 1 }
            }
        }
        #expect(session.currentUsage.total <= 32_000)
        #expect(session.snapshot().items.first?.kind == .script)
        // Hysteresis: evicting down to 75 % of the room means ~one eviction per 3,000 tokens.
        #expect(evictions > 0 && evictions < 200)
    }
}
