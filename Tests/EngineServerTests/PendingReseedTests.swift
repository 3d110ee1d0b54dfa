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

    /// OpenAI: an instruction stripped between the plan and its confirmation was deleted on the old
    /// connection only, and the new one, seeded with it, kept it (stale forever). Now the
    /// confirmation deletes it there too: the ledger equals that of the same call whose instruction
    /// was stripped before the plan (so never seeded), and nothing is stale.
    @Test func anItemThatLeftBeforeTheConfirmationIsDeletedOnTheNewConnection() throws {
        func call(stripFirst: Bool, calibrate: Bool = false) throws -> (send: [JSONValue], provider: JSONValue?, instruction: String) {
            let harness = Harness()
            _ = harness.call("session.open", ["session": "o", "script": .string(script), "provider": "openai-realtime",
                                              "providerPolicy": ["calibrate": .bool(calibrate)]])
            _ = harness.call("instruction.push", ["session": "o", "text": "Mention the 10% discount."])
            let started = harness.call("client.speechStarted", ["session": "o"])
            let instruction = try #require(started["result"]?["delta"]?["added"]?.arrayValue?.first?["id"]?.stringValue)
            // Calibrated: typed turns, so that the report moves the framing per item (audio would
            // take the difference on the audio rate instead).
            let spoken: (Int, String) -> JSONObject = { ms, id in calibrate ? [:] : ["audioMs": .int(Int64(ms)), "providerItemId": .string(id)] }
            func turn(_ role: String, _ text: String, _ ms: Int, _ id: String) {
                var params: JSONObject = ["session": "o", "role": .string(role), "text": .string(text)]
                for (key, value) in spoken(ms, id).members { params[key] = value }
                _ = harness.call("turn.append", params)
            }
            turn("user", "How much is it?", 1_500, "item_u1")
            func goAway() {
                let answer = harness.call("resume.goAway", ["session": "o", "timeLeftMs": 1_000])
                #expect(answer["result"]?["action"] == "reseed")
            }
            if !stripFirst { goAway() }
            turn("model", "About nine thousand euros.", 2_000, "item_m1")
            // A report far above the ledger: calibration moves the framing between plan and confirmation.
            if calibrate { _ = harness.call("usage.report", ["session": "o", "inputTokens": 2_000]) }
            let complete = harness.call("model.turnComplete", ["session": "o"])
            #expect(complete["result"]?["delta"]?["removed"]?.arrayValue?.contains(.string(instruction)) == true)
            if stripFirst { goAway() }
            let confirmed = harness.call("resume.connected", ["session": "o", "reseeded": true])
            return (try #require(confirmed["result"]?["send"]?.arrayValue), confirmed["result"]?["provider"], instruction)
        }
        let between = try call(stripFirst: false), before = try call(stripFirst: true)
        let deletes = between.send.filter { $0["type"] == "conversation.item.delete" }.compactMap { $0["item_id"]?.stringValue }
        #expect(deletes == ["tb_" + between.instruction], "\(between.send)")
        #expect(between.provider?["stale"] == 0)
        #expect(between.provider?["held"] == before.provider?["held"], "\(String(describing: between.provider)) \(String(describing: before.provider))")
        // Sent by id: framing calibrated between plan and confirmation (the seed's size counted at
        // the old framing) once hid the delete.
        let calibrated = try call(stripFirst: false, calibrate: true)
        let calibratedDeletes = calibrated.send.filter { $0["type"] == "conversation.item.delete" }.compactMap { $0["item_id"]?.stringValue }
        #expect(calibratedDeletes == ["tb_" + calibrated.instruction], "\(calibrated.send)")
    }
}
