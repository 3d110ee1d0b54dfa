import ContextEngine
import JSONWire
import SessionStore

/// What each change writes, through the batch's `UnitOfWork`: the session record at open, the event
/// log (one `ContextEvent` per applied event, in its stored form), the transcript, the status and
/// the resume state.
extension EngineService {
    /// Writes a new session. A store that already has the id (another engine created it meanwhile)
    /// refuses it for this request alone.
    func persistOpen(_ session: ServedSession, id: String, configuration: JSONValue, scriptText: String, encoding: String)
        throws(RPCError)
    {
        var record = SessionRecord(
            id: id, business: session.business, location: session.location, user: session.user, status: "active",
            createdAt: session.createdAt, metadata: session.metadata.map { .object($0) }, configuration: configuration,
            scriptHash: session.context.script.hashHex)
        record.expiresAt = session.createdAt + options.idleTimeout
        session.record = record
        guard store != nil else { return }
        let refused = unit.attempt { store in
            try store.saveScript(hash: record.scriptHash, encoding: encoding, text: scriptText, tokens: session.context.script.tokens)
            try store.createSession(record)
        }
        if let refused {
            throw RPCError(RPCError.sessionExists, "session \"\(id)\" exists already (\(refused))", data: ["session": .string(id)])
        }
        unit.created(id)
        let owner = options.ownerID, lease = options.leaseSeconds
        unit.write { store in
            guard store.isShared else { return }
            guard case .owned(let epoch) = try store.claim(session: id, owner: owner, leaseSeconds: lease) else {
                throw StoreError(code: .ownershipLost, message: "another engine took session \(id) while it was being opened", sessions: [id])
            }
            session.epoch = epoch
        }
    }

    /// Logs the applied event, upserts the transcript records and updates the session's counters.
    func persist(_ session: ServedSession, id: String, event: ContextEvent, outcome: EventOutcome, metadata: JSONValue?) {
        let now = wallNow()
        let seqs = session.transcript.assign(outcome)
        // Without a store only the count matters: the records below would be built for nothing.
        for (index, record) in outcome.transcript.enumerated() where store != nil {
            let seq = seqs[index]
            var messageMetadata: JSONValue?
            if let state = record.instructionState {
                messageMetadata = ["schemaVersion": 1, "state": .string(state.rawValue)]
            } else if let metadata, case .turn = event, index == outcome.transcript.count - 1 {
                messageMetadata = ["schemaVersion": 1, "value": metadata]
            }
            let message = StoredMessage(
                messageID: id + "/" + record.id, sessionID: id, seq: seq, type: record.kind.rawValue,
                content: record.content, tokens: record.tokens, timestamp: now, metadata: messageMetadata)
            unit.upsert(message, appendedFrom: record.appendedFrom)
        }
        guard store != nil else { return }
        let logged = Self.counted(event, outcome)
        unit.log(StoredEvent(seq: session.eventCount, kind: logged.kind, payload: .object(logged.payload)), for: session, id: id)
        session.eventCount += 1
        session.record?.updatedAt = now
        session.record?.expiresAt = now + options.idleTimeout
        if !outcome.transcript.isEmpty { session.record?.lastMessageAt = now }
        session.record?.messageCount = session.messages
        session.record?.snapshotVersion = session.context.version
        session.record?.snapshotHash = outcome.hash
    }

    /// The event as logged: a turn or summary with the token count the engine computed (the whole
    /// turn text so far), so that a rebuild folds the log without tokenizing it again (a 60,000-turn
    /// session took 12.8 s to rebuild, every other call waiting). Instructions are logged as given:
    /// their count is of the rendered text, after coalescing and truncation, which a given count
    /// would skip.
    static func counted(_ event: ContextEvent, _ outcome: EventOutcome) -> ContextEvent {
        switch event {
        case .turn(let role, let text, let final, nil, let audioMs, let providerItemID):
            guard let record = outcome.transcript.last, record.kind == .user || record.kind == .model else { return event }
            return .turn(role, text: text, final: final, tokens: record.tokens, audioMs: audioMs, providerItemID: providerItemID)
        case .summary(let text?, nil):
            guard let record = outcome.transcript.last, record.kind == .system else { return event }
            return .summary(text: text, tokens: record.tokens)
        default:
            return event
        }
    }

    func persistStatus(_ session: ServedSession, id: String, figures: JSONValue? = nil) {
        let now = wallNow()
        session.record?.status = session.status.rawValue
        session.record?.updatedAt = now
        // Null only once ended; a session revived (`session.resume`) expires again from now.
        session.record?.expiresAt = session.status == .active ? now + options.idleTimeout : nil
        if let figures { session.record?.figures = figures }
        guard let record = session.record else { return }
        unit.write { try $0.updateSession(record) }
        if session.status != .active { unit.ended(id, session) }
    }

    func persistResume(_ session: ServedSession, id: String) {
        let state = session.resume
        unit.write { try $0.saveResume(session: id, state) }
    }
}
