import Foundation
import JSONWire
import PostgresNIO
import SessionStore

/// The shared store: PostgreSQL, for several engines on several machines (docs/deployment.md).
///
/// Same tables as the SQLite store, plus ownership on `sessions` (`owner`, `epoch`,
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
    static let migrations: [String] = [
        """
        CREATE TABLE scripts (hash TEXT PRIMARY KEY, encoding TEXT NOT NULL, text TEXT NOT NULL, tokens INTEGER NOT NULL);
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY, business_id TEXT, location_id TEXT, user_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('active','closed','resolved','abandoned')),
            created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL,
            last_message_at DOUBLE PRECISION, expires_at DOUBLE PRECISION,
            metadata TEXT, configuration TEXT NOT NULL, script_hash TEXT NOT NULL REFERENCES scripts(hash),
            message_count INTEGER NOT NULL DEFAULT 0, figures TEXT,
            snapshot_version INTEGER NOT NULL DEFAULT 0, snapshot_hash TEXT,
            owner TEXT, epoch BIGINT NOT NULL DEFAULT 0, lease_expires_at DOUBLE PRECISION);
        CREATE INDEX sessions_by_owner ON sessions (business_id, user_id, created_at);
        CREATE INDEX sessions_by_status ON sessions (status);
        CREATE TABLE events (
            id BIGSERIAL PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id), first_seq INTEGER NOT NULL,
            count INTEGER NOT NULL, events TEXT NOT NULL);
        CREATE UNIQUE INDEX events_by_session ON events (session_id, first_seq);
        CREATE TABLE messages (
            id BIGSERIAL PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL REFERENCES sessions(id),
            seq INTEGER NOT NULL, type TEXT NOT NULL CHECK (type IN ('user','model','instruction','system')),
            content TEXT NOT NULL, tokens INTEGER NOT NULL, timestamp DOUBLE PRECISION NOT NULL, metadata TEXT);
        CREATE UNIQUE INDEX messages_by_session ON messages (session_id, seq);
        CREATE TABLE resume (
            session_id TEXT PRIMARY KEY REFERENCES sessions(id), handle TEXT, resumable INTEGER NOT NULL,
            updated_at DOUBLE PRECISION NOT NULL, attempts INTEGER NOT NULL);
        """,
    ]
    /// Serializes migrations of engines that start together (`pg_advisory_xact_lock`).
    static let migrationLock: Int64 = 0x5442_4731

    let connection: PostgresConnectionBox
    public let location: PostgresLocation
    /// Futures of the open batch's writes, awaited at commit.
    private var pending: [EventLoopFuture<PostgresQueryResult>] = []
    /// The batch's ownership checks, sent: the sessions asked for and the ids that came back.
    private var confirmations: [(sessions: [String], result: EventLoopFuture<PostgresQueryResult>)] = []
    private var buffer = WriteBuffer()
    private static let now = "extract(epoch from clock_timestamp())"

    /// Connects and brings the schema up to date.
    ///
    /// - Throws: `PostgresStoreError` naming the server: unreachable, or a database whose schema is
    ///   newer than this build or not ours.
    public init(url: String) throws {
        location = try PostgresLocation(url: url)
        do {
            connection = try PostgresConnectionBox(location)
        } catch {
            throw PostgresStoreError("cannot connect to \(location): \(error)")
        }
        do {
            try connection.executeScript("""
                BEGIN;
                SELECT pg_advisory_xact_lock(\(Self.migrationLock));
                CREATE TABLE IF NOT EXISTS tokenbudget_schema (version INTEGER NOT NULL);
                """)
            let rows = try connection.execute("SELECT version FROM tokenbudget_schema")
            var version = 0
            if let row = rows.first { version = try row[0].decode(Int.self) }
            guard version <= Self.migrations.count else {
                try? connection.executeScript("ROLLBACK")
                throw PostgresStoreError("\(location) has schema version \(version), newer than this build knows (\(Self.migrations.count))")
            }
            if version < Self.migrations.count {
                if version == 0 {
                    let tables = try connection.execute(
                        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name IN ('sessions','events','messages')")
                    guard try tables.first?[0].decode(Int.self) == 0 else {
                        try? connection.executeScript("ROLLBACK")
                        throw PostgresStoreError("\(location) already has tables named sessions/events/messages that are not a tokenbudget schema; refusing to touch them")
                    }
                }
                for migration in Self.migrations[version...] { try connection.executeScript(migration) }
                try connection.executeScript("DELETE FROM tokenbudget_schema; INSERT INTO tokenbudget_schema VALUES (\(Self.migrations.count))")
            }
            try connection.executeScript("COMMIT")
        } catch let error as PostgresStoreError {
            throw error
        } catch {
            try? connection.executeScript("ROLLBACK")
            throw PostgresStoreError("\(location) cannot be used: \(String(reflecting: error))")
        }
    }

    public var isShared: Bool { true }

    // MARK: - Batches

    public func begin() throws {
        try reconnectIfClosed()
        send("BEGIN")
    }

    /// A batch, a read or a renewal on a connection the server closed first connects again.
    private func reconnectIfClosed() throws {
        guard connection.isClosed else { return }
        do { try connection.reconnect() } catch {
            throw PostgresStoreError("lost the connection to \(location) and cannot reconnect: \(String(reflecting: error))")
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
            let confirmed = Set(rows.compactMap { try? $0.makeRandomAccess()[0].decode(String.self) })
            lost += check.sessions.filter { !confirmed.contains($0) }
        }
        var failure: Error?
        for future in futures {
            do { _ = try future.wait() } catch { failure = failure ?? PostgresStoreError(String(reflecting: error)) }
        }
        if !lost.isEmpty { throw OwnershipLost(lost) }
        if let failure { throw failure }
        try connection.execute("COMMIT")
    }

    public func rollback() {
        buffer = WriteBuffer()
        let futures = pending
        pending.removeAll()
        confirmations.removeAll()
        for future in futures { _ = try? future.wait() }
        try? connection.executeScript("ROLLBACK")
    }

    /// Sends a write without waiting for it (pipelined; `commit` awaits them in order).
    private func send(_ sql: String, _ values: [PostgresConnectionBox.Value] = []) {
        pending.append(connection.send(sql, values))
    }

    /// Sends the buffered writes, then runs a read (which so sees them).
    private func read(_ sql: String, _ values: [PostgresConnectionBox.Value] = []) throws -> [PostgresRandomAccessRow] {
        if pending.isEmpty && buffer.isEmpty { try reconnectIfClosed() }  // not inside an open batch
        flushBuffer()
        return try connection.execute(sql, values)
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
            pending.append(future)
            confirmations.append((buffer.confirmIDs, future))
        }
        if !buffer.eventSessions.isEmpty {
            send("""
                INSERT INTO events (session_id, first_seq, count, events)
                SELECT * FROM unnest($1::text[], $2::int[], $3::int[], $4::text[])
                """, [.textArray(buffer.eventSessions), .intArray(buffer.eventFirst), .intArray(buffer.eventCount),
                      .textArray(buffer.eventBodies)])
        }
        if !buffer.messages.isEmpty {
            let messages = buffer.messages
            send("""
                INSERT INTO messages (message_id, session_id, seq, type, content, tokens, timestamp, metadata)
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
            send("""
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
        send("INSERT INTO scripts (hash, encoding, text, tokens) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO NOTHING",
             [.text(hash), .text(encoding), .text(text), .int(Int64(tokens))])
    }

    public func script(hash: String) throws -> String? {
        try read("SELECT text FROM scripts WHERE hash = $1", [.text(hash)]).first.map { try $0[0].decode(String.self) }
    }

    public func createSession(_ record: SessionRecord) throws {
        flushBuffer()
        // A session id that another engine holds live is not replaced; `claim` then reports it.
        let rows = try read("""
            INSERT INTO sessions (id, business_id, location_id, user_id, status, created_at, updated_at, last_message_at,
              expires_at, metadata, configuration, script_hash, message_count, figures, snapshot_version, snapshot_hash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
            ON CONFLICT (id) DO UPDATE SET business_id = EXCLUDED.business_id, location_id = EXCLUDED.location_id,
              user_id = EXCLUDED.user_id, status = EXCLUDED.status, created_at = EXCLUDED.created_at,
              updated_at = EXCLUDED.updated_at, last_message_at = EXCLUDED.last_message_at, expires_at = EXCLUDED.expires_at,
              metadata = EXCLUDED.metadata, configuration = EXCLUDED.configuration, script_hash = EXCLUDED.script_hash,
              message_count = EXCLUDED.message_count, figures = EXCLUDED.figures,
              snapshot_version = EXCLUDED.snapshot_version, snapshot_hash = EXCLUDED.snapshot_hash
            WHERE sessions.owner IS NULL OR sessions.lease_expires_at < \(Self.now)
            RETURNING id
            """, record.columnValues.map(PostgresConnectionBox.Value.init))
        guard !rows.isEmpty else {
            throw PostgresStoreError("session \(record.id) exists and another engine holds it")
        }
        // A reopened id starts a new conversation: its old log and transcript go.
        send("DELETE FROM events WHERE session_id = $1", [.text(record.id)])
        send("DELETE FROM messages WHERE session_id = $1", [.text(record.id)])
        send("DELETE FROM resume WHERE session_id = $1", [.text(record.id)])
    }

    public func updateSession(_ record: SessionRecord) throws {
        // Buffered ownership checks go first: this may end the session and so its lease.
        flushBuffer()
        // An ended session is nobody's: its lease goes with it.
        send("""
            UPDATE sessions SET business_id = $2, location_id = $3, user_id = $4, status = $5, created_at = $6,
              updated_at = $7, last_message_at = $8, expires_at = $9, metadata = $10, configuration = $11,
              script_hash = $12, message_count = $13, figures = $14, snapshot_version = $15, snapshot_hash = $16,
              owner = CASE WHEN $5 = 'active' THEN owner END,
              lease_expires_at = CASE WHEN $5 = 'active' THEN lease_expires_at END
            WHERE id = $1
            """, record.columnValues.map(PostgresConnectionBox.Value.init))
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
        send("""
            INSERT INTO resume (session_id, handle, resumable, updated_at, attempts) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (session_id) DO UPDATE SET handle = EXCLUDED.handle, resumable = EXCLUDED.resumable,
              updated_at = EXCLUDED.updated_at, attempts = EXCLUDED.attempts
            """, [.text(session), text(state.handle), .int(state.resumable ? 1 : 0), .double(state.updatedAt),
                  .int(Int64(state.attempts))])
    }

    // MARK: - Ownership

    public func claim(session: String, owner: String, leaseSeconds: Double) throws -> SessionClaim {
        let rows = try read("""
            UPDATE sessions SET epoch = CASE WHEN owner = $2 THEN epoch ELSE epoch + 1 END, owner = $2,
              lease_expires_at = \(Self.now) + $3
            WHERE id = $1 AND (owner IS NULL OR owner = $2 OR lease_expires_at < \(Self.now))
            RETURNING epoch
            """, [.text(session), .text(owner), .double(leaseSeconds)])
        if let row = rows.first { return .owned(epoch: try row[0].decode(Int.self)) }
        let holder = try read("SELECT owner, lease_expires_at - \(Self.now) FROM sessions WHERE id = $1", [.text(session)])
        guard let row = holder.first else { return .missing }
        return .heldElsewhere(owner: try row[0].decode(String?.self) ?? "?", secondsLeft: try row[1].decode(Double?.self) ?? 0)
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
        let ids = Array(epochs.keys)
        let rows = try read("""
            UPDATE sessions AS s SET lease_expires_at = \(Self.now) + $3
            FROM unnest($1::text[], $2::bigint[]) AS c(id, epoch)
            WHERE s.id = c.id AND s.owner = $4 AND s.epoch = c.epoch
            RETURNING s.id
            """, [.textArray(ids), .intArray(ids.map { Int64(epochs[$0]!) }), .double(leaseSeconds), .text(owner)])
        let confirmed = Set(try rows.map { try $0[0].decode(String.self) })
        return ids.filter { !confirmed.contains($0) }.sorted()
    }

    public func releaseLeases(_ sessions: [String], owner: String) throws {
        guard !sessions.isEmpty else { return }
        try read("UPDATE sessions SET owner = NULL, lease_expires_at = NULL WHERE id = ANY($1::text[]) AND owner = $2",
                 [.textArray(sessions), .text(owner)])
    }

    // MARK: - Reads

    static let sessionColumns = """
        id, business_id, location_id, user_id, status, created_at, updated_at, last_message_at, expires_at, metadata,
        configuration, script_hash, message_count, figures, snapshot_version, snapshot_hash
        """

    private func record(_ row: PostgresRandomAccessRow) throws -> SessionRecord {
        var record = SessionRecord(
            id: try row[0].decode(String.self), business: try row[1].decode(String?.self),
            location: try row[2].decode(String?.self), user: try row[3].decode(String?.self),
            status: try row[4].decode(String.self), createdAt: try row[5].decode(Double.self),
            metadata: parse(try row[9].decode(String?.self)), configuration: parse(try row[10].decode(String.self)) ?? .null,
            scriptHash: try row[11].decode(String.self))
        record.updatedAt = try row[6].decode(Double.self)
        record.lastMessageAt = try row[7].decode(Double?.self)
        record.expiresAt = try row[8].decode(Double?.self)
        record.messageCount = try row[12].decode(Int.self)
        record.figures = parse(try row[13].decode(String?.self))
        record.snapshotVersion = try row[14].decode(Int.self)
        record.snapshotHash = try row[15].decode(String?.self)
        return record
    }

    public func session(id: String) throws -> SessionRecord? {
        try read("SELECT \(Self.sessionColumns) FROM sessions WHERE id = $1", [.text(id)]).first.map(record)
    }

    public func events(session: String) throws -> [StoredEvent] {
        var events = [StoredEvent]()
        for row in try read("SELECT first_seq, count, events FROM events WHERE session_id = $1 ORDER BY first_seq", [.text(session)]) {
            try StoredEvent.appendRecord(
                try row[2].decode(String?.self), first: try row[0].decode(Int.self), count: try row[1].decode(Int.self),
                session: session, to: &events)
        }
        return events
    }

    public func messages(session: String, limit: Int) throws -> [StoredMessage] {
        try read("""
            SELECT message_id, session_id, seq, type, content, tokens, timestamp, metadata FROM messages
            WHERE session_id = $1 ORDER BY seq LIMIT $2
            """, [.text(session), .int(Int64(limit))]).map { row in
                StoredMessage(
                    messageID: try row[0].decode(String.self), sessionID: try row[1].decode(String.self),
                    seq: try row[2].decode(Int.self), type: try row[3].decode(String.self),
                    content: try row[4].decode(String.self), tokens: try row[5].decode(Int.self),
                    timestamp: try row[6].decode(Double.self), metadata: parse(try row[7].decode(String?.self)))
            }
    }

    public func activeSession(business: String?, user: String?) throws -> SessionRecord? {
        try read("""
            SELECT \(Self.sessionColumns) FROM sessions
            WHERE status = 'active' AND business_id IS NOT DISTINCT FROM $1 AND user_id IS NOT DISTINCT FROM $2
            ORDER BY created_at DESC LIMIT 1
            """, [text(business), text(user)]).first.map(record)
    }

    public func history(business: String?, user: String?, limit: Int) throws -> [SessionRecord] {
        try read("""
            SELECT \(Self.sessionColumns) FROM sessions
            WHERE business_id IS NOT DISTINCT FROM $1 AND user_id IS NOT DISTINCT FROM $2
            ORDER BY created_at DESC, id DESC LIMIT $3
            """, [text(business), text(user), .int(Int64(limit))]).map(record)
    }

    public func statistics() throws -> [StatusStatistics] {
        try read("""
            SELECT status, count(*)::bigint, avg(coalesce(last_message_at, updated_at) - created_at)::double precision,
              avg(message_count)::double precision
            FROM sessions GROUP BY status ORDER BY status
            """).map { row in
                StatusStatistics(
                    status: try row[0].decode(String.self), count: try row[1].decode(Int.self),
                    averageDurationSeconds: try row[2].decode(Double.self), averageMessages: try row[3].decode(Double.self))
            }
    }

    public func resume(session: String) throws -> ResumeState? {
        try read("SELECT handle, resumable, updated_at, attempts FROM resume WHERE session_id = $1", [.text(session)]).first.map { row in
            ResumeState(
                handle: try row[0].decode(String?.self), resumable: try row[1].decode(Int.self) != 0,
                updatedAt: try row[2].decode(Double.self), attempts: try row[3].decode(Int.self))
        }
    }

    public func activeSessionIDs() throws -> [String] {
        try read("SELECT id FROM sessions WHERE status = 'active' ORDER BY id").map { try $0[0].decode(String.self) }
    }

    // MARK: - Helpers

    private func text(_ value: String?) -> PostgresConnectionBox.Value { value.map { .text($0) } ?? .null }
    private func parse(_ text: String?) -> JSONValue? { text.flatMap { try? JSONParser.parse($0) } }
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
    /// One row per (session, seq): a multi-row upsert may not touch a row twice.
    private(set) var messages: [StoredMessage] = []
    private var messageIndex: [String: Int] = [:]
    private var progressIndex: [String: Int] = [:]
    private(set) var progress: [SessionRecord] = []

    var isEmpty: Bool { confirmIDs.isEmpty && eventSessions.isEmpty && messages.isEmpty && progress.isEmpty }

    mutating func upsert(_ message: StoredMessage) {
        let key = message.sessionID + "\u{0}" + String(message.seq)
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
        if let index = progressIndex[record.id] {
            progress[index] = record
        } else {
            progressIndex[record.id] = progress.count
            progress.append(record)
        }
    }
}
