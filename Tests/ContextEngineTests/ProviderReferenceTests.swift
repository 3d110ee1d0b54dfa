import ContextEngine
import Testing

/// The reference profile (a 20,000-token script, 50/100-token turns, a 400-token instruction every
/// exchange, strip-after-response) as each provider holds it, against arithmetic done by hand.
@Suite struct ProviderReferenceTests {
    struct Run {
        var held: [Int] = []
        /// Exchanges whose events planned a re-seed.
        var reseeds: [Int] = []
        /// The first exchange at which the provider held more than its limit.
        var firstOver: Int?
        var session: ContextSession
    }

    /// Plays `exchanges` reference exchanges; a planned re-seed is confirmed at once, as a relay does.
    static func run(_ kind: ProviderKind, exchanges: Int, plan: Bool = true, reserve: Int? = nil) throws -> Run {
        let profile = try ProviderProfile.named(kind)
        var configuration = SessionConfiguration(
            window: profile.window, reserve: reserve ?? profile.reserve, policy: .stripAfterResponse, provider: profile)
        configuration.policy.overheadPerItem = ["*": profile.overheadPerItem]
        configuration.providerPolicy.planReseeds = plan
        var session = try ContextSession(
            id: "reference", script: TestSupport.script(tokens: 20_000), configuration: configuration, tokenizer: TestSupport.o200k)
        var run = Run(session: session)
        for exchange in 1 ... exchanges {
            let ids = kind == .openAIRealtime ? ("item_u\(exchange)", "item_m\(exchange)") : (nil, nil)
            let events: [ContextEvent] = [
                .instruction(text: "coach", tokens: 400), .speechStarted,
                .turn(.user, text: "user", tokens: 50, providerItemID: ids.0),
                .turn(.model, text: "model", tokens: 100, providerItemID: ids.1), .turnComplete,
            ]
            for event in events {
                let outcome = try session.apply(event)
                let provider = try #require(outcome.provider)
                if provider.reseed != nil {
                    run.reseeds.append(exchange)
                    _ = try session.apply(.connected(reseeded: true))
                }
                let held = session.provider!.held
                run.held.append(held)
                if held > provider.limit && run.firstOver == nil { run.firstOver = exchange }
            }
        }
        run.session = session
        return run
    }

    /// Without re-seeds Gemini keeps every stripped instruction: 20,000 + 550·k after k exchanges.
    /// Exchange 22: 20,000 + 550·21 = 31,550, +400 at speech start 31,950, +50 32,000, +100 32,100 > 32,000.
    @Test func geminiWithoutReseedsPassesTheWindowAtExchange22() throws {
        let run = try Self.run(.geminiLive, exchanges: 30, plan: false)
        #expect(run.firstOver == 22)
        #expect(run.reseeds.isEmpty)
        // 400 stale per answered instruction: 30 of them at exchange 30.
        #expect(run.session.provider!.stale == 30 * 400)
    }

    /// With re-seeds planned at 90 % of 32,000 (28,800; the profile's reserve 4,000 keeps seeds at
    /// most 28,000), 1,000 exchanges never pass the window. By hand: a plan comes at the first event
    /// after which the provider holds more than 28,800; an exchange adds +400 (speech start), +50
    /// (user), +100 (model) at the provider, and the seed then holds the compacted context
    /// 20,000 + 150 per earlier exchange + what the current one has so far. With E the held tokens at
    /// the end of an exchange:
    /// - E(16) = 20,000 + 550·16 = 28,800; speech start of 17: 29,200 → plan at 17, seed 22,800, E(17) 22,950;
    /// - 22,950 + 550·9 = 27,900 (+550 = 28,450: no); E(27) 28,450, +400 → plan at 28, seed 24,450, E(28) 24,600;
    /// - 24,600 + 550·7 = 28,450, +400 → 36; seed 20,000 + 35·150 + 400 = 25,650, E(36) 25,800;
    /// - 25,800 + 550·5 = 28,550, +400 → 42; seed 26,550, E(42) 26,700;
    /// - 26,700 + 550·3 = 28,350, +400 +50 = 28,800 (no), +100 → plan at the model turn of 46, seed
    ///   20,000 + 45·150 + 550 = 27,300, E(46) 27,300 (its instruction now stale);
    /// - 27,300 + 550·2 = 28,400, +400 = 28,800 (no), +50 → plan at the user turn of 49.
    @Test func geminiWithPlannedReseedsNeverPassesTheWindow() throws {
        let run = try Self.run(.geminiLive, exchanges: 1_000)
        #expect(run.firstOver == nil)
        #expect(run.held.max()! <= 32_000)
        #expect(Array(run.reseeds.prefix(6)) == [17, 28, 36, 42, 46, 49])
        // After each confirmed seed nothing stale is held until the next instruction is stripped.
        #expect(run.session.provider!.held <= 28_800 + 550)
    }

    /// Each OpenAI model's input limit, and the profile's budget (window − reserve) exactly that:
    /// gpt-realtime 28,224 (the SDK's truncation docs), gpt-4o-mini-realtime 16,000 − 4,096 output
    /// tokens = 11,904 (its model page).
    @Test(arguments: [("gpt-realtime", 28_224), ("gpt-4o-realtime-preview", 28_224), ("gpt-4o-mini-realtime-preview", 11_904),
                      ("gpt-4o-mini-realtime-preview-2024-12-17", 11_904)])
    func openAIModelsHoldTheirOwnLimit(model: String, limit: Int) throws {
        let profile = try ProviderProfile.named(.openAIRealtime, model: model)
        #expect(profile.heldLimit == limit)
        #expect(profile.window - profile.reserve == limit)
    }

    /// A session stored before `recostOnCalibration` folds its log as it did: after a report that
    /// doubles the audio rate, a new spoken turn still costs the budget the profile's rate (10 s of
    /// user audio: 100 tokens) and nothing held is counted again; a session opened now counts 200
    /// and re-counts the turn held before the report (the audit's F3: old calibrating sessions did not
    /// resume after the upgrade, their logs rebuilt to other hashes).
    @Test(arguments: [false, true])
    func calibrationReachesTheBudgetOnlyInSessionsOpenedWithIt(recost: Bool) throws {
        let profile = try ProviderProfile.named(.openAIRealtime)
        var configuration = SessionConfiguration(window: profile.window, reserve: profile.reserve, policy: .stripAfterResponse, provider: profile)
        configuration.policy.overheadPerItem = ["*": profile.overheadPerItem]
        configuration.providerPolicy.calibrate = true
        configuration.providerPolicy.recostOnCalibration = recost
        var session = try ContextSession(
            id: "stored", script: TestSupport.script(tokens: 1_000), configuration: configuration, tokenizer: TestSupport.o200k)
        _ = try session.apply(.turn(.user, text: "hi", tokens: 1, audioMs: 10_000, providerItemID: "u1"))
        _ = try session.apply(.turn(.model, text: "hello", tokens: 1, audioMs: 5_000, providerItemID: "m1"))
        // The answer's input: the script (1,004) and the user turn at twice the rate (200 + 4).
        // Stored sessions match it against what is held at the report (the answer's 104 in): −4.
        let report = try session.apply(.usageReported(inputTokens: 1_208))
        #expect(report.provider?.drift?.calibrated == (recost ? "audio rate × 2.000 (was × 1.000)" : "audio rate × 0.980 (was × 1.000)"))
        let before = session.snapshot().usage.history
        _ = try session.apply(.turn(.user, text: "more", tokens: 1, audioMs: 10_000, providerItemID: "u2"))
        let added = session.snapshot().usage.history - before
        #expect(added == (recost ? 204 : 104))
        // What the budget holds of the first exchange: at the profile's rates (100 + 100 + 8), or again at × 2.
        #expect(before == (recost ? 408 : 208))
    }

    /// OpenAI deletes what leaves the context: what it holds is the compacted context, item for item,
    /// and never more than its 28,224 input tokens (4-token framing per item).
    @Test func openAIWithDeletesHoldsTheCompactedContext() throws {
        let run = try Self.run(.openAIRealtime, exchanges: 1_000)
        #expect(run.firstOver == nil)
        #expect(run.held.max()! <= 28_224)
        #expect(run.session.provider!.held == run.session.currentUsage.total)
        #expect(run.session.provider!.stale == 0)
        #expect(run.reseeds.isEmpty)
    }
}
