// Built only with the Postgres trait (`swift build --traits Postgres`, Package.swift).
#if Postgres
import Foundation
import JSONWire
import PostgresNIO
import SessionStore

/// The shared store: PostgreSQL, for several engines on several machines (docs/deployment.md).
///
/// Same tables as the SQLite store (one description, `StoreSchema`), plus ownership on `sessions` (`owner`, `epoch`,
/// `lease_expires_at`): a session belongs to one engine at a time; a takeover raises the epoch, and
/// every batch confirms its sessions' epochs (locking their rows) before it commits, so a stale
/// owner's writes are refused, never merged. Lease times are the server's clock, so engines with
/// skewed clocks still agree.
///
/// Writes are batched: the per-event writes of a batch (ownership checks, events, messages, session
/// counters) are buffered and sent as one statement each over `unnest`ed arrays, whatever the number
/// of events — one statement per row made the server parse and plan ~8,000 statements per batch
/// (3.3k events/s). `commit` answers only after PostgreSQL committed (synchronous_commit on, the
/// server default).
public final class PostgresSessionStore: SessionStore {
    /// The schema steps, in order (`Migration.all`); version n in `tokenbudget_schema` means the first
    /// n are applied, as in SQLite's `user_version`.
    public static var migrations: [Migration] { Migration.all }
    /// Serializes migrations of engines that start together (`pg_advisory_xact_lock`).
    static let migrationLock: Int64 = 0x5442_4731

    let connection: PostgresConnectionBox
    public let location: PostgresLocation
    /// The open batch's writes, sent and awaited at commit, each with what it does (for the error).
    private var pending: [(what: String, result: EventLoopFuture<PostgresQueryResult>)] = []
    /// The batch's ownership checks, sent: the sessions asked for and the ids that came back.
    private var confirmations: [(sessions: [String], result: EventLoopFuture<PostgresQueryResult>)] = []
    private var buffer = WriteBuffer()
    /// Inside `readingConsistently`.
    private var inReadTransaction = false
    /// Old request answers this batch already deleted (`saveRequest`).
    private var requestsForgotten = ForgottenRequests()
    static let now = "extract(epoch from clock_timestamp())"

    /// Connects and brings the schema up to date.
    ///
    /// - Throws: `StoreError` naming the server: unreachable (`connectionLost`), a schema newer than
    ///   this build (`unsupportedVersion`), or tables that are not ours (`other`).
    public init(url: String) throws {
        location = try PostgresLocation(url: url)
        do {
            connection = try PostgresConnectionBox(location)
        } catch {
            throw StoreError(code: .connectionLost, message: "cannot connect to \(location)", underlying: String(reflecting: error))
        }
        do {
            try migrate()
        } catch {
            try? connection.executeScript("ROLLBACK")
            throw error
        }
    }

    private func migrate() throws(StoreError) {
        let known = Self.migrations
        let version = try doing("\(location) cannot be used (reading its schema version)") { () throws -> Int in
            try connection.executeScript("""
                BEGIN;
                SELECT pg_advisory_xact_lock(\(Self.migrationLock));
                CREATE TABLE IF NOT EXISTS tokenbudget_schema (version INTEGER NOT NULL);
                """)
            return try connection.execute("SELECT version FROM tokenbudget_schema").first
                .map { try PostgresStoreRow(row: $0).requiredInt("version") } ?? 0
        }
        guard version <= known.count else { throw Migration.newerSchema("\(location)", version: version) }
        if version == 0 {
            let tables = try doing("\(location) cannot be used (looking for foreign tables)") {
                try connection.execute("""
                    SELECT CAST(count(*) AS BIGINT) AS tables FROM information_schema.tables
                    WHERE table_schema = current_schema() AND table_name IN ('sessions','events','messages')
                    """).first.map { try PostgresStoreRow(row: $0).requiredInt("tables") } ?? 0
            }
            guard tables == 0 else {
                throw StoreError("\(location) already has tables named sessions/events/messages that are not a tokenbudget schema; refusing to touch them")
            }
        }
        for (index, migration) in known.enumerated() where index >= version {
            try doing("\(location) cannot be used (applying migration \(index + 1) \"\(migration.name)\")") {
                try connection.executeScript(migration.sql(.postgres))
            }
        }
        try doing("\(location) cannot be used (recording schema version \(known.count))") {
            if version < known.count {
                try connection.executeScript("DELETE FROM tokenbudget_schema; INSERT INTO tokenbudget_schema VALUES (\(known.count))")
            }
            try connection.executeScript("COMMIT")
        }
    }

    public var isShared: Bool { true }
    /// PostgreSQL's text type cannot hold U+0000 ("invalid byte sequence for encoding UTF8: 0x00"),
    /// and the failed statement would abort the whole batch's transaction: such requests are refused
    /// before they reach the store (EngineService.handle).
    public var holdsNUL: Bool { false }

    /// Runs `body`; a failure comes out as a `StoreError` saying `what` was being done, coded from
    /// the server's SQLSTATE or the connection's state.
    func doing<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch {
            throw StoreError(postgres: error, doing: what(), connectionClosed: connection.isClosed)
        }
    }

    // MARK: - Batches

    public func begin() throws {
        try reconnectIfClosed()
        requestsForgotten.removeAll()
        send("starting a batch", "BEGIN")
    }

    /// A batch, a read or a renewal on a connection the server closed first connects again.
    private func reconnectIfClosed() throws(StoreError) {
        guard connection.isClosed else { return }
        do { try connection.reconnect() } catch {
            throw StoreError(
                code: .connectionLost, message: "lost the connection to \(location) and cannot reconnect",
                underlying: String(reflecting: error))
        }
    }

    /// Awaits the batch's writes, refuses it if a session was taken over, then commits.
    public func commit() throws {
        flushBuffer()
        let futures = pending, checks = confirmations
        pending.removeAll()
        confirmations.removeAll()
        // Ownership first: a stale owner's later statements may fail too (its event seqs collide with
        // the new owner's), but the cause to report is that the session is not its own any more.
        var lost: [String] = []
        for check in checks {
            guard let rows = try? check.result.wait().rows else { continue }
            let confirmed = Set(rows.compactMap { try? PostgresStoreRow(row: $0.makeRandomAccess()).text("id") })
            lost += check.sessions.filter { !confirmed.contains($0) }
        }
        var failure: StoreError?
        for (what, future) in futures {
            do { _ = try future.wait() } catch {
                failure = failure ?? StoreError(postgres: error, doing: what, connectionClosed: connection.isClosed)
            }
        }
        if !lost.isEmpty { throw StoreError(code: .ownershipLost, sessions: lost) }
        if let failure { throw failure.doing("committing a batch to \(location)") }
        try doing("committing a batch to \(location)") { _ = try connection.execute("COMMIT") }
    }

    public func rollback() {
        buffer = WriteBuffer()
        let futures = pending
        pending.removeAll()
        confirmations.removeAll()
        for (_, future) in futures { _ = try? future.wait() }
        // A closed connection's transaction died with it on the server; a ROLLBACK sent on it was
        // seen to wait forever after the server stopped (`pg_ctl stop -m immediate`).
        guard !connection.isClosed else { return }
        try? connection.executeScript("ROLLBACK")
    }

    /// A repeatable-read, read-only transaction: one snapshot for every read of `body`. A connection
    /// that closes inside it is not reconnected (the snapshot would be lost): the read fails. Not
    /// inside a batch or another read: PostgreSQL only warns at a nested `BEGIN`, and its `COMMIT`
    /// would end the outer transaction.
    public func readingConsistently<T>(_ body: () throws -> T) throws -> T {
        guard !inReadTransaction, pending.isEmpty, buffer.isEmpty else {
            throw StoreError(
                code: .other, message: "a consistent read on \(location) cannot start inside a batch or another read")
        }
        try reconnectIfClosed()
        try doing("starting a read on \(location)") {
            _ = try connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        }
        inReadTransaction = true
        defer { inReadTransaction = false }
        let result: T
        do { result = try body() } catch {
            if !connection.isClosed { try? connection.executeScript("ROLLBACK") }
            throw error
        }
        // The reads are done, and were of one state: a read that fails to end is not reported (an
        // export already written is whole); a closed connection connects again at the next call.
        if !connection.isClosed, (try? connection.execute("COMMIT")) == nil {
            try? connection.executeScript("ROLLBACK")
        }
        return result
    }

    /// Sends a write without waiting for it (pipelined; `commit` awaits them in order).
    private func send(_ what: String, _ sql: String, _ values: [PostgresConnectionBox.Value] = []) {
        pending.append((what, connection.send(sql, values)))
    }

    /// Sends the buffered writes, then runs a read (which so sees them).
    func read(_ sql: String, _ values: [PostgresConnectionBox.Value] = []) throws -> [PostgresStoreRow] {
        if pending.isEmpty && buffer.isEmpty && !inReadTransaction { try reconnectIfClosed() }  // not inside a transaction
        flushBuffer()
        return try connection.execute(sql, values).map(PostgresStoreRow.init(row:))
    }

    /// Sends the buffered per-event writes as one statement per kind.
    private func flushBuffer() {
        guard !buffer.isEmpty else { return }
        let buffer = self.buffer
        self.buffer = WriteBuffer()
        if !buffer.confirmIDs.isEmpty {
            // Locks the rows until the commit: a takeover waits for it, then finds the leases extended.
            let future = connection.send("""
                UPDATE sessions AS s SET lease_expires_at = \(Self.now) + $3
                FROM unnest($1::text[], $2::bigint[]) AS c(id, epoch)
                WHERE s.id = c.id AND s.owner = $4 AND s.epoch = c.epoch
                RETURNING s.id
                """, [.textArray(buffer.confirmIDs), .intArray(buffer.confirmEpochs), .double(buffer.leaseSeconds), .text(buffer.owner)])
            pending.append(("confirming the ownership of \(buffer.confirmIDs.count) sessions", future))
            confirmations.append((buffer.confirmIDs, future))
        }
        if !buffer.eventSessions.isEmpty {
            send("appending the events of \(buffer.eventSessions.count) sessions", """
                INSERT INTO events (session_id, first_seq, count, events)
                SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[])
                """, [.textArray(buffer.eventSessions), .intArray(buffer.eventFirst), .intArray(buffer.eventCount),
                      .textArray(buffer.eventBodies)])
        }
        if !buffer.messages.isEmpty {
            let messages = buffer.messages
            send("storing \(messages.count) messages", """
                INSERT INTO messages (\(TableSchema.list(StoredMessage.columns)))
                SELECT m, s, q, t, c, k, ts, NULLIF(md, '') FROM
                  unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::float8[], $8::text[])
                  AS u(m, s, q, t, c, k, ts, md)
                ON CONFLICT (session_id, seq) DO UPDATE SET content = EXCLUDED.content, tokens = EXCLUDED.tokens,
                  metadata = coalesce(EXCLUDED.metadata, messages.metadata)
                """, [
                    .textArray(messages.map(\.messageID)), .textArray(messages.map(\.sessionID)),
                    .intArray(messages.map { Int64($0.seq) }), .textArray(messages.map(\.type)),
                    .textArray(messages.map(\.content)), .intArray(messages.map { Int64($0.tokens) }),
                    .doubleArray(messages.map(\.timestamp)), .textArray(messages.map { $0.metadata.map(JSONWriter.string) ?? "" }),
                ])
        }
        if !buffer.progress.isEmpty {
            let records = buffer.progress
            // NaN and '' stand for NULL: arrays of optionals do not bind.
            send("updating the counters of \(records.count) sessions", """
                UPDATE sessions AS s SET updated_at = u.updated, last_message_at = NULLIF(u.last, 'NaN'::float8),
                  message_count = u.messages, snapshot_version = u.version, snapshot_hash = NULLIF(u.hash, ''),
                  expires_at = NULLIF(u.expires, 'NaN'::float8)
                FROM unnest($1::text[], $2::float8[], $3::float8[], $4::int[], $5::int[], $6::text[], $7::float8[])
                  AS u(id, updated, last, messages, version, hash, expires)
                WHERE s.id = u.id
                """, [
                    .textArray(records.map(\.id)), .doubleArray(records.map(\.updatedAt)),
                    .doubleArray(records.map { $0.lastMessageAt ?? .nan }), .intArray(records.map { Int64($0.messageCount) }),
                    .intArray(records.map { Int64($0.snapshotVersion) }), .textArray(records.map { $0.snapshotHash ?? "" }),
                    .doubleArray(records.map { $0.expiresAt ?? .nan }),
                ])
        }
    }

    // MARK: - Writes

    public func saveScript(hash: String, encoding: String, text: String, tokens: Int) throws {
        send("saving script \(hash)", Self.insertScript, [.text(hash), .text(encoding), .text(text), .int(Int64(tokens))])
    }

    public func script(hash: String) throws -> String? {
        try doing("reading script \(hash)") {
            try read("SELECT text FROM scripts WHERE hash = $1", [.text(hash)]).first.map { try $0.requiredText("text") }
        }
    }

    // Statements rendered once from the schema description.
    static let insertScript = StoreSchema.scripts.insertKeeping(.postgres, key: ["hash"])
    static let upsertResume = StoreSchema.resume.upsert(.postgres, key: ["session_id"])
    static let selectResume = StoreSchema.resume.select()
    static let insertSession = StoreSchema.sessions.insertKeeping(.postgres, key: ["id"], columns: SessionRecord.columns)
        + " RETURNING id"
    static let updateSession = StoreSchema.sessions.update(
        .postgres, columns: SessionRecord.columns,
        // An ended session is nobody's: its lease goes with it.
        extra: ["owner = CASE WHEN $5 = 'active' THEN owner END", "lease_expires_at = CASE WHEN $5 = 'active' THEN lease_expires_at END"])
    static let selectSessions = SessionRecord.selectAll

    /// Session ids are never reused: an id that exists, in any status and whoever holds it, is a
    /// `conflict` and nothing changes. `ON CONFLICT DO NOTHING` (not a failing INSERT) keeps the
    /// batch's transaction usable; an empty RETURNING tells the conflict. Taking over an *active*
    /// session of a dead engine is `claim`'s job (through `session.resume`), not this one's.
    public func createSession(_ record: SessionRecord) throws {
        try doing("creating session \"\(record.id)\"") {
            flushBuffer()
            guard try read(Self.insertSession, record.columnValues.map(PostgresConnectionBox.Value.init)).isEmpty else { return }
            let status = try read("SELECT status FROM sessions WHERE id = $1", [.text(record.id)]).first.map { try $0.text("status") } ?? nil
            throw StoreError(
                code: .conflict,
                message: "the id exists (status \(status ?? "?")); session ids are never reused, nothing was changed")
        }
    }

    public func updateSession(_ record: SessionRecord) throws {
        // Buffered ownership checks go first: this may end the session and so its lease.
        flushBuffer()
        send("updating session \"\(record.id)\"", Self.updateSession, record.columnValues.map(PostgresConnectionBox.Value.init))
    }

    public func updateProgress(_ record: SessionRecord) throws {
        buffer.setProgress(record)
    }

    public func appendEvents(session: String, _ events: [StoredEvent]) throws {
        guard let first = events.first else { return }
        buffer.eventSessions.append(session)
        buffer.eventFirst.append(Int64(first.seq))
        buffer.eventCount.append(Int64(events.count))
        buffer.eventBodies.append(StoredEvent.recordText(events))
    }

    public func upsertMessage(_ message: StoredMessage) throws {
        buffer.upsert(message)
    }

    public func saveResume(session: String, _ state: ResumeState) throws {
        send("saving the resume state of session \"\(session)\"", Self.upsertResume, [
            .text(session), text(state.handle), .int(state.resumable ? 1 : 0), .double(state.updatedAt),
            .int(Int64(state.attempts)),
        ])
    }

    static let upsertRequest = StoreSchema.requests.upsert(
        .postgres, key: ["session_id", "request_id"], columns: Array(StoreSchema.requests.columns.dropFirst()))

    public func saveRequest(session: String, _ request: StoredRequest, keep: Int) throws {
        send("keeping the answer of request \"\(request.requestID)\" of session \"\(session)\"", Self.upsertRequest, [
            .text(session), .text(request.requestID), .int(Int64(request.seq)), .text(request.answer),
        ])
        guard requestsForgotten.forget(session, through: request.seq - keep) else { return }
        send("forgetting old answers of session \"\(session)\"", "DELETE FROM requests WHERE session_id = $1 AND seq <= $2",
             [.text(session), .int(Int64(request.seq - keep))])
    }

    public func requests(session: String) throws -> [StoredRequest] {
        try doing("reading the kept answers of session \"\(session)\"") {
            try read("SELECT request_id, seq, answer FROM requests WHERE session_id = $1 ORDER BY seq", [.text(session)]).map {
                StoredRequest(requestID: try $0.requiredText("request_id"), seq: try $0.requiredInt("seq"),
                              answer: try $0.requiredText("answer"))
            }
        }
    }

    // MARK: - Ownership

    public func claim(session: String, owner: String, leaseSeconds: Double) throws -> SessionClaim {
        try doing("claiming session \"\(session)\" for \(owner)") {
            let rows = try read("""
                UPDATE sessions SET epoch = CASE WHEN owner = $2 THEN epoch ELSE epoch + 1 END, owner = $2,
                  lease_expires_at = \(Self.now) + $3
                WHERE id = $1 AND (owner IS NULL OR owner = $2 OR lease_expires_at < \(Self.now))
                RETURNING epoch
                """, [.text(session), .text(owner), .double(leaseSeconds)])
            if let row = rows.first { return .owned(epoch: try row.requiredInt("epoch")) }
            let holder = try read(
                "SELECT owner, lease_expires_at - \(Self.now) AS seconds_left FROM sessions WHERE id = $1", [.text(session)])
            guard let row = holder.first else { return .missing }
            return .heldElsewhere(owner: try row.text("owner") ?? "?", secondsLeft: try row.double("seconds_left") ?? 0)
        }
    }

    /// Buffered, checked in one statement with the batch's other sessions. Checking at the end of the
    /// batch is as safe as before its writes: a takeover that commits first makes the check fail and
    /// the whole batch roll back; one that comes later waits for the row lock and then finds the
    /// lease extended.
    public func confirmOwnership(session: String, epoch: Int, owner: String, leaseSeconds: Double) throws {
        buffer.confirmIDs.append(session)
        buffer.confirmEpochs.append(Int64(epoch))
        buffer.owner = owner
        buffer.leaseSeconds = leaseSeconds
    }

    public func renewLeases(_ epochs: [String: Int], owner: String, leaseSeconds: Double) throws -> [String] {
        guard !epochs.isEmpty else { return [] }
        return try doing("renewing the leases of \(epochs.count) sessions") {
            let ids = Array(epochs.keys)
            let rows = try read("""
                UPDATE sessions AS s SET lease_expires_at = \(Self.now) + $3
                FROM unnest($1::text[], $2::bigint[]) AS c(id, epoch)
                WHERE s.id = c.id AND s.owner = $4 AND s.epoch = c.epoch
                RETURNING s.id
                """, [.textArray(ids), .intArray(ids.map { Int64(epochs[$0]!) }), .double(leaseSeconds), .text(owner)])
            let confirmed = Set(try rows.map { try $0.requiredText("id") })
            return ids.filter { !confirmed.contains($0) }.sorted()
        }
    }

    public func releaseLeases(_ sessions: [String], owner: String) throws {
        guard !sessions.isEmpty else { return }
        try doing("releasing the leases of \(sessions.count) sessions") {
            _ = try read("UPDATE sessions SET owner = NULL, lease_expires_at = NULL WHERE id = ANY($1::text[]) AND owner = $2",
                         [.textArray(sessions), .text(owner)])
        }
    }

    // MARK: - Reads

    public func session(id: String) throws -> SessionRecord? {
        try doing("reading session \"\(id)\"") {
            try read(Self.selectSessions + " WHERE id = $1", [.text(id)]).first.map(SessionRecord.init(row:))
        }
    }

    public func events(session: String, from: Int) throws -> [StoredEvent] {
        try doing("reading the events of session \"\(session)\" from seq \(from)") {
            var events = [StoredEvent]()
            for row in try read(StoredEvent.selectRecords(.postgres), [.text(session), .int(Int64(from))]) {
                try StoredEvent.appendRecord(
                    try row.text("events"), first: try row.requiredInt("first_seq"), count: try row.requiredInt("count"),
                    session: session, from: from, to: &events)
            }
            return events
        }
    }

    static let upsertCheckpoint = StoreSchema.checkpoints.upsert(.postgres, key: ["session_id"])

    public func saveCheckpoint(session: String, _ checkpoint: StoredCheckpoint) throws {
        send("saving a checkpoint of session \"\(session)\" at event \(checkpoint.seq)", Self.upsertCheckpoint,
             [.text(session), .int(Int64(checkpoint.seq)), .text(checkpoint.state)])
    }

    public func checkpoint(session: String) throws -> StoredCheckpoint? {
        try doing("reading the checkpoint of session \"\(session)\"") {
            try read("SELECT seq, state FROM checkpoints WHERE session_id = $1", [.text(session)]).first.map {
                StoredCheckpoint(seq: try $0.requiredInt("seq"), state: try $0.requiredText("state"))
            }
        }
    }

    public func messages(session: String, limit: Int) throws -> [StoredMessage] {
        try doing("reading the messages of session \"\(session)\"") {
            try read("""
                \(StoreSchema.messages.select(columns: StoredMessage.columns)) WHERE session_id = $1 ORDER BY seq LIMIT $2
                """, [.text(session), .int(Int64(limit))]).map(StoredMessage.init(row:))
        }
    }

    public func messages(session: String, after: Int, limit: Int) throws -> [StoredMessage] {
        try doing("reading the messages of session \"\(session)\" after seq \(after)") {
            try read("""
                \(StoreSchema.messages.select(columns: StoredMessage.columns)) WHERE session_id = $1 AND seq > $2 ORDER BY seq LIMIT $3
                """, [.text(session), .int(Int64(after)), .int(Int64(limit))]).map(StoredMessage.init(row:))
        }
    }

    public func activeSession(business: String?, user: String?) throws -> SessionRecord? {
        try doing("finding the active session of business \(business ?? "-"), user \(user ?? "-")") {
            try read("""
                \(Self.selectSessions)
                WHERE status = 'active' AND business_id IS NOT DISTINCT FROM $1 AND user_id IS NOT DISTINCT FROM $2
                ORDER BY created_at DESC LIMIT 1
                """, [text(business), text(user)]).first.map(SessionRecord.init(row:))
        }
    }

    public func history(business: String?, user: String?, limit: Int) throws -> [SessionRecord] {
        try doing("reading the history of business \(business ?? "-"), user \(user ?? "-")") {
            try read("""
                \(Self.selectSessions)
                WHERE business_id IS NOT DISTINCT FROM $1 AND user_id IS NOT DISTINCT FROM $2
                ORDER BY created_at DESC, id DESC LIMIT $3
                """, [text(business), text(user), .int(Int64(limit))]).map(SessionRecord.init(row:))
        }
    }

    public func statistics() throws -> [StatusStatistics] {
        try doing("computing the statistics") { try read(StatusStatistics.sql).map(StatusStatistics.init(row:)) }
    }

    public func resume(session: String) throws -> ResumeState? {
        try doing("reading the resume state of session \"\(session)\"") {
            try read(Self.selectResume + " WHERE session_id = $1", [.text(session)])
                .first.map(ResumeState.init(row:))
        }
    }

    public func activeSessionIDs() throws -> [String] {
        try doing("listing the active sessions") {
            try read("SELECT id FROM sessions WHERE status = 'active' ORDER BY id").map { try $0.requiredText("id") }
        }
    }

    // MARK: - Helpers

    private func text(_ value: String?) -> PostgresConnectionBox.Value { value.map { .text($0) } ?? .null }
}

/// The per-event writes of the open batch, sent together by `flushBuffer`.
struct WriteBuffer {
    var confirmIDs: [String] = []
    var confirmEpochs: [Int64] = []
    var owner = ""
    var leaseSeconds = 0.0
    var eventSessions: [String] = []
    var eventFirst: [Int64] = []
    var eventCount: [Int64] = []
    var eventBodies: [String] = []
    /// One row per (session, seq): a multi-row upsert may not touch a row twice. Keyed by the
    /// session id's bytes: Swift's `String ==` is canonical equivalence, and `café` and `cafe\u{301}`
    /// are two sessions (one's record overwrote the other's in a batch that had both).
    private(set) var messages: [StoredMessage] = []
    private var messageIndex: [RowKey: Int] = [:]
    private var progressIndex: [[UInt8]: Int] = [:]

    private struct RowKey: Hashable {
        let session: [UInt8]
        let seq: Int
    }
    private(set) var progress: [SessionRecord] = []

    var isEmpty: Bool { confirmIDs.isEmpty && eventSessions.isEmpty && messages.isEmpty && progress.isEmpty }

    mutating func upsert(_ message: StoredMessage) {
        let key = RowKey(session: Array(message.sessionID.utf8), seq: message.seq)
        if let index = messageIndex[key] {
            let earlier = messages[index].metadata
            messages[index] = message
            if message.metadata == nil { messages[index].metadata = earlier }  // as `coalesce` would
        } else {
            messageIndex[key] = messages.count
            messages.append(message)
        }
    }

    mutating func setProgress(_ record: SessionRecord) {
        let key = Array(record.id.utf8)
        if let index = progressIndex[key] {
            progress[index] = record
        } else {
            progressIndex[key] = progress.count
            progress.append(record)
        }
    }
}
#endif
