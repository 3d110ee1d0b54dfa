import ContextEngine
import JSONWire
import SessionStore

/// Group commit: the server opens a batch for the input waiting to be read (up to 16 chunks of
/// 64 KiB), every change of the batch is written in one transaction, and the batch's answers are released only after `commitBatch` succeeds. A
/// failed commit (disk full, I/O error) rolls the transaction back and drops every session the batch
/// touched from memory: the store holds exactly their state before the batch, and the next request
/// rebuilds them from it. (Copying each session for an in-memory undo made every first change of a
/// batch copy the session's whole history: O(history) per event.)
extension EngineService {
    public func beginBatch() {
        batchOpen = false
        batchFailure = nil
        touched.removeAll(keepingCapacity: true)
        createdInBatch.removeAll(keepingCapacity: true)
        progressed.removeAll(keepingCapacity: true)
        pendingEvents.removeAll(keepingCapacity: true)
    }

    /// Commits the batch; on failure undoes it in memory too and returns why.
    public func commitBatch() -> Error? {
        guard let store else { return nil }
        flushProgress()
        var failure = batchFailure
        if failure == nil && batchOpen {
            do { try store.commit() } catch { failure = error }
        }
        batchOpen = false
        guard let failure else { return nil }
        store.rollback()
        for id in touched.union(createdInBatch) {
            sessions[id] = nil
            activity[id] = nil
        }
        return failure
    }

    /// Writes the events and counters of the sessions this batch changed: once per session per batch,
    /// not once per event. Before the commit, and before any query that reads session rows, so that
    /// a query in the same batch as the events sees their counters.
    func flushProgress() {
        guard store != nil, !progressed.isEmpty || !pendingEvents.isEmpty else { return }
        for (id, events) in pendingEvents {
            write { try $0.appendEvents(session: id, events) }
        }
        pendingEvents.removeAll(keepingCapacity: true)
        for id in progressed {
            if let record = sessions[id]?.record { write { try $0.updateProgress(record) } }
        }
        progressed.removeAll(keepingCapacity: true)
    }

    /// Notes that the batch changes `session` (to drop it from memory if the batch fails).
    func remember(_ session: ServedSession, id: String) {
        lastRequestChanged = true
        guard let store else { return }
        // A shared store: the batch's first change to a session checks (at commit) that this engine
        // still holds it, so a stale owner's writes are refused as a whole.
        if store.isShared, !touched.contains(id), !createdInBatch.contains(id) {
            let epoch = session.epoch, owner = options.ownerID, lease = options.leaseSeconds
            write { try $0.confirmOwnership(session: id, epoch: epoch, owner: owner, leaseSeconds: lease) }
        }
        touched.insert(id)
    }

    /// Runs a store write inside the batch's transaction; the first failure dooms the batch.
    func write(_ body: (SessionStore) throws -> Void) {
        guard let store, batchFailure == nil else { return }
        do {
            if !batchOpen {
                try store.begin()
                batchOpen = true
            }
            try body(store)
        } catch {
            batchFailure = error
        }
    }

    func persistOpen(_ session: ServedSession, id: String, configuration: JSONValue, scriptText: String, encoding: String) {
        lastRequestChanged = true
        var record = SessionRecord(
            id: id, business: session.business, location: session.location, user: session.user, status: "active",
            createdAt: session.createdAt, metadata: session.metadata.map { .object($0) }, configuration: configuration,
            scriptHash: session.context.script.hashHex)
        record.expiresAt = session.createdAt + options.idleTimeout
        session.record = record
        let owner = options.ownerID, lease = options.leaseSeconds
        write { store in
            try store.saveScript(hash: record.scriptHash, encoding: encoding, text: scriptText, tokens: session.context.script.tokens)
            try store.createSession(record)
            if store.isShared {
                guard case .owned(let epoch) = try store.claim(session: id, owner: owner, leaseSeconds: lease) else {
                    throw OwnershipLost([id])
                }
                session.epoch = epoch
            }
        }
    }

    /// Logs the engine input, upserts the transcript records and updates the session record.
    func persist(
        _ session: ServedSession, id: String, kind: String, payload: JSONObject, outcome: EventOutcome, metadata: JSONValue?
    ) {
        let now = wallNow()
        var messages = [StoredMessage]()
        for (index, record) in outcome.transcript.enumerated() {
            let seq = session.messageSeqs[record.id] ?? session.messageSeqs.count
            session.messageSeqs[record.id] = seq
            // Without a store only the count matters: the records below would be built for nothing.
            guard store != nil else { continue }
            var messageMetadata: JSONValue?
            if let state = record.instructionState {
                messageMetadata = ["schemaVersion": 1, "state": .string(state.rawValue)]
            } else if let metadata, kind == "turn", index == outcome.transcript.count - 1 {
                messageMetadata = ["schemaVersion": 1, "value": metadata]
            }
            messages.append(StoredMessage(
                messageID: id + "/" + record.id, sessionID: id, seq: seq, type: record.kind.rawValue,
                content: record.content, tokens: record.tokens, timestamp: now, metadata: messageMetadata))
        }
        session.messages = session.messageSeqs.count
        guard store != nil else { return }
        let event = StoredEvent(seq: session.eventCount, kind: kind, payload: .object(payload))
        session.eventCount += 1
        session.record?.updatedAt = now
        session.record?.expiresAt = now + options.idleTimeout
        if !messages.isEmpty { session.record?.lastMessageAt = now }
        session.record?.messageCount = session.messages
        session.record?.snapshotVersion = session.context.version
        session.record?.snapshotHash = outcome.hash
        progressed.insert(id)
        pendingEvents[id, default: []].append(event)
        if !messages.isEmpty {
            write { store in
                for message in messages { try store.upsertMessage(message) }
            }
        }
    }

    func persistStatus(_ session: ServedSession, id: String, figures: JSONValue? = nil) {
        lastRequestChanged = true
        session.record?.status = session.status.rawValue
        session.record?.updatedAt = wallNow()
        if session.status != .active { session.record?.expiresAt = nil }
        if let figures { session.record?.figures = figures }
        guard let record = session.record else { return }
        write { try $0.updateSession(record) }
    }

    func persistResume(_ session: ServedSession, id: String) {
        lastRequestChanged = true
        let state = session.resume
        write { try $0.saveResume(session: id, state) }
    }
}
