import EngineServer
import JSONWire
import Testing

/// OpenAI: a re-seed sends the spoken turns to the new connection as text, so from then on the
/// provider holds their text, not their audio. The budget counted the audio alone: a transcript
/// longer than its audio (a relay that sends the last chunk's duration, not the whole turn's) held
/// 36,607 tokens of the 28,224 after re-seeds (audit). The oracle is the ledger against the limit
/// and against the budget after every answer: what the provider holds is never more than what the
/// budget counts (docs/providers.md, What the ledger counts), so never past 28,224.
@Suite struct SpokenTextCostTests {
    static let script = "You are Ada, a sales agent for Solar Roofs. Be brief, friendly and concrete."

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
}
