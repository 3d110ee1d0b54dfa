import EngineServer
import JSONWire
import Testing

/// OpenAI's server VAD commits a spoken turn and starts the response before the turn's transcript
/// reaches the engine: the response's input is what the provider held after `client.speechStarted`
/// plus the turn, and with `truncation: "disabled"` an input over 28,224 tokens fails the response.
/// The oracle is that provider rule, simulated here: held after each speech start (its `send`
/// applied) + the user turn's audio (1 token per 100 ms) + 4 tokens of framing.
@Suite struct SpeechRoomTests {
    /// User turns of 2–120 s in a fixed pseudo-random order, 15 s answers, an instruction every
    /// third exchange; the responses whose input would exceed 28,224.
    static func overLimitResponses(providerPolicy: JSONObject?) throws -> (over: Int, worst: Int) {
        let harness = Harness()
        var open: JSONObject = ["session": "o", "script": .string(String(repeating: "You sell solar panels. ", count: 400)),
                                "provider": "openai-realtime"]
        if let providerPolicy { open["providerPolicy"] = .object(providerPolicy) }
        #expect(harness.call("session.open", open)["result"] != nil)
        let lengths = [2_000, 5_000, 10_000, 20_000, 40_000, 90_000, 120_000]
        var state: UInt64 = 7
        var over = 0, worst = 0
        for exchange in 0 ..< 300 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let userMs = lengths[Int(state >> 33) % lengths.count]
            if exchange % 3 == 0 {
                _ = harness.call("instruction.push", ["session": "o", "text": .string(String(repeating: "Mention the discount. ", count: 20))])
            }
            let started = harness.call("client.speechStarted", ["session": "o"])
            let held = try #require(started["result"]?["provider"]?["held"]?.intValue, "\(started)")
            let input = held + userMs / 100 + 4
            worst = max(worst, input)
            if input > 28_224 { over += 1 }
            for (role, ms) in [("user", userMs), ("model", 15_000)] {
                let turn = harness.call("turn.append", ["session": "o", "role": .string(role), "text": "about the panels",
                                                        "audioMs": .int(Int64(ms)), "providerItemId": .string("\(role)\(exchange)")])
                #expect(turn["result"] != nil, "\(turn)")
            }
            _ = harness.call("model.turnComplete", ["session": "o"])
        }
        return (over, worst)
    }

    @Test func noServerVADResponseGoesOverTheInputLimit() throws {
        let (over, worst) = try Self.overLimitResponses(providerPolicy: nil)
        #expect(over == 0, "\(over) responses over 28,224, worst \(worst)")
    }

    /// Without the room the same call fails responses: the simulation can tell.
    @Test func withoutTheRoomResponsesGoOver() throws {
        let (over, _) = try Self.overLimitResponses(providerPolicy: ["speechRoomMs": 0])
        #expect(over > 0)
    }

    /// A barge-in where older exchanges cannot make the room (a 26,500-token script): the exchange in
    /// progress stays, its answer still streaming — the room deleted it, and the relay's
    /// `conversation.item.truncate` of the interrupted answer then named no item (audit F5).
    @Test func theRoomNeverEvictsTheExchangeInProgress() {
        let harness = Harness()
        _ = harness.call("session.open", ["session": "o", "script": .string(String(repeating: "You sell solar panels. ", count: 5_300)),
                                          "provider": "openai-realtime"])
        _ = harness.call("client.speechStarted", ["session": "o"])
        _ = harness.call("turn.append", ["session": "o", "role": "user", "text": "q", "audioMs": 60_000, "providerItemId": "u1"])
        _ = harness.call("turn.append", ["session": "o", "role": "model", "text": "a", "final": false, "audioMs": 30_000, "providerItemId": "m1"])
        let bargeIn = harness.call("client.speechStarted", ["session": "o"])
        #expect(bargeIn["result"]?["send"]?.arrayValue?.isEmpty == true, "\(bargeIn)")
        #expect(bargeIn["result"]?["delta"]?["removed"]?.arrayValue?.isEmpty == true, "\(bargeIn)")
    }

    @Test func theRoomIsCheckedAndOnlyOpenAIGetsItByDefault() {
        let harness = Harness()
        let bad = harness.call("session.open", ["session": "x", "script": "s", "provider": "openai-realtime",
                                                "providerPolicy": ["speechRoomMs": -1]])
        #expect(bad["error"]?["data"]?["param"] == "providerPolicy", "\(bad)")
        #expect(bad["error"]?["data"]?["key"] == "speechRoomMs", "\(bad)")
        let engines = harness.call("session.open", ["session": "y", "script": "s", "provider": "openai-realtime",
                                                    "providerPolicy": ["recostOnCalibration": false]])
        #expect(engines["error"]?["data"]?["key"] == "recostOnCalibration", "\(engines)")
        // Gemini cannot delete: nothing to evict for the provider, so no room is stored with it.
        let gemini = harness.call("session.open", ["session": "g", "script": "s", "provider": "gemini-live"])
        #expect(gemini["result"] != nil)
        let stored = harness.call("session.get", ["session": "g"])["result"]?["configuration"]?["providerPolicy"]
        #expect(stored?["speechRoomMs"] == nil && stored?["recostOnCalibration"] == true, "\(String(describing: stored))")
        _ = harness.call("session.open", ["session": "o", "script": "s", "provider": "openai-realtime"])
        let openAI = harness.call("session.get", ["session": "o"])["result"]?["configuration"]?["providerPolicy"]
        #expect(openAI?["speechRoomMs"] == 60_000, "\(String(describing: openAI))")
    }
}
