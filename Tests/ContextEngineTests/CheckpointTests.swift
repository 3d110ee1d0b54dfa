import ContextEngine
import JSONWire
import Testing
import Tokenizer

/// A session restored from a checkpoint is the session that was checkpointed: random calls (every
/// event kind, streamed chunks counted by the real o200k tokenizer, evictions, both providers'
/// ledgers with re-seeds and usage reports) are folded once straight through and once from a
/// checkpoint taken at several points; every later event must answer the same, and the final
/// states must checkpoint alike. The oracle is the straight fold itself.
@Suite struct CheckpointTests {
    static let words = ["so", "the", "panels", "would", "cover", "forty", "square", "metres", "Dächer", "日本語", "¿sí?", " ", "\n", "42"]

    static func text(_ generator: inout SeededGenerator, words count: Int) -> String {
        (0 ..< count).map { _ in words[Int.random(in: 0 ..< words.count, using: &generator)] }.joined(separator: " ")
    }

    static func randomEvents(_ generator: inout SeededGenerator, count: Int, provider: ProviderKind?) -> [ContextEvent] {
        var events = [ContextEvent]()
        var itemID = 0
        for _ in 0 ..< count {
            let roll = Int.random(in: 0 ..< 100, using: &generator)
            let role: TurnRole = roll % 2 == 0 ? .user : .model
            let final = Int.random(in: 0 ..< 3, using: &generator) > 0
            let given = Int.random(in: 0 ..< 4, using: &generator) == 0 ? Int.random(in: 1 ... 120, using: &generator) : nil
            let spoken = provider != nil && Int.random(in: 0 ..< 3, using: &generator) == 0
            itemID += 1
            switch roll {
            case 0 ..< 10: events.append(.instruction(text: text(&generator, words: Int.random(in: 1 ... 60, using: &generator))))
            case 10 ..< 25: events.append(.speechStarted)
            case 25 ..< 70:
                events.append(.turn(
                    role, text: text(&generator, words: Int.random(in: 1 ... 30, using: &generator)), final: final, tokens: given,
                    audioMs: spoken ? Int.random(in: 200 ... 9_000, using: &generator) : nil,
                    providerItemID: spoken && provider == .openAIRealtime ? "item_\(itemID)" : nil))
            case 70 ..< 82: events.append(.turnComplete)
            case 82 ..< 86:
                events.append(.summary(text: Int.random(in: 0 ..< 4, using: &generator) == 0 ? nil : text(&generator, words: 20)))
            case 86 ..< 90 where provider != nil: events.append(.reseedPlanned(reason: "goAway"))
            case 90 ..< 95 where provider != nil: events.append(.connected(reseeded: Bool.random(using: &generator)))
            case 95 ..< 100 where provider != nil:
                // Half of the reports say how much was audio (stored as `audioTokens`).
                let total = Int.random(in: 100 ... 3_000, using: &generator)
                events.append(.usageReported(
                    inputTokens: total, audioTokens: Bool.random(using: &generator) ? Int.random(in: 0 ... total, using: &generator) : nil))
            default: events.append(.turnComplete)
            }
        }
        return events
    }

    /// `recost`: calibration re-counts every held item (sessions opened now), or only the ledger's
    /// items that follow (sessions stored before `recostOnCalibration`).
    /// `systemInstruction`: Gemini's instructions go inside the system instruction (`contextUpdate`),
    /// so that the ledger holds several there with a keep policy, and seeds plan them.
    static func open(_ provider: ProviderKind?, policy: ContextPolicy, recost: Bool = true, systemInstruction: Bool = false)
        throws -> ContextSession
    {
        var configuration = SessionConfiguration(window: 1_500, reserve: 100, policy: policy, renderer: "gemini")
        if let provider { configuration.provider = try ProviderProfile.named(provider) }
        if systemInstruction { configuration.providerPolicy.instructionDelivery = .systemInstruction }
        configuration.providerPolicy.calibrate = true
        configuration.providerPolicy.recostOnCalibration = recost
        return try ContextSession(
            id: "c", script: Script(text: "You are Ada.", tokens: 4, encoding: "o200k_base"), configuration: configuration,
            tokenizer: TestSupport.o200k)
    }

    /// What an event answered: its outcome, or the error's text (a refused event changes nothing).
    static func answer(_ session: inout ContextSession, _ event: ContextEvent) -> String {
        do {
            return String(describing: try session.apply(event))
        } catch {
            return "refused: \(error)"
        }
    }

    @Test(arguments: [nil, ProviderKind.geminiLive, .openAIRealtime], [UInt64(1), 2, 3, 4])
    func aRestoredSessionAnswersAsTheFoldedOne(provider: ProviderKind?, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed &* 104_729 &+ UInt64(provider?.rawValue.count ?? 0))
        let policy = [ContextPolicy.stripAfterResponse, .keepAll, .keepLast(2)][Int(seed % 3)]
        let events = Self.randomEvents(&generator, count: 400, provider: provider)
        let recost = seed % 2 == 0
        let system = provider == .geminiLive && seed >= 3
        var straight = try Self.open(provider, policy: policy, recost: recost, systemInstruction: system)
        var answers = [String]()
        var checkpoints = [Int: JSONValue]()
        for (index, event) in events.enumerated() {
            if index % 37 == 0 { checkpoints[index] = straight.checkpoint() }
            answers.append(Self.answer(&straight, event))
        }
        // The calls reach what a checkpoint must carry: evictions and chunks still arriving.
        #expect(answers.contains { $0.contains("evicted") })
        #expect(straight.checkpoint()["items"] != nil)
        if system && policy.keepLastInstructions == nil {
            // Kept instructions: several inside the system instruction, and seeds planned with them.
            #expect(checkpoints.values.contains { $0["provider"]?["systemExtras"]?.arrayValue?.count ?? 0 > 1 })
            #expect(checkpoints.values.contains { $0["provider"]?["pendingSeed"]?.arrayValue?.count == 3 })
        }
        for (start, checkpoint) in checkpoints.sorted(by: { $0.key < $1.key }) {
            // Through its text, as the store keeps it.
            let stored = try JSONParser.parse(JSONWriter.string(checkpoint))
            var restored = try Self.open(provider, policy: policy, recost: recost, systemInstruction: system)
            try restored.restore(checkpoint: stored)
            let restoresToItself = restored.checkpoint() == checkpoint
            #expect(restoresToItself, "checkpoint at \(start) does not restore to itself")
            for index in start ..< events.count {
                let answer = Self.answer(&restored, events[index])
                guard answer == answers[index] else {
                    Issue.record("restored at \(start): event \(index) \(events[index]) answered\n\(answer)\ninstead of\n\(answers[index])")
                    return
                }
            }
            let sameState = restored.checkpoint() == straight.checkpoint()
            let sameSnapshot = restored.snapshot() == straight.snapshot()
            #expect(sameState && sameSnapshot, "restored at \(start): the final state differs")
            #expect(restored.hash == straight.hash && restored.version == straight.version)
        }
    }

    /// Every stored property of a session and of its provider ledger is in the checkpoint: a new one
    /// fails here until `checkpoint()` and `restore` carry it (or it is added to the opening's list).
    @Test func theCheckpointCoversEveryStoredProperty() throws {
        let session = try Self.open(.geminiLive, policy: .keepAll)
        let sessionFields = Set(Mirror(reflecting: session).children.compactMap(\.label))
        // Fixed at opening (rebuilt from the session record) or between events only (the delta).
        // The last turn's XXH3 stream is rebuilt from its text when it does not match (it is not state).
        let opening: Set = ["id", "script", "configuration", "tokenizer", "overhead", "delta", "lastTurnTextHash"]
        let checkpointed = Set(try #require(session.checkpoint().objectValue).members.map(\.key))
            .union(["summary", "pending", "activeIndex", "lastTurnIndex", "lastTurnSettled"])
            .subtracting(["format"])
        #expect(sessionFields.subtracting(opening) == checkpointed)
        let mirror = try #require(session.provider)
        let mirrorFields = Set(Mirror(reflecting: mirror).children.compactMap(\.label))
        let ledger = Set(try #require(session.checkpoint()["provider"]?.objectValue).members.map(\.key))
            .union(["systemExtras", "pendingSeed", "answerStart", "deletedSinceAnswer"])
        let renamed = ["providerItemIds": "providerItemIDs"]
        // `unchangedPrefix` is a capacity run's mark between two answers, not the ledger: a session
        // rebuilt from a checkpoint starts its next prompt uncached. `reportedDrift` lives within one
        // event's application.
        #expect(mirrorFields.subtracting(["profile", "policy", "unchangedPrefix", "reportedDrift"]) == Set(ledger.map { renamed[$0] ?? $0 }))
    }

    @Test func aCheckpointOfAnotherFormatOrMissingAFieldIsRefusedAndChangesNothing() throws {
        var session = try Self.open(nil, policy: .keepAll)
        _ = try session.apply(.turn(.user, text: "hello there"))
        let before = session.checkpoint()
        var other = try #require(before.objectValue)
        other["format"] = 99
        #expect(throws: CheckpointError.self) { try session.restore(checkpoint: .object(other)) }
        var missing = try #require(before.objectValue)
        missing["hashSum"] = nil
        #expect(throws: CheckpointError.self) { try session.restore(checkpoint: .object(missing)) }
        var wrongProvider = try #require(before.objectValue)
        wrongProvider["provider"] = ["held": 1]
        #expect(throws: CheckpointError.self) { try session.restore(checkpoint: .object(wrongProvider)) }
        #expect(session.checkpoint() == before)
    }
}
