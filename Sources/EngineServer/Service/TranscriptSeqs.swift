import ContextEngine
import JSONWire

/// The sequence numbers of a session's transcript records: a message keeps the seq it got first
/// (a turn streamed in chunks, an instruction through its states), a new one takes the next.
///
/// Only ids that can still get a record are remembered: a turn until it is final, an instruction
/// until it is stripped or replaced (or leaves the context with its exchange). The map of every
/// message id it replaced grew with the call (200,000 turns: ~20 MB of a session that held 2 KB of
/// context). The assignment is a function of the outcomes alone, so a rebuild folds it from the log
/// instead of reading every stored message.
struct TranscriptSeqs {
    /// Messages so far: the next new message's seq.
    private(set) var count = 0
    /// Ids that may get another record → their seq.
    private var open: [String: Int] = [:]

    /// The seq of each of the outcome's transcript records, in order.
    ///
    /// - Complexity: O(records + removed ids); memory O(ids still open), which is bounded by the context.
    mutating func assign(_ outcome: EventOutcome) -> [Int] {
        var seqs = [Int]()
        seqs.reserveCapacity(outcome.transcript.count)
        for record in outcome.transcript {
            let seq: Int
            if let known = open[record.id] {
                seq = known
            } else {
                seq = count
                count += 1
            }
            seqs.append(seq)
            if Self.isLast(record) { open[record.id] = nil } else { open[record.id] = seq }
        }
        for id in outcome.delta.removed where open[id] != nil { open[id] = nil }
        return seqs
    }

    /// Ids still open (tests: it stays bounded).
    var openCount: Int { open.count }

    /// The seqs as JSON, for a session checkpoint: `[count, [[id, seq], …]]`, ids sorted.
    func checkpoint() -> JSONValue {
        [JSONValue(count), .array(open.keys.sorted().map { [.string($0), JSONValue(open[$0]!)] })]
    }

    init() {}

    /// The seqs of a checkpoint; nil when it is not one.
    init?(checkpoint: JSONValue) {
        guard let parts = checkpoint.arrayValue, parts.count == 2, let count = parts[0].intValue, let open = parts[1].arrayValue
        else { return nil }
        self.count = count
        for pair in open {
            guard let pair = pair.arrayValue, pair.count == 2, let id = pair[0].stringValue, let seq = pair[1].intValue else { return nil }
            self.open[id] = seq
        }
    }

    /// No later record can name this message: a final turn or summary, an instruction stripped or replaced.
    static func isLast(_ record: TranscriptMessage) -> Bool {
        switch record.instructionState {
        case nil: return record.final
        case .stripped?, .replaced?: return true
        case .pending?, .active?, .kept?: return false
        }
    }
}
