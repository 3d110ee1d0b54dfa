import EngineServer
import JSONWire
import Testing

/// OpenAI: the budget counts every item at least as the provider holds it (`budgetCoversHeld`), so
/// what the provider holds never passes 28,224. The oracle is the ledger against the limit and
/// against the budget after every answer (docs/providers.md, What the ledger counts); on a call in
/// text, which the provider holds as the engine counts it, the two are equal.
@Suite struct BudgetCoversHeldTests {
    static let script = "You are Ada, a sales agent for Solar Roofs. Be brief, friendly and concrete."

    /// A re-seed sends the spoken turns to the new connection as text, so from then on the provider
    /// holds their text, not their audio. The budget counted the audio alone: a transcript longer
    /// than its audio (a relay that sends the last chunk's duration, not the whole turn's) held
    /// 36,607 tokens of the 28,224 after re-seeds (audit).
    @Test func theProviderNeverHoldsMoreThanTheBudgetAfterReseeds() throws {
        let harness = Harness()
        let opened = harness.call("session.open", ["session": "o", "script": .string(Self.script), "provider": "openai-realtime"])
        let limit = try #require(opened["result"]?["provider"]?["limit"]?.intValue)
        // ~600 tokens of transcript for 1 s of audio (10 tokens for the caller, 20 for the model).
        let long = (0 ..< 300).map { "word\($0)" }.joined(separator: " ")
        var reseeds = 0, peak = 0
        func check(_ answer: JSONValue, _ what: String) throws {
            #expect(answer["result"] != nil, "\(what): \(answer)")
            guard let held = answer["result"]?["provider"]?["held"]?.intValue, let total = answer["result"]?["usage"]?["total"]?.intValue
            else { return }
            peak = max(peak, held)
            #expect(held <= total, "\(what): the provider holds \(held), the budget counts \(total)")
            #expect(held <= limit, "\(what): the provider holds \(held) of \(limit)")
        }
        for exchange in 1 ... 120 {
            try check(harness.call("client.speechStarted", ["session": "o"]), "speech \(exchange)")
            try check(harness.call("turn.append", [
                "session": "o", "role": "user", "text": .string(long), "audioMs": 1_000, "providerItemId": .string("u\(exchange)"),
            ]), "user \(exchange)")
            try check(harness.call("turn.append", [
                "session": "o", "role": "model", "text": .string(long), "audioMs": 1_000, "providerItemId": .string("m\(exchange)"),
            ]), "model \(exchange)")
            try check(harness.call("model.turnComplete", ["session": "o"]), "complete \(exchange)")
            if exchange % 10 == 0 {
                // The relay's connection ends: a new one, seeded with the context as text.
                let goAway = harness.call("resume.goAway", ["session": "o", "timeLeftMs": 1_000])
                #expect(goAway["result"]?["action"] == "reseed", "\(goAway)")
                try check(harness.call("resume.connected", ["session": "o", "reseeded": true]), "re-seed \(exchange)")
                reseeds += 1
            }
        }
        #expect(reseeds == 12)
        // The calls reach the limit: eviction, not a short call, keeps them under it.
        #expect(peak > limit * 3 / 4, "peak \(peak)")
    }

    /// Typed turns, text answers, a summary, a framing of the policy's own, and usage reports that calibrate the
    /// framing up to its cap: the ledger and the budget stay equal. The budget counted calibration's
    /// shift from the profile's framing (4), so a policy's 10 counted 6 more than held on every item,
    /// and it left the script and the summary at their first framing (28 less than held for the
    /// script once the framing calibrated to 32; audit 41).
    @Test(arguments: [nil, 10])
    func typedTurnsCostWhatTheProviderHolds(framing: Int?) throws {
        let harness = Harness()
        var open: JSONObject = ["session": "t", "script": .string(Self.script), "provider": "openai-realtime", "providerPolicy": ["calibrate": true]]
        if let framing { open["policy"] = ["overheadPerItem": .int(Int64(framing))] }
        let opened = harness.call("session.open", open)
        #expect(opened["result"] != nil, "\(opened)")
        func same(_ answer: JSONValue, _ what: String) {
            #expect(answer["result"] != nil, "\(what): \(answer)")
            let held = answer["result"]?["provider"]?["held"]?.intValue, total = answer["result"]?["usage"]?["total"]?.intValue
            #expect(held != nil && held == total, "\(what): the provider holds \(String(describing: held)), the budget counts \(String(describing: total))")
        }
        same(harness.call("summary.set", ["session": "t", "text": "Earlier: the caller asked about panels."]), "summary")
        var reports = 0
        for exchange in 1 ... 30 {
            same(harness.call("turn.append", ["session": "t", "role": "user", "text": .string("How much is option \(exchange)?")]), "user \(exchange)")
            // The model's answer in text (its item's id: OpenAI created it).
            same(harness.call("turn.append", [
                "session": "t", "role": "model", "text": .string("Option \(exchange) costs \(exchange * 90) €."), "providerItemId": .string("m\(exchange)"),
            ]), "model \(exchange)")
            same(harness.call("model.turnComplete", ["session": "t"]), "complete \(exchange)")
            if exchange % 5 == 0 {
                // The provider counts more framing than the ledger: 12 more a held item.
                let snapshot = harness.call("context.snapshot", ["session": "t"])
                let items = try #require(snapshot["result"]?["usage"]?["items"]?.intValue)
                let total = try #require(snapshot["result"]?["usage"]?["total"]?.intValue)
                let report = harness.call("usage.report", ["session": "t", "inputTokens": .int(Int64(total + 12 * items))])
                same(report, "report \(exchange)")
                if report["result"]?["drift"]?["calibrated"] != nil && report["result"]?["drift"]?["calibrated"] != .null { reports += 1 }
            }
        }
        #expect(reports >= 1, "no report calibrated the framing")
    }
}
