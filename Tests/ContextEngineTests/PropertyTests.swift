import ContextEngine
import Testing

/// Random event sequences against `ReferenceModel` and against the invariants the product promises.
@Suite struct PropertyTests {
    enum Event: CustomStringConvertible {
        case push(Int), speech, turn(TurnRole, Int, final: Bool), complete

        var description: String {
            switch self {
            case .push(let tokens): return "push(\(tokens))"
            case .speech: return "speech"
            case .turn(let role, let tokens, let final): return "\(role.rawValue)(\(tokens)\(final ? "" : ",partial"))"
            case .complete: return "complete"
            }
        }
    }

    static func randomEvents(_ generator: inout SeededGenerator, count: Int) -> [Event] {
        var events = [Event]()
        var partialTokens = 0
        for _ in 0 ..< count {
            switch Int.random(in: 0 ..< 100, using: &generator) {
            case 0 ..< 12: events.append(.push(Int.random(in: 1 ... 300, using: &generator)))
            case 12 ..< 30: events.append(.speech)
            case 30 ..< 55:
                let final = Int.random(in: 0 ..< 4, using: &generator) > 0
                partialTokens = final ? 0 : partialTokens + Int.random(in: 1 ... 40, using: &generator)
                events.append(.turn(.user, final ? Int.random(in: 1 ... 150, using: &generator) : partialTokens, final: final))
            case 55 ..< 82:
                let final = Int.random(in: 0 ..< 4, using: &generator) > 0
                events.append(.turn(.model, Int.random(in: 1 ... 250, using: &generator), final: final))
            default: events.append(.complete)
            }
        }
        return events
    }

    /// Applies one event to both; returns the engine's outcome (nil when both rejected it).
    static func apply(_ event: Event, _ session: inout ContextSession, _ model: inout ReferenceModel) throws
        -> EventOutcome?
    {
        switch event {
        case .push(let tokens):
            model.push(tokens: tokens)
            return try session.pushInstruction("instruction", tokens: tokens)
        case .speech:
            let accepted = model.speechStarted()
            do {
                let outcome = try session.clientSpeechStarted()
                #expect(accepted, "engine accepted what the model rejects")
                return outcome
            } catch {
                #expect(!accepted, "engine rejected what the model accepts: \(error)")
                return nil
            }
        case .turn(let role, let tokens, let final):
            let accepted = model.turn(role == .user ? .user : .model, tokens: tokens, final: final)
            do {
                let outcome = try session.appendTurn(role, text: "x", final: final, tokens: tokens)
                #expect(accepted, "engine accepted what the model rejects")
                return outcome
            } catch {
                #expect(!accepted, "engine rejected what the model accepts: \(error)")
                return nil
            }
        case .complete:
            model.modelTurnComplete()
            return session.modelTurnComplete()
        }
    }

    @Test(arguments: [ContextPolicy.stripAfterResponse, .keepAll, .keepLast(2)], [UInt64(1), 2, 3, 4, 5, 6])
    func engineAgreesWithReferenceModelAndInvariantsHold(policy: ContextPolicy, seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed &* 7919 &+ UInt64(policy.keepLastInstructions ?? 99))
        let scriptTokens = Int.random(in: 100 ... 2_000, using: &generator)
        let window = scriptTokens + Int.random(in: 400 ... 3_000, using: &generator)
        var session = try TestSupport.session(scriptTokens: scriptTokens, window: window, policy: policy)
        var model = ReferenceModel(scriptTokens: scriptTokens, limit: window, policy: policy)
        let events = Self.randomEvents(&generator, count: 600)
        var mirror = session.snapshot().items  // what a relay applying deltas holds
        var hashes = [String]()
        var activatedAt: [String: Int] = [:]
        var evictions = 0, rejections = 0
        for (step, event) in events.enumerated() {
            let outcome = try Self.apply(event, &session, &model)
            if let outcome, outcome.evicted { evictions += 1 }
            if outcome == nil { rejections += 1 }
            let snapshot = session.snapshot()
            let context = "step \(step) \(event)"
            // Same items as the reference model, in the same order.
            let expected = model.items.map { "\($0.id):\($0.tokens):\($0.final)" }
            let actual = snapshot.items.dropFirst().map { "\($0.id):\($0.tokens):\($0.final)" }
            #expect(actual == expected, "\(context)")
            if actual != expected { return }
            // Never over budget; usage equals what the items add up to.
            #expect(snapshot.usage.total <= window, "\(context)")
            #expect(snapshot.usage.total == snapshot.items.reduce(0) { $0 + $1.tokens }, "\(context)")
            // Script always first; turns in the order they were spoken (instruction ids are given at
            // push time but enter at activation, so only turn ids follow context order).
            #expect(snapshot.items.first?.kind == .script)
            let turnNumbers = snapshot.items.filter { $0.kind == .turn }.map { Int($0.id.dropFirst())! }
            #expect(turnNumbers == turnNumbers.sorted(), "\(context)")
            // Instructions: with strip-after-response only the active one is ever in the context.
            let instructions = snapshot.items.filter { $0.kind == .instruction }.map(\.id)
            if policy.keepLastInstructions == 0 {
                #expect(instructions.count <= 1, "\(context)")
                if case .complete = event { #expect(instructions.isEmpty, "\(context)") }
            }
            if let limit = policy.keepLastInstructions { #expect(instructions.count <= limit + 1, "\(context)") }
            if case .speech = event, let active = session.activeInstructionID { activatedAt[active] = step }
            // The deltas, applied in order to the previous snapshot, rebuild exactly this one: whole
            // items (id, kind, role, text, tokens, final), removed, then updated in place, then added.
            // A rejected event changes nothing.
            if let outcome {
                mirror.removeAll { outcome.delta.removed.contains($0.id) }
                for item in outcome.delta.updated {
                    guard let index = mirror.firstIndex(where: { $0.id == item.id }) else {
                        Issue.record("\(context): updated item \(item.id) is not in the context")
                        return
                    }
                    mirror[index] = item
                }
                mirror.append(contentsOf: outcome.delta.added)
                #expect(outcome.hash == snapshot.hash)
                #expect(outcome.usage == snapshot.usage, "\(context)")
                hashes.append(outcome.hash)
            }
            #expect(mirror == snapshot.items, "\(context)")
            if mirror != snapshot.items { return }
        }
        // Not vacuous: instructions went in, evictions happened.
        #expect(activatedAt.count > 5)
        #expect(evictions > 0, "no eviction in \(events.count) events")
        print("property run policy=\(policy.name) seed=\(seed): evictions \(evictions), rejections \(rejections)")
        // Same events → same hashes.
        var again = try TestSupport.session(scriptTokens: scriptTokens, window: window, policy: policy)
        var model2 = ReferenceModel(scriptTokens: scriptTokens, limit: window, policy: policy)
        var replayed = [String]()
        for event in events { if let outcome = try Self.apply(event, &again, &model2) { replayed.append(outcome.hash) } }
        #expect(replayed == hashes)
    }

    /// No split exchange: the turns in the context are always a suffix of all turns, starting at the
    /// first turn of an exchange (a user turn after a model turn, or the very first turn).
    @Test(arguments: [UInt64(11), 12, 13])
    func evictionNeverSplitsAnExchange(seed: UInt64) throws {
        var generator = SeededGenerator(seed: seed)
        var session = try TestSupport.session(scriptTokens: 500, window: 1_500)
        var allTurns: [(id: String, startsExchange: Bool)] = []
        var previousRole: TurnRole?
        for _ in 0 ..< 2_000 {
            let role: TurnRole = Bool.random(using: &generator) ? .user : .model
            guard let outcome = try? session.appendTurn(role, text: "x", tokens: Int.random(in: 1 ... 120, using: &generator)) else {
                continue
            }
            let id = outcome.delta.added[0].id
            allTurns.append((id, previousRole == nil || (role == .user && previousRole == .model)))
            previousRole = role
            let present = session.snapshot().items.filter { $0.kind == .turn }.map(\.id)
            let start = allTurns.count - present.count
            #expect(allTurns[start...].map(\.id) == present)
            #expect(allTurns[start].startsExchange)
        }
    }
}
