import EngineServer
import JSONWire
import Testing

/// Gemini's `systemInstruction` delivery with a policy that keeps answered instructions: a
/// `contextUpdate` replaces the whole system instruction, so the provider holds what the last one
/// carried. Checked against a provider that applies the messages as Gemini documents them (setup
/// sets the system instruction, `contextUpdate` replaces it), and against the context itself: after
/// every answer the provider's system instruction is the script and every instruction the context
/// holds, in order, and the ledger holds exactly the context's items (nothing stale: an
/// instruction leaving the system instruction leaves nothing behind). Each update used to carry the
/// newest instruction alone, while the ledger added every one to the script's entry.
@Suite struct SystemInstructionDeliveryTests {
    static let script = "You are Ada, a sales agent for Solar Roofs. Be brief, friendly and concrete."

    /// The provider's system instruction, from the messages the relay was handed.
    struct Provider {
        var system = ""

        mutating func apply(_ answer: JSONValue) {
            for message in answer["result"]?["send"]?.arrayValue ?? [] { apply(message: message) }
            for message in answer["result"]?["reseed"]?["send"]?.arrayValue ?? [] { apply(message: message) }
        }

        mutating func apply(message: JSONValue) {
            if let text = message["setup"]?["systemInstruction"]?["parts"]?.arrayValue?.first?["text"]?.stringValue { system = text }
            if let text = message["contextUpdate"]?["systemInstruction"]?["parts"]?.arrayValue?.first?["text"]?.stringValue { system = text }
        }
    }

    /// The context's instructions in order, and what the ledger should hold for the call: the
    /// script and the instructions inside one item, each turn an item of its own (typed turns and
    /// text answers: all text).
    static func expected(_ harness: Harness, overhead: Int) throws -> (system: String, held: Int) {
        let snapshot = harness.call("context.snapshot", ["session": "g", "renderer": "neutral"])
        let items = try #require(snapshot["result"]?["snapshot"]?["items"]?.arrayValue)
        var system = script, held = overhead
        for item in items {
            let tokens = try #require(item["tokens"]?.intValue)
            switch item["kind"]?.stringValue {
            case "script": held += tokens
            case "instruction":
                system += "\n\n" + (try #require(item["text"]?.stringValue))
                held += tokens
            default: held += tokens + overhead
            }
        }
        return (system, held)
    }

    static func open(_ harness: Harness, keepLast: Int) -> JSONValue {
        harness.call("session.open", [
            "session": "g", "script": .string(script), "provider": "gemini-live",
            "policy": ["preset": "keep-last-n", "keepLast": .int(Int64(keepLast))],
            "providerPolicy": ["instructionDelivery": "systemInstruction"],
        ])
    }

    @Test(arguments: [1, 2, 5])
    func theSystemInstructionHoldsEveryInstructionTheContextKeeps(keepLast: Int) throws {
        let harness = Harness()
        let opened = Self.open(harness, keepLast: keepLast)
        let overhead = try #require(opened["result"]?["capacity"]?["overheadPerItem"]?.intValue)
        var provider = Provider()
        provider.apply(opened)
        var updates = 0
        // Each answer is checked against the context as it stands right after it.
        func step(_ method: String, _ params: JSONObject, _ exchange: Int) throws {
            let answer = harness.call(method, params)
            #expect(answer["result"] != nil, "\(answer)")
            provider.apply(answer)
            let sent = answer["result"]?["send"]?.arrayValue ?? []
            // One update an event at most, whatever came and went in it.
            #expect(sent.filter { $0["contextUpdate"] != nil }.count <= 1, "\(sent)")
            updates += sent.filter { $0["contextUpdate"] != nil }.count
            let expected = try Self.expected(harness, overhead: overhead)
            #expect(provider.system == expected.system, "exchange \(exchange), \(method): the provider holds\n\(provider.system)")
            #expect(answer["result"]?["provider"]?["held"]?.intValue == expected.held, "exchange \(exchange), \(method): \(answer)")
            #expect(answer["result"]?["provider"]?["stale"]?.intValue == 0)
        }
        for exchange in 1 ... 12 {
            try step("instruction.push", ["session": "g", "text": .string("Mention offer \(exchange).")], exchange)
            // Every third exchange the caller barges in before the answer completes: the active
            // instruction is finished as answered and the next one comes in the same event.
            if exchange % 3 == 0 {
                try step("client.speechStarted", ["session": "g"], exchange)
                try step("instruction.push", ["session": "g", "text": .string("Offer \(exchange) ends today.")], exchange)
            }
            try step("client.speechStarted", ["session": "g"], exchange)
            try step("turn.append", ["session": "g", "role": "user", "text": .string("And number \(exchange)?")], exchange)
            try step("turn.append", ["session": "g", "role": "model", "text": .string("Number \(exchange) costs \(exchange * 90) €.")], exchange)
            try step("model.turnComplete", ["session": "g"], exchange)
        }
        #expect(updates >= 12)
    }

    /// A re-seed planned while two kept instructions are inside the system instruction, one of them
    /// stripped before the relay confirms: the new connection's setup carried it, so the confirmation
    /// replaces the system instruction without it, and nothing is stale (it was counted stale).
    @Test func anInstructionStrippedBeforeTheConfirmationIsReplacedNotStale() throws {
        let harness = Harness()
        let opened = Self.open(harness, keepLast: 2)
        let overhead = try #require(opened["result"]?["capacity"]?["overheadPerItem"]?.intValue)
        var provider = Provider()
        provider.apply(opened)
        func exchange(_ number: Int) {
            for answer in [
                harness.call("instruction.push", ["session": "g", "text": .string("Mention offer \(number).")]),
                harness.call("client.speechStarted", ["session": "g"]),
                harness.call("turn.append", ["session": "g", "role": "user", "text": .string("And number \(number)?")]),
                harness.call("turn.append", ["session": "g", "role": "model", "text": .string("It costs \(number * 90) €.")]),
                harness.call("model.turnComplete", ["session": "g"]),
            ] { provider.apply(answer) }
        }
        exchange(1)
        exchange(2)
        let goAway = harness.call("resume.goAway", ["session": "g", "timeLeftMs": 5_000])
        #expect(goAway["result"]?["action"] == "reseed", "\(goAway)")
        let planned = try #require(goAway["result"]?["reseed"]?["send"]?.arrayValue)
        // The relay opens the new connection with the plan; meanwhile a third exchange strips
        // instruction 1 (keep-last 2), on the old connection.
        var seeded = Provider()
        for message in planned { seeded.apply(message: message) }
        #expect(seeded.system.contains("Mention offer 1.") && seeded.system.contains("Mention offer 2."))
        exchange(3)
        let confirmed = harness.call("resume.connected", ["session": "g", "reseeded": true])
        seeded.apply(confirmed)
        let expected = try Self.expected(harness, overhead: overhead)
        #expect(!expected.system.contains("Mention offer 1."))
        #expect(seeded.system == expected.system, "\(confirmed)")
        #expect(confirmed["result"]?["provider"]?["stale"]?.intValue == 0, "\(confirmed)")
    }
}
