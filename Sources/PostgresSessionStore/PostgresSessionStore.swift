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
/// Writes are pipelined: a batch's statements are sent without waiting and awaited at `commit`,
/// which answers only after PostgreSQL committed (synchronous_commit on, the server default).
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
    /// The batch's ownership checks: a session whose check updated no row was taken over.
    private var confirmations: [(session: String, result: EventLoopFuture<PostgresQueryResult>)] = []
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

    public func begin() throws { send("BEGIN") }

    /// Awaits the batch's writes, refuses it if a session was taken over, then commits.
    public func commit() throws {
        let futures = pending, checks = confirmations
        pending.removeAll()
        confirmations.removeAll()
        // Ownership first: a stale owner's later statements may fail too (its event seqs collide with
        // the new owner's), but the cause to report is that the session is not its own any more.
        var lost: [String] = []
        for check in checks where (try? check.result.wait().rows.isEmpty) == true { lost.append(check.session) }
        var failure: Error?
        for future in futures {
            do { _ = try future.wait() } catch { failure = failure ?? PostgresStoreError(String(reflecting: error)) }
        }
        if !lost.isEmpty { throw OwnershipLost(lost) }
        if let failure { throw failure }
        try connection.execute("COMMIT")
    }

    public func rollback() {
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

    /// Waits for the writes sent so far, then runs a read.
    private func read(_ sql: String, _ values: [PostgresConnectionBox.Value] = []) throws -> [PostgresRandomAccessRow] {
        try connection.execute(sql, values)
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
            """, values(record))
        guard !rows.isEmpty else {
            throw PostgresStoreError("session \(record.id) exists and another engine holds it")
        }
        // A reopened id starts a new conversation: its old log and transcript go.
        send("DELETE FROM events WHERE session_id = $1", [.text(record.id)])
        send("DELETE FROM messages WHERE session_id = $1", [.text(record.id)])
        send("DELETE FROM resume WHERE session_id = $1", [.text(record.id)])
    }

    public func updateSession(_ record: SessionRecord) throws {
        // An ended session is nobody's: its lease goes with it.
        send("""
            UPDATE sessions SET business_id = $2, location_id = $3, user_id = $4, status = $5, created_at = $6,
              updated_at = $7, last_message_at = $8, expires_at = $9, metadata = $10, configuration = $11,
              script_hash = $12, message_count = $13, figures = $14, snapshot_version = $15, snapshot_hash = $16,
              owner = CASE WHEN $5 = 'active' THEN owner END,
              lease_expires_at = CASE WHEN $5 = 'active' THEN lease_expires_at END
            WHERE id = $1
            """, values(record))
    }

    private func values(_ record: SessionRecord) -> [PostgresConnectionBox.Value] {
        [
            .text(record.id), text(record.business), text(record.location), text(record.user), .text(record.status),
            .double(record.createdAt), .double(record.updatedAt), record.lastMessageAt.map { .double($0) } ?? .null,
            record.expiresAt.map { .double($0) } ?? .null, json(record.metadata), .text(JSONWriter.string(record.configuration)),
            .text(record.scriptHash), .int(Int64(record.messageCount)), json(record.figures),
            .int(Int64(record.snapshotVersion)), text(record.snapshotHash),
        ]
    }

    public func updateProgress(_ record: SessionRecord) throws {
        send("""
            UPDATE sessions SET updated_at = $2, last_message_at = $3, message_count = $4, snapshot_version = $5,
              snapshot_hash = $6, expires_at = $7 WHERE id = $1
            """, [
                .text(record.id), .double(record.updatedAt), record.lastMessageAt.map { .double($0) } ?? .null,
                .int(Int64(record.messageCount)), .int(Int64(record.snapshotVersion)), text(record.snapshotHash),
                record.expiresAt.map { .double($0) } ?? .null,
            ])
    }

    public func appendEvents(session: String, _ events: [StoredEvent]) throws {
        guard let first = events.first else { return }
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in events.enumerated() {
            precondition(event.seq == first.seq + index, "events of one record must have consecutive seqs")
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONWriter.write([.string(event.kind), event.payload], into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        send("INSERT INTO events (session_id, first_seq, count, events) VALUES ($1, $2, $3, $4)",
             [.text(session), .int(Int64(first.seq)), .int(Int64(events.count)), .text(String(decoding: bytes, as: UTF8.self))])
    }

    public func upsertMessage(_ message: StoredMessage) throws {
        send("""
            INSERT INTO messages (message_id, session_id, seq, type, content, tokens, timestamp, metadata)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (session_id, seq) DO UPDATE SET content = EXCLUDED.content, tokens = EXCLUDED.tokens,
              metadata = coalesce(EXCLUDED.metadata, messages.metadata)
            """, [
                .text(message.messageID), .text(message.sessionID), .int(Int64(message.seq)), .text(message.type),
                .text(message.content), .int(Int64(message.tokens)), .double(message.timestamp), json(message.metadata),
            ])
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

    public func confirmOwnership(session: String, epoch: Int, owner: String, leaseSeconds: Double) throws {
        // Locks the row until the commit: a takeover waits for it, then finds the lease extended.
        let future = connection.send("""
            UPDATE sessions SET lease_expires_at = \(Self.now) + $3 WHERE id = $1 AND owner = $2 AND epoch = $4 RETURNING id
            """, [.text(session), .text(owner), .double(leaseSeconds), .int(Int64(epoch))])
        pending.append(future)
        confirmations.append((session, future))
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
            let first = try row[0].decode(Int.self), count = try row[1].decode(Int.self)
            guard first == events.count, let array = parse(try row[2].decode(String.self))?.arrayValue, array.count == count else {
                throw PostgresStoreError("session \(session): events from seq \(first) are damaged or missing")
            }
            for (offset, pair) in array.enumerated() {
                guard let parts = pair.arrayValue, parts.count == 2, let kind = parts[0].stringValue else {
                    throw PostgresStoreError("session \(session): event \(first + offset) is damaged")
                }
                events.append(StoredEvent(seq: first + offset, kind: kind, payload: parts[1]))
            }
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
    private func json(_ value: JSONValue?) -> PostgresConnectionBox.Value { value.map { .text(JSONWriter.string($0)) } ?? .null }
    private func parse(_ text: String?) -> JSONValue? { text.flatMap { try? JSONParser.parse($0) } }
}
