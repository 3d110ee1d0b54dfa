/// The answers of a session's last keyed requests (`requestId`), so that a retry answers the original
/// result instead of applying again (docs/protocol.md). Bounded: at most `capacity` answers per
/// session (`EngineService.keptRequestAnswers`, 16), the same number the store keeps; the oldest is
/// forgotten first. Request ids are compared as bytes (`SessionKey`), as session ids are.
///
/// - Complexity: lookup O(1); insert O(capacity) (the order array shifts; capacity is 16).
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
    /// Ids oldest first, at most `capacity`.
    private var order: [SessionKey] = []
    /// The next keyed request's seq.
    private(set) var nextSeq = 0

    subscript(requestID: String) -> Entry? { entries[SessionKey(requestID)] }

    /// Records an answer; returns its seq.
    mutating func insert(_ requestID: String, answer: [UInt8], batch: Int, capacity: Int) -> Int {
        let key = SessionKey(requestID)
        let seq = nextSeq
        nextSeq += 1
        if entries.updateValue(Entry(seq: seq, answer: answer, batch: batch), forKey: key) != nil {
            order.removeAll { $0 == key }
        }
        order.append(key)
        while order.count > capacity { entries[order.removeFirst()] = nil }
        return seq
    }

    /// The answers a store kept (oldest first), at a rebuild: committed, so from no current batch.
    mutating func load(_ stored: [(requestID: String, seq: Int, answer: [UInt8])], capacity: Int) {
        for request in stored.suffix(capacity) {
            let key = SessionKey(request.requestID)
            entries[key] = Entry(seq: request.seq, answer: request.answer, batch: -1)
            order.append(key)
        }
        nextSeq = (stored.last?.seq ?? -1) + 1
    }
}
