import EngineServer
import JSONWire
import Testing

/// A re-seed plan the relay did not carry out (it resumed with the handle instead) must not block
/// the plans after it: kept pending, it did, and a Gemini call grew past its 32,000 tokens (audit).
@Suite struct PendingReseedTests {
    /// Spoken exchanges until the engine plans a re-seed; returns the harness and the plan's request id.
    static func plannedGeminiCall() throws -> Harness {
        let harness = Harness()
        let open = harness.call("session.open", ["session": "g", "script": .string(script), "provider": "gemini-live"])
        #expect(open["result"]?["provider"]?["name"] == "gemini-live")
        // 32 tokens a second of audio: 30 s of user and 60 s of model audio are 2,880 held tokens.
        for exchange in 1 ... 20 {
            let user = harness.call("turn.append", ["session": "g", "role": "user", "text": "tell me more", "audioMs": 30_000])
            let model = harness.call("turn.append", ["session": "g", "role": "model", "text": "gladly", "audioMs": 60_000])
            if user["result"]?["reseed"] != nil || model["result"]?["reseed"] != nil {
                #expect(exchange > 1)
                return harness
            }
        }
        Issue.record("no re-seed was planned in 20 exchanges")
        return harness
    }

    static func held(_ answer: JSONValue) -> Int? { answer["result"]?["provider"]?["held"]?.intValue }

    @Test func aGoAwayWithAPlanPendingReseeds() throws {
        let harness = try Self.plannedGeminiCall()
        // A fresh handle and nothing stale: without the plan, the answer would be a reconnect.
        _ = harness.call("resume.update", ["session": "g", "handle": "h1"])
        let goAway = harness.call("resume.goAway", ["session": "g", "timeLeftMs": 50_000])
        #expect(goAway["result"]?["action"] == "reseed", "\(goAway)")
        #expect(goAway["result"]?["reseed"]?["send"]?.arrayValue?.isEmpty == false, "\(goAway)")
    }

    @Test func aResumptionInsteadOfThePlanPlansAgain() throws {
        let harness = try Self.plannedGeminiCall()
        let resumed = harness.call("resume.connected", ["session": "g", "reseeded": false])
        // Still over the threshold: the plan is made again at once, and a later confirmation takes.
        #expect(resumed["result"]?["reseed"] != nil, "\(resumed)")
        let before = try #require(Self.held(resumed))
        let seeded = harness.call("resume.connected", ["session": "g", "reseeded": true])
        let after = try #require(Self.held(seeded))
        #expect(after < before / 2, "held \(before) → \(after)")
        // And the call goes on with plans: 30 more exchanges never pass the 32,000.
        for _ in 1 ... 30 {
            for (role, audio) in [("user", 30_000), ("model", 60_000)] {
                let answer = harness.call("turn.append", ["session": "g", "role": .string(role), "text": "more", "audioMs": .int(Int64(audio))])
                #expect(try #require(Self.held(answer)) <= 32_000)
                if answer["result"]?["reseed"] != nil { _ = harness.call("resume.connected", ["session": "g", "reseeded": true]) }
            }
        }
    }
}
