import Foundation
import ContextEngine
import JSONWire
import Testing

@Suite struct TransitionTests {
    let o200k = TestSupport.o200k

    func realSession(_ policy: ContextPolicy = .stripAfterResponse, window: Int = 2_000) throws -> ContextSession {
        let script = Script(text: "You sell solar panels.", tokens: o200k.count("You sell solar panels."), encoding: o200k.name)
        return try ContextSession(
            id: "call-1", script: script, configuration: SessionConfiguration(window: window, policy: policy),
            tokenizer: o200k)
    }

    @Test func pendingInstructionIsNotInTheContext() throws {
        var session = try realSession()
        let outcome = try session.pushInstruction("Mention the discount.")
        #expect(outcome.delta.isEmpty)
        #expect(outcome.usage.instruction == 0)
        #expect(session.pendingInstruction?.text == "Mention the discount.")
        #expect(session.snapshot().items.map(\.kind) == [.script])
        #expect(outcome.transcript.first?.instructionState == .pending)
    }

    @Test func speechStartActivatesAndTurnCompleteStrips() throws {
        var session = try realSession()
        _ = try session.appendTurn(.model, text: "Hello, how can I help?")
        _ = session.modelTurnComplete()
        _ = try session.pushInstruction("Mention the discount.")
        let activated = try session.clientSpeechStarted()
        let rendered = "[SALES_MANAGER_INSTRUCTION]\nMention the discount."
        #expect(activated.delta.added.map(\.text) == [rendered])
        #expect(activated.usage.instruction == o200k.count(rendered))
        #expect(session.pendingInstruction == nil)
        let id = try #require(session.activeInstructionID)
        _ = try session.appendTurn(.user, text: "How much is it?")
        _ = try session.appendTurn(.model, text: "It is 10% off today.")
        #expect(session.snapshot().items.map(\.kind) == [.script, .turn, .instruction, .turn, .turn])
        let done = session.modelTurnComplete()
        #expect(done.delta.removed == [id])
        #expect(done.usage.instruction == 0)
        #expect(done.notes.contains(.instructionStripped(id: id)))
        #expect(done.transcript.contains { $0.id == id && $0.instructionState == .stripped && $0.content == "Mention the discount." })
        #expect(session.snapshot().items.map(\.kind) == [.script, .turn, .turn, .turn])
    }

    @Test func newerPendingReplacesOlderByDefault() throws {
        var session = try realSession()
        let first = try session.pushInstruction("A")
        let second = try session.pushInstruction("B")
        let firstID = first.transcript[0].id
        #expect(second.notes.contains(.instructionReplaced(id: firstID)))
        #expect(second.transcript.contains { $0.id == firstID && $0.instructionState == .replaced })
        #expect(session.pendingInstruction?.text == "B")
    }

    @Test func coalescePolicyJoinsPendingInstructions() throws {
        var policy = ContextPolicy.stripAfterResponse
        policy.pending = .coalesce
        var session = try realSession(policy)
        _ = try session.pushInstruction("A")
        _ = try session.pushInstruction("B")
        #expect(session.pendingInstruction?.text == "A\nB")
    }

    /// A coalesced push counts the joined text on from what the pending count settled: after every
    /// push the pending tokens are the tokenizer's count of the whole rendered text (oracle), for
    /// pushes that join mid-word-run, across line breaks and in scripts without spaces, and after a
    /// truncation (which counts whole again).
    @Test func coalescedCountsEqualCountingTheWholeText() throws {
        var policy = ContextPolicy.stripAfterResponse
        policy.pending = .coalesce
        policy.maxInstructionTokens = 400
        var session = try realSession(policy)
        let pushes = ["Mention the 10% discount", "aaaa", "aaaa", "日本語のお客様です", "のでゆっくり", "", "  spaced  ",
                      "ask about the roof", "!!!", "?!", "don't", "'s it", String(repeating: "long line of advice ", count: 15)]
        for round in 0 ..< 6 {
            for text in pushes {
                let outcome = try session.pushInstruction(text + (round % 2 == 0 ? "" : " \(round)"))
                let pending = try #require(session.pendingInstruction)
                let record = try #require(outcome.transcript.last { $0.id == pending.id })
                let rendered = policy.instructionTag + "\n" + pending.text
                #expect(record.tokens == o200k.count(rendered), "\(round) \(text): \(rendered.suffix(60).debugDescription)")
            }
        }
        // Over the limit the oldest lines go. A dropped line of many tokens in few bytes (digits),
        // then a push of few tokens in many bytes: the joined text fits, and reaches past where the
        // uncut text had settled — a count resumed from there would be off.
        policy.maxInstructionTokens = 60
        var short = try realSession(policy)
        let line = "please offer the annual plan with the installation discount today"
        var resumedPastACut = false
        var cutBefore = false
        for text in ["1 2 3 4 5 6 7 8 9", line, line, line, "ab cd", "internationalization", "y", line] {
            let outcome = try short.pushInstruction(text)
            let pending = try #require(short.pendingInstruction)
            let record = try #require(outcome.transcript.last { $0.id == pending.id })
            #expect(record.tokens == o200k.count(policy.instructionTag + "\n" + pending.text), "\(pending.text.debugDescription)")
            let cut = outcome.notes.contains { if case .instructionTruncated = $0 { true } else { false } }
            if cutBefore && !cut { resumedPastACut = true }
            cutBefore = cut
        }
        #expect(resumedPastACut, "a push that fits right after a cut")
    }

    /// Coalesced instructions over the limit keep the newest whole and drop the oldest lines (the
    /// joined text's end was cut: the newest instruction was lost and empty lines piled up, audit);
    /// a newest one over the limit alone is cut and nothing older kept. Oracle: the pushed texts.
    @Test func coalescingOverTheLimitKeepsTheNewest() throws {
        var policy = ContextPolicy.stripAfterResponse
        policy.pending = .coalesce
        policy.maxInstructionTokens = 24
        var session = try realSession(policy)
        let pushes = ["alpha beta gamma delta", "URGENT newest instruction", "LAST ONE", "offer the annual plan",
                      "mention the warranty", "ask for a budget", "close politely"]
        var dropped = 0
        for (index, text) in pushes.enumerated() {
            let outcome = try session.pushInstruction(text)
            let pending = try #require(session.pendingInstruction)
            #expect(pending.text.hasSuffix(text), "\(index): \(pending.text.debugDescription)")
            #expect(!pending.text.contains("\n\n") && !pending.text.hasPrefix("\n"))
            // Whole pushes only, newest last: the kept lines are a suffix of what was pushed.
            let lines = pending.text.split(separator: "\n").map(String.init)
            #expect(Array(pushes[...index].suffix(lines.count)) == lines)
            if lines.count < index + 1 {
                dropped += 1
                #expect(outcome.notes.contains { if case .instructionTruncated = $0 { true } else { false } })
            }
        }
        #expect(dropped >= 2, "the limit was met")
        let long = String(repeating: "Always ask about the budget first. ", count: 20)
        _ = try session.pushInstruction(long)
        let cut = try #require(session.pendingInstruction)
        #expect(long.hasPrefix(cut.text) && !cut.text.contains("close politely"))
    }

    @Test func overlongInstructionIsTruncatedOrRejected() throws {
        var policy = ContextPolicy.stripAfterResponse
        policy.maxInstructionTokens = 30
        var session = try realSession(policy)
        let long = String(repeating: "Always ask about the budget first. ", count: 20)
        let outcome = try session.pushInstruction(long)
        guard case .instructionTruncated(_, let from, let to)? = outcome.notes.first else {
            Issue.record("no truncation note: \(outcome.notes)")
            return
        }
        #expect(from > 30 && to <= 30 && to > 20)
        #expect(long.hasPrefix(session.pendingInstruction!.text))
        policy.overLimit = .reject
        var strict = try realSession(policy)
        let rejected = try #require(throws: ContextError.self) { try strict.pushInstruction(long) }
        #expect(rejected.code == .instructionTooLong)
        #expect(strict.pendingInstruction == nil)
    }

    @Test func partialChunksGrowOneTurn() throws {
        var session = try realSession()
        let first = try session.appendTurn(.user, text: "I would", final: false)
        let second = try session.appendTurn(.user, text: " like a quote", final: false)
        let third = try session.appendTurn(.user, text: " please.", final: true)
        #expect(first.delta.added.count == 1)
        #expect(second.delta.updated.map(\.text) == ["I would like a quote"])
        #expect(third.delta.updated.map(\.final) == [true])
        let turns = session.snapshot().items.filter { $0.kind == .turn }
        #expect(turns.map(\.text) == ["I would like a quote please."])
        #expect(turns[0].tokens == o200k.count("I would like a quote please."))
        #expect(third.usage.history == o200k.count("I would like a quote please."))
    }

    @Test func otherRoleFinalizesAPartialTurn() throws {
        var session = try realSession()
        _ = try session.appendTurn(.model, text: "Let me", final: false)
        let outcome = try session.appendTurn(.user, text: "Wait!")
        #expect(outcome.delta.updated.map(\.final) == [true])
        #expect(session.snapshot().items.filter { $0.kind == .turn }.allSatisfy { $0.final })
    }

    @Test func scriptOverBudgetIsAClearErrorAtOpen() throws {
        let overWindow = try #require(throws: ContextError.self) {
            try TestSupport.session(scriptTokens: 32_001)
        }
        #expect(overWindow.code == .scriptOverBudget)
        let overLimit = try #require(throws: ContextError.self) {
            try TestSupport.session(scriptTokens: 30_000, reserve: 4_000)
        }
        #expect(overLimit.code == .scriptOverBudget)
        #expect(overLimit.message.contains("30000") && overLimit.message.contains("28000"))
    }

    @Test func aTurnThatCannotFitChangesNothing() throws {
        var session = try TestSupport.session(scriptTokens: 900, window: 1_000)
        _ = try session.appendTurn(.user, text: "a", tokens: 40)
        let before = session.snapshot()
        let rejected = try #require(throws: ContextError.self) { try session.appendTurn(.user, text: "b", tokens: 70) }
        #expect(rejected.code == .overBudget)
        #expect(session.snapshot() == before)
        let after = try session.appendTurn(.model, text: "c", tokens: 50)
        #expect(after.usage.total == 990)
    }

    @Test func evictionTakesWholeExchangesDownToTheTarget() throws {
        // Room 1,000; target 75 % → 750. Each exchange 100 (user 40 + model 60).
        var session = try TestSupport.session(scriptTokens: 1_000, window: 2_000)
        for _ in 0 ..< 10 {
            _ = try session.appendTurn(.user, text: "u", tokens: 40)
            _ = try session.appendTurn(.model, text: "m", tokens: 60)
        }
        #expect(session.currentUsage.history == 1_000)
        let outcome = try session.appendTurn(.user, text: "u", tokens: 40)
        // 1,040 needed; evict until ≤ 1,000 + 750: three exchanges (1,040 − 300 = 740).
        #expect(outcome.notes.contains(.evicted(exchanges: 3, items: 6, tokens: 300)))
        #expect(outcome.usage.history == 740)
        #expect(outcome.delta.removed.count == 6)
        let turns = session.snapshot().items.filter { $0.kind == .turn }
        #expect(turns.first?.role == .user && turns.count == 15)
    }

    @Test func summaryStandsRightAfterTheScript() throws {
        var session = try realSession()
        _ = try session.appendTurn(.user, text: "Hi")
        let outcome = try session.setSummary("Earlier: the client asked about prices.")
        #expect(outcome.usage.summary == o200k.count("Earlier: the client asked about prices."))
        #expect(session.snapshot().items.map(\.kind) == [.script, .summary, .turn])
        let replaced = try session.setSummary("Shorter.")
        #expect(replaced.delta.removed.count == 1 && replaced.delta.added.count == 1)
        let removed = try session.setSummary(nil)
        #expect(removed.usage.summary == 0)
    }

    @Test func sameEventsGiveTheSameHash() throws {
        func run() throws -> (String, Snapshot) {
            var session = try realSession()
            _ = try session.appendTurn(.user, text: "Hi")
            _ = try session.pushInstruction("Be brief")
            _ = try session.clientSpeechStarted()
            _ = try session.appendTurn(.model, text: "Hello")
            let last = session.modelTurnComplete()
            return (last.hash, session.snapshot())
        }
        let (a, snapshotA) = try run()
        let (b, snapshotB) = try run()
        #expect(a == b && snapshotA == snapshotB && snapshotA.hash == a)
        var other = try realSession()
        _ = try other.appendTurn(.user, text: "Hi!")
        #expect(other.hash != a)
    }

    @Test func renderersProduceProviderShapes() throws {
        var session = try realSession()
        _ = try session.pushInstruction("Smile")
        _ = try session.clientSpeechStarted()
        _ = try session.appendTurn(.user, text: "Hi")
        _ = try session.appendTurn(.model, text: "Hello")
        let snapshot = session.snapshot()
        let gemini = Renderer.gemini.render(snapshot)
        #expect(gemini["systemInstruction"]?["parts"]?.arrayValue?.first?["text"]?.stringValue == "You sell solar panels.")
        #expect(gemini["turns"]?.arrayValue?.map { $0["role"]!.stringValue! } == ["user", "user", "model"])
        let openai = Renderer.openai.render(snapshot)
        let items = try #require(openai["items"]?.arrayValue)
        #expect(items.map { $0["role"]!.stringValue! } == ["user", "user", "assistant"])
        #expect(items[2]["content"]?.arrayValue?.first?["type"]?.stringValue == "output_text")
        #expect(items.map { $0["id"]!.stringValue! } == snapshot.items.dropFirst().map(\.id))
        let neutral = Renderer.neutral.render(snapshot)
        #expect(neutral["hash"]?.stringValue == snapshot.hash)
    }

    @Test func policiesParseFromJSONAndRejectTypos() throws {
        let policy = try ContextPolicy(json: try JSONParser.parse(
            #"{"preset":"keep-last-n","keepLast":2,"instructions":{"tag":"[COACH]","maxTokens":600,"overLimit":"reject","pending":"coalesce"},"eviction":{"targetFraction":0.6},"overheadPerItem":{"gemini":4,"*":3}}"#))
        #expect(policy.keepLastInstructions == 2 && policy.instructionTag == "[COACH]")
        #expect(policy.maxInstructionTokens == 600 && policy.overLimit == .reject && policy.pending == .coalesce)
        #expect(policy.evictionTargetFraction == 0.6)
        #expect(policy.overhead(for: "gemini") == 4 && policy.overhead(for: "openai") == 3)
        #expect(try ContextPolicy(json: policy.json) == policy)
        for bad in [#"{"keeplast":2}"#, #"{"preset":"keep-some"}"#, #"{"eviction":{"targetFraction":1.5}}"#,
                    #"{"instructions":{"overLimit":"drop"}}"#, #"[]"#] {
            let json = try JSONParser.parse(bad)
            let error = #expect(throws: ContextError.self, "\(bad)") { try ContextPolicy(json: json) }
            #expect(error?.code == .invalidPolicy, "\(bad)")
        }
    }

    @Test func shippedPolicyFixturesParse() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("fixtures/policies")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        #expect(files.count >= 3)
        for file in files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file))
            _ = try ContextPolicy(json: try JSONParser.parse([UInt8](data)))
        }
    }
}
