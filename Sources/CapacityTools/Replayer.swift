import ContextEngine
import Tokenizer

/// Manager instructions made up for a replay: one every `every` exchanges, of about `tokens` tokens,
/// cut from the lines of a text.
/// The texts repeat with the lines, so they are made once per line and shared by every session and
/// policy (making them per use was most of a 260-session replay's time).
public struct SyntheticInstructions: Sendable {
    public var every: Int
    public var tokens: Int
    /// The k-th instruction is `texts[k % texts.count]`.
    public let texts: [String]

    public init(every: Int, tokens: Int, lines: [String], tokenizer: any TextTokenizer) {
        self.every = every
        self.tokens = tokens
        let lines = lines.filter { !$0.allSatisfy(\.isWhitespace) }
        self.texts = lines.indices.map { SyntheticInstructions.make(from: lines, start: $0, tokens: tokens, tokenizer: tokenizer) }
    }

    /// Lines from `start` on, joined until they reach `tokens` tokens, cut there at a token boundary.
    /// The growing text is counted from its settled prefix (`countAppending`): counted whole after
    /// every line, a 64k-token instruction of short lines took 6.7 s to make (audit).
    static func make(from lines: [String], start: Int, tokens: Int, tokenizer: any TextTokenizer) -> String {
        var text = ""
        var index = start
        var count = 0
        var settled: SettledPrefix?
        while count < tokens {
            text += (text.isEmpty ? "" : " ") + lines[index % lines.count]
            (count, settled) = tokenizer.countAppending(text, settled: settled)
            index += 1
        }
        let ids = tokenizer.encodeOrdinary(text).prefix(tokens)
        var bytes = (try? tokenizer.decodeBytes(Array(ids))) ?? []
        while !bytes.isEmpty, String(validating: bytes, as: UTF8.self) == nil { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }

    func text(_ k: Int) -> String { texts.isEmpty ? "" : texts[k % texts.count] }
}

/// One row per turn of a replay.
public struct ReplayRow: Sendable {
    public var seq: Int
    public var kind: RecordedEvent.Kind
    public var tokens: Int
    public var usage: Usage
    public var evicted: Int
}

public struct ReplayResult: Sendable {
    public var file: String
    public var policy: String
    public var rows: [ReplayRow]
    public var series: [SegmentSample]
    public var turns: Int
    public var evictions: Int
    /// Exchanges those evictions removed, all of them (the rows show each at its turn).
    public var exchangesEvicted = 0
    public var instructionsInjected: Int
    public var instructionsStripped: Int
    public var peak: Int
    public var contextTokensSum: Int
    /// Events the engine refused (a turn larger than the whole budget), with the reason.
    public var refused: [String]
}

/// Plays a recorded session through the real engine as a relay would: `client.speechStarted`
/// before each user turn, `model.turnComplete` after each model turn, recorded or synthesized
/// instructions pushed as they come.
public enum Replayer {
    public static func replay(
        _ events: [RecordedEvent], file: String, script: Script, configuration: SessionConfiguration,
        tokenizer: any TextTokenizer, synthetic: SyntheticInstructions? = nil, keepRows: Bool = true
    ) throws -> ReplayResult {
        var session = try ContextSession(id: file, script: script, configuration: configuration, tokenizer: tokenizer)
        var result = ReplayResult(
            file: file, policy: configuration.policy.name, rows: [], series: [], turns: 0, evictions: 0,
            instructionsInjected: 0, instructionsStripped: 0, peak: session.currentUsage.total, contextTokensSum: 0,
            refused: [])
        var exchanges = ExchangeCounter()
        // Exchanges evicted by events that have no row of their own (a synthesized instruction, a
        // speech start): shown on the next row. They were shown on none, so a replay whose evictions
        // all came from synthesized instructions had an empty "evicted" column (audit).
        var unshownEvicted = 0
        func record(_ outcome: EventOutcome, _ event: RecordedEvent?) {
            var evicted = 0
            for note in outcome.notes {
                switch note {
                case .evicted(let exchanges, _, _):
                    result.evictions += 1
                    result.exchangesEvicted += exchanges
                    evicted += exchanges
                case .instructionActivated: result.instructionsInjected += 1
                case .instructionStripped: result.instructionsStripped += 1
                default: break
                }
            }
            result.peak = max(result.peak, outcome.usage.total)
            if keepRows, let event {
                let tokens = outcome.delta.added.last?.tokens ?? outcome.delta.updated.last?.tokens ?? 0
                result.rows.append(
                    ReplayRow(seq: event.seq, kind: event.kind, tokens: tokens, usage: outcome.usage, evicted: evicted + unshownEvicted))
                unshownEvicted = 0
            } else {
                unshownEvicted += evicted
            }
        }
        // Release builds do not check invariants after every event; a replay is where policies are
        // tuned, so it does — after every event while the context holds up to 64 items, then every
        // items/64 events: a check walks every item, and checking after every event made a replay
        // with a window that never evicts quadratic (40 sessions ×16: 56 s, audit).
        var uncheckedEvents = 0
        var lastEvent = ContextEvent.turnComplete
        func check(after event: ContextEvent) throws {
            defer { uncheckedEvents = 0 }
            if let violation = session.invariantViolation() {
                throw ContextError(
                    .invalidConfiguration,
                    "\(file): the engine broke an invariant in the last \(uncheckedEvents) event(s), up to \(event): \(violation)")
            }
        }
        func attempt(_ recorded: RecordedEvent?, _ event: ContextEvent) throws {
            do {
                record(try session.apply(event), recorded)
            } catch let error as ContextError where error.code == .overBudget || error.code == .instructionTooLong {
                result.refused.append("seq \(recorded?.seq ?? -1): \(error.message)")
            }
            uncheckedEvents += 1
            lastEvent = event
            if uncheckedEvents * 64 >= session.currentUsage.items { try check(after: event) }
        }
        for event in events {
            switch event.kind {
            case .instruction:
                try attempt(event, .instruction(text: event.text))
            case .user:
                _ = exchanges.user()
                let userTurns = exchanges.userTurns
                if let synthetic, synthetic.every > 0, userTurns % synthetic.every == 0 {
                    let text = synthetic.text(userTurns / synthetic.every - 1)
                    try attempt(nil, .instruction(text: text))
                }
                try attempt(nil, .speechStarted)
                try attempt(event, .turn(.user, text: event.text))
                result.turns += 1
            case .model:
                exchanges.model()
                try attempt(event, .turn(.model, text: event.text))
                result.contextTokensSum += session.currentUsage.total
                try attempt(nil, .turnComplete)
                result.series.append(SegmentSample(exchange: exchanges.exchange, usage: session.currentUsage))
                result.turns += 1
            }
        }
        if uncheckedEvents > 0 { try check(after: lastEvent) }
        return result
    }
}
