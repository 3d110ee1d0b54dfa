import JSONWire
import SessionStore

/// One batch of requests, from the first input chunk to the commit: everything the batch changes is
/// written in one store transaction, and its answers are released only once that commits (group
/// commit: docs/storage.md). A failed commit (disk full, I/O error, a lost lease) rolls the whole
/// transaction back; every answer that reported a change becomes the error of the failure, and the
/// sessions the batch touched are dropped from memory, so the next request rebuilds them from what
/// the store holds. (Copying each session for an in-memory undo made every first change of a batch
/// copy the session's whole history: O(history) per event.)
///
/// Without a store the unit only holds answers in order.
final class UnitOfWork {
    /// An answer of this batch, waiting for the commit.
    struct Answer {
        var bytes: [UInt8]
        var id: JSONValue?
        /// It reports a change: if the commit fails, it becomes that failure's error.
        var changed: Bool
        /// News of a change (a notification): dropped if the commit fails.
        var notification = false
    }

    let store: SessionStore?
    let owner: String
    let leaseSeconds: Double
    private var answers: [Answer] = []
    /// Bytes of the answers held (the server commits early past its bound).
    private(set) var heldBytes = 0
    private var transactionOpen = false
    /// Numbers the batches (a kept answer from the current one is not committed yet).
    private(set) var batch = 0
    private var failure: Error?
    /// Sessions changed or created by this batch: dropped from memory if it fails.
    private(set) var touched: Set<SessionKey> = []
    /// Sessions whose counters changed, written once each just before the commit.
    private var progressed: [SessionKey: ServedSession] = [:]
    /// Events of this batch per session, written as one record each just before the commit.
    private var events: [SessionKey: [StoredEvent]] = [:]
    /// Transcript records of this batch not written yet, one per message in the order first given: a
    /// turn streamed in chunks is upserted once per batch, not once per chunk (each upsert rewrote the
    /// whole text so far: O(turn) per chunk). Written before any other write and at `flush`, so the
    /// store sees every write in the order it was made. Indexed by the message id's bytes, as
    /// sessions are: its session part is the relay's (`SessionKey`).
    private var messages: [StoredMessage] = []
    private var messageIndex: [SessionKey: Int] = [:]
    /// Sessions this batch ended (closed, resolved, abandoned), in order.
    private var ending: [String] = []
    /// The sessions this batch ended, as they were: a retry of the request that ended one, later in
    /// the same batch, answers from its kept answers here — still uncommitted, so it fails with the
    /// batch — not from a rebuild, whose answers read back from the store look committed.
    private var endedSessions: [SessionKey: ServedSession] = [:]
    /// The sessions the last finished batch ended, if it committed (`serve --export-dir` writes their
    /// exports); empty after a failed or rolled-back batch.
    private(set) var committedEndings: [String] = []

    init(store: SessionStore?, owner: String, leaseSeconds: Double) {
        self.store = store
        self.owner = owner
        self.leaseSeconds = leaseSeconds
    }

    // MARK: - Changes

    /// The batch changes `session`. In a shared store its first change checks (at commit) that this
    /// engine still holds the session, so a stale owner's writes are refused as a whole.
    func touch(_ session: ServedSession, id: String) {
        guard store != nil, touched.insert(SessionKey(id)).inserted, store!.isShared else { return }
        let epoch = session.epoch, owner = owner, lease = leaseSeconds
        write { try $0.confirmOwnership(session: id, epoch: epoch, owner: owner, leaseSeconds: lease) }
    }

    /// The batch created `id` (its first change needs no ownership check).
    func created(_ id: String) { touched.insert(SessionKey(id)) }

    /// Logs one applied event and marks the session's counters for writing.
    func log(_ event: StoredEvent, for session: ServedSession, id: String) {
        events[SessionKey(id), default: []].append(event)
        progressed[SessionKey(id)] = session
    }

    /// The batch ends `id` (its export, if any, is written once the batch commits).
    func ended(_ id: String, _ session: ServedSession? = nil) {
        guard store != nil else { return }
        ending.append(id)
        if let session { endedSessions[SessionKey(id)] = session }
    }

    /// A session this batch ended (`ended`), nil otherwise.
    func endedSession(_ id: String) -> ServedSession? { endedSessions.isEmpty ? nil : endedSessions[SessionKey(id)] }

    /// Marks the session's counters for writing (times, message count, snapshot version and hash).
    func progress(_ session: ServedSession, id: String) { progressed[SessionKey(id)] = session }

    /// Upserts a transcript record, later in this batch (`messages`). A later record of a message
    /// already held changes it as the stores' upserts would: content and tokens replaced, metadata
    /// only by one that has some, the first timestamp kept.
    ///
    /// - Parameter appendedFrom: the record is the held one's text with more after that byte (a
    ///   turn's chunk, `TranscriptMessage.appendedFrom`): the held text grows by the new bytes in
    ///   place, and nothing keeps the turn's own text shared, so the next chunk appends to it in place
    ///   too — a batch of n chunks copies the turn once, not n times.
    func upsert(_ message: StoredMessage, appendedFrom: Int? = nil) {
        guard store != nil else { return }
        let key = SessionKey(message.messageID)
        guard let index = messageIndex[key] else {
            messageIndex[key] = messages.count
            messages.append(message)
            return
        }
        if let appendedFrom, appendedFrom == messages[index].content.utf8.count {
            messages[index].content.append(contentsOf: Substring(message.content.utf8.dropFirst(appendedFrom)))
        } else {
            messages[index].content = message.content
        }
        messages[index].tokens = message.tokens
        if let metadata = message.metadata { messages[index].metadata = metadata }
    }

    private func writeMessages() {
        guard !messages.isEmpty else { return }
        let held = messages
        messages.removeAll(keepingCapacity: true)
        messageIndex.removeAll(keepingCapacity: true)
        writeNow { store in
            for message in held { try store.upsertMessage(message) }
        }
    }

    /// Runs a store write inside the batch's transaction; the first failure dooms the batch.
    func write(_ body: (SessionStore) throws -> Void) {
        writeMessages()
        writeNow(body)
    }

    private func writeNow(_ body: (SessionStore) throws -> Void) {
        guard let store, failure == nil else { return }
        do {
            try openTransaction(store)
            try body(store)
        } catch {
            failure = error
        }
    }

    /// Runs a store write whose refusal concerns one request only: a `StoreError` with code
    /// `conflict` (a unique key taken: the statement failed, the transaction lives on) is returned
    /// for that request to answer; any other failure dooms the batch, as `write` does.
    func attempt(_ body: (SessionStore) throws -> Void) -> StoreError? {
        writeMessages()
        guard let store, failure == nil else { return nil }
        do {
            try openTransaction(store)
            try body(store)
            return nil
        } catch let error as StoreError where error.code == .conflict {
            return error
        } catch {
            failure = error
            return nil
        }
    }

    private func openTransaction(_ store: SessionStore) throws {
        guard !transactionOpen else { return }
        try store.begin()
        transactionOpen = true
    }

    /// Writes the logged events and counters: once per session per batch, not once per event. Before
    /// the commit, and before any query that reads session rows, so that a query in the same batch as
    /// the events sees their counters.
    func flush() {
        writeMessages()
        guard store != nil, !progressed.isEmpty || !events.isEmpty else { return }
        for (key, sessionEvents) in events { write { try $0.appendEvents(session: key.id, sessionEvents) } }
        events.removeAll(keepingCapacity: true)
        for (key, session) in progressed {
            if let record = session.record { write { try $0.updateProgress(record) } }
            if let checkpoint = session.dueCheckpoint() { write { try $0.saveCheckpoint(session: key.id, checkpoint) } }
        }
        progressed.removeAll(keepingCapacity: true)
    }

    // MARK: - Answers

    /// Holds an answer until the batch commits.
    func hold(_ answer: Answer) {
        heldBytes += answer.bytes.count
        answers.append(answer)
    }

    /// Commits the batch and hands back its answers in order, with the sessions to drop from memory
    /// when the commit failed (their answers that reported a change now carry the failure's error).
    func finish() -> (answers: [Answer], dropped: Set<SessionKey>, failure: Error?) {
        var failure = self.failure
        var atCommit = false
        if let store {
            flush()
            failure = self.failure
            if failure == nil && transactionOpen {
                do { try store.commit() } catch {
                    failure = error
                    atCommit = true
                }
            }
            if failure != nil { store.rollback() }
        }
        var released = answers
        if let failure {
            let error = Self.rpcError(for: failure, atCommit: atCommit)
            released.removeAll { $0.notification }
            for index in released.indices where released[index].changed {
                released[index].bytes = ResponseBytes.error(id: released[index].id, error)
            }
        }
        let dropped = failure == nil ? [] : touched
        committedEndings = failure == nil ? ending : []
        reset()
        return (released, dropped, failure)
    }

    /// Starts the next batch.
    func reset() {
        batch += 1
        answers.removeAll(keepingCapacity: true)
        heldBytes = 0
        transactionOpen = false
        failure = nil
        touched.removeAll(keepingCapacity: true)
        progressed.removeAll(keepingCapacity: true)
        events.removeAll(keepingCapacity: true)
        messages.removeAll(keepingCapacity: true)
        messageIndex.removeAll(keepingCapacity: true)
        ending.removeAll()
        endedSessions.removeAll()
    }

    /// What a relay is told when a batch could not be stored: `-32013` when another engine took a
    /// session over; `-32015` when `COMMIT` itself failed with an I/O error (the outcome is unknown:
    /// it may be stored); `-32016` when the store refuses writes until a restart (after such a
    /// failure, or because the file was deleted or replaced); `-32011` otherwise ("undone, nothing
    /// changed"), with the store's code in `data.reason` (`full`, `io`, `conflict`,
    /// `connectionLost`, …) so a relay can tell a full disk from a lost connection.
    static func rpcError(for failure: Error, atCommit: Bool = false) -> RPCError {
        guard let error = failure as? StoreError else {
            return RPCError(RPCError.notStored, "the change could not be stored (\(failure)); it was undone, nothing changed",
                            data: ["reason": "other"])
        }
        if error.code == .ownershipLost {
            return RPCError(RPCError.ownedElsewhere, "\(error); nothing of this batch was stored",
                            data: ["reason": "ownershipLost", "sessions": .array(error.sessions.map { .string($0) })])
        }
        switch error.code {
        case .io where atCommit:
            return RPCError(
                RPCError.outcomeUnknown,
                "the commit failed (\(error)): this change may or may not be stored. The engine refuses writes from now "
                    + "on; restart it, then retry with the same requestId (a stored change answers its original result)",
                data: ["reason": "io"])
        case .fileReplaced, .writesRefused:
            return RPCError(
                RPCError.writesRefused, "the store refuses writes until the engine restarts: \(error.message)",
                data: ["reason": .string(error.code.rawValue)])
        default:
            return RPCError(RPCError.notStored, "the change could not be stored (\(error)); it was undone, nothing changed",
                            data: ["reason": .string(error.code.rawValue)])
        }
    }
}
