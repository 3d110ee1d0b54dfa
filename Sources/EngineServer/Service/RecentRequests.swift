/// The answers of a session's last keyed requests (`requestId`), so that a retry answers the original
/// result instead of applying again (docs/protocol.md). Bounded: at least `capacity` answers per
/// session (`EngineService.keptRequestAnswers`, 16), the oldest forgotten first — but never one of
/// the batch that is being applied: a relay that pipelined thousands of one session's requests into
/// one batch, and lost the engine after that batch's commit and before its answers reached it,
/// retries all of them (the store keeps the same: `keep` in `record`). Request ids are compared as
/// bytes (`SessionKey`), as session ids are.
///
/// - Complexity: lookup O(1); insert amortized O(1) (forgetting advances a head index).
struct RecentRequests {
    struct Entry {
        /// The session's count of keyed requests when this one was applied.
        var seq: Int
        /// The result's JSON bytes.
        var answer: [UInt8]
        /// The `UnitOfWork` batch that applied it: still uncommitted while it is the current one.
        var batch: Int
    }

    private var entries: [SessionKey: Entry] = [:]
    /// Ids oldest first: `order[head...]` are the kept ones.
    private var order: [SessionKey] = []
    private var head = 0
    /// The next keyed request's seq.
    private(set) var nextSeq = 0
    /// The batch of the last insert and how many inserts it has had.
    private(set) var latestBatch = (batch: -1, count: 0)

    subscript(requestID: String) -> Entry? { entries[SessionKey(requestID)] }

    /// How many answers the store keeps after this batch's last insert: `capacity`, or every one of
    /// the batch when it has more.
    func kept(capacity: Int) -> Int { max(capacity, latestBatch.count) }

    /// Records an answer; returns its seq. Forgets the oldest beyond `capacity`, but none of `batch`.
    mutating func insert(_ requestID: String, answer: [UInt8], batch: Int, capacity: Int) -> Int {
        let key = SessionKey(requestID)
        let seq = nextSeq
        nextSeq += 1
        latestBatch = latestBatch.batch == batch ? (batch, latestBatch.count + 1) : (batch, 1)
        if entries.updateValue(Entry(seq: seq, answer: answer, batch: batch), forKey: key) != nil {
            // A reused id (rare): its older place goes.
            order.removeFirst(head)
            head = 0
            order.removeAll { $0 == key }
        }
        order.append(key)
        while order.count - head > capacity, entries[order[head]]?.batch != batch {
            entries[order[head]] = nil
            head += 1
        }
        if head > 64 && head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
        return seq
    }

    /// The answers a store kept (oldest first), at a rebuild: committed, so from no current batch.
    /// All of them: the store kept 16, or every one of the batch that wrote the last.
    mutating func load(_ stored: [(requestID: String, seq: Int, answer: [UInt8])]) {
        for request in stored {
            let key = SessionKey(request.requestID)
            entries[key] = Entry(seq: request.seq, answer: request.answer, batch: -1)
            order.append(key)
        }
        nextSeq = (stored.last?.seq ?? -1) + 1
    }
}
