import ContextEngine
@testable import EngineServer
import Testing
import Tokenizer

/// Issue 15, finding 8: the transcript's seqs are assigned as before — a message keeps its first seq,
/// a new one takes the next — while only the ids that can still get a record are remembered.
/// Oracle: the map of every id ever seen (what `ServedSession.messageSeqs` was).
@Suite struct TranscriptSeqsTests {
    static let policies: [ContextPolicy] = {
        var coalesce = ContextPolicy.keepLast(2)
        coalesce.pending = .coalesce
        return [.stripAfterResponse, .keepAll, .keepLast(1), coalesce]
    }()

    @Test(arguments: 0 ..< 4)
    func seqsEqualTheUnboundedMapAndStayBounded(policyIndex: Int) throws {
        let tokenizer = try Tokenizers.named("o200k_base")
        for seed in 1 ... 6 as ClosedRange<UInt64> {
            var generator = SplitMix64(state: seed &* 7_919 &+ UInt64(policyIndex))
            var session = try ContextSession(
                id: "s", script: Script(text: "SCRIPT", tokens: 50, encoding: "o200k_base"),
                configuration: SessionConfiguration(window: 700, policy: Self.policies[policyIndex]), tokenizer: tokenizer)
            var seqs = TranscriptSeqs()
            var oracle = [String: Int]()
            var maxOpen = 0
            for step in 0 ..< 3_000 {
                let event: ContextEvent
                let tokens = Int(generator.next() % 60) + 1
                switch generator.next() % 100 {
                case 0 ..< 12: event = .instruction(text: "say \(step)", tokens: tokens)
                case 12 ..< 28: event = .speechStarted
                case 28 ..< 55: event = .turn(.user, text: "u\(step) ", final: generator.next() % 3 == 0, tokens: tokens)
                case 55 ..< 85: event = .turn(.model, text: "m\(step) ", final: generator.next() % 3 == 0, tokens: tokens)
                case 85 ..< 97: event = .turnComplete
                default: event = .summary(text: generator.next() % 2 == 0 ? "earlier \(step)" : nil, tokens: tokens)
                }
                guard let outcome = try? session.apply(event) else { continue }
                let assigned = seqs.assign(outcome)
                for (index, record) in outcome.transcript.enumerated() {
                    let expected = oracle[record.id] ?? oracle.count
                    oracle[record.id] = expected
                    #expect(assigned[index] == expected, "seed \(seed) step \(step) \(record.id)")
                }
                #expect(seqs.count == oracle.count)
                maxOpen = max(maxOpen, seqs.openCount)
            }
            // Bounded by what the context can hold (700 tokens), not by the 3,000 events.
            #expect(maxOpen <= 60, "seed \(seed): \(maxOpen) ids open of \(oracle.count)")
            #expect(oracle.count > 500)
        }
    }
}
