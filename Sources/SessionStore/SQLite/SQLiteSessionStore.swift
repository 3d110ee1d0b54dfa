import CSQLite
import Foundation
import JSONWire

/// The embedded default store: one SQLite file in WAL mode.
///
/// - Durability: `synchronous = FULL` (set after every other pragma): a committed batch survives
///   `kill -9` and, with WAL, a power loss too, on storage that honours fsync. Nothing is answered
///   before its batch commits.
/// - One engine per file: an exclusive `flock` on `<file>.lock`; a second engine gets a clear error.
/// - Foreign or corrupt files are refused at open and left untouched: an existing file must be an
///   SQLite database whose `application_id` is ours (or a brand-new empty one).
/// - Schema versions live in `user_version`; `migrations[i]` takes the schema from version i to i + 1.
public final class SQLiteSessionStore: SessionStore {
    /// 'TBG1': marks our databases, so that a foreign SQLite file is never written to.
    public static let applicationID: Int32 = 0x5442_4731
    static let migrations: [String] = [
        """
        CREATE TABLE scripts (hash TEXT PRIMARY KEY, encoding TEXT NOT NULL, text TEXT NOT NULL, tokens INTEGER NOT NULL);
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY, business_id TEXT, location_id TEXT, user_id TEXT,
            status TEXT NOT NULL CHECK (status IN ('active','closed','resolved','abandoned')),
            created_at REAL NOT NULL, updated_at REAL NOT NULL, last_message_at REAL, expires_at REAL,
            metadata TEXT, configuration TEXT NOT NULL, script_hash TEXT NOT NULL REFERENCES scripts(hash),
            message_count INTEGER NOT NULL DEFAULT 0, figures TEXT,
            snapshot_version INTEGER NOT NULL DEFAULT 0, snapshot_hash TEXT);
        CREATE INDEX sessions_by_owner ON sessions (business_id, user_id, created_at);
        CREATE INDEX sessions_by_status ON sessions (status);
        -- Rowid tables: rows are appended in arrival order, and only the small indexes take the
        -- interleaving of 1,000 sessions. Keyed by (session, seq) directly, 100k events took 15 s.
        -- One events row holds a session's events of one batch (`events`: a JSON array of
        -- [kind, payload], seqs first_seq ..< first_seq + count): a batch of ~5,000 events over
        -- 1,000 sessions then touches ~1,000 index entries, not ~5,000.
        CREATE TABLE events (
            id INTEGER PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id), first_seq INTEGER NOT NULL,
            count INTEGER NOT NULL, events TEXT NOT NULL);
        CREATE UNIQUE INDEX events_by_session ON events (session_id, first_seq);
        CREATE TABLE messages (
            id INTEGER PRIMARY KEY, message_id TEXT NOT NULL, session_id TEXT NOT NULL REFERENCES sessions(id),
            seq INTEGER NOT NULL, type TEXT NOT NULL CHECK (type IN ('user','model','instruction','system')),
            content TEXT NOT NULL, tokens INTEGER NOT NULL, timestamp REAL NOT NULL, metadata TEXT);
        -- A message id is `<session>/<item>` and maps 1:1 to (session, seq), so this one index also
        -- keeps ids unique; a second one on message_id cost ~15 % of serve's store throughput.
        CREATE UNIQUE INDEX messages_by_session ON messages (session_id, seq);
        CREATE TABLE resume (
            session_id TEXT PRIMARY KEY REFERENCES sessions(id), handle TEXT, resumable INTEGER NOT NULL,
            updated_at REAL NOT NULL, attempts INTEGER NOT NULL);
        """,
    ]

    let database: SQLiteDatabase
    let lockDescriptor: Int32
    public let path: String

    /// Opens an existing store for reading only, beside a running engine (WAL lets readers in): no
    /// lock, no migration, nothing written. For `tokenbudget sessions …`.
    public init(readingOnly path: String) throws {
        self.path = path
        lockDescriptor = -1
        guard FileManager.default.fileExists(atPath: path) else { throw StoreError("no store at \(path)") }
        try SQLiteSessionStore.checkHeader(path)
        do {
            database = try SQLiteDatabase(path: path, create: false, readOnly: true)
            let (applicationID, version, _) = try SQLiteSessionStore.identity(database)
            guard applicationID == SQLiteSessionStore.applicationID else {
                throw StoreError("\(path) is not a tokenbudget store (application_id \(applicationID))")
            }
            guard version == SQLiteSessionStore.migrations.count else {
                throw StoreError("\(path) has schema version \(version); this build reads \(SQLiteSessionStore.migrations.count)")
            }
        } catch let error as SQLiteError {
            throw StoreError("\(path) cannot be read: \(error.message)")
        }
    }

    /// Opens or creates the store.
    ///
    /// - Parameter maxPageCount: caps the file (pages of 4 KiB) — a testing aid for "disk full".
    /// - Throws: `StoreError` naming the file: locked by another engine, not a tokenbudget database,
    ///   corrupt, or written by a newer version.
    public init(path: String, maxPageCount: Int? = nil) throws {
        self.path = path
        let lockPath = path + ".lock"
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StoreError("cannot create the lock file \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StoreError("\(path) is in use by another tokenbudget engine (lock \(lockPath)); one engine per database file")
        }
        lockDescriptor = descriptor
        let exists = FileManager.default.fileExists(atPath: path)
        do {
            if exists { try SQLiteSessionStore.checkHeader(path) }
            database = try SQLiteDatabase(path: path, create: !exists)
            try database.execute("PRAGMA foreign_keys = ON")
            let (applicationID, version, tables) = try SQLiteSessionStore.identity(database)
            if exists && applicationID != SQLiteSessionStore.applicationID && !(applicationID == 0 && tables == 0) {
                throw StoreError("\(path) is an SQLite database of another application (application_id \(applicationID)); refusing to touch it")
            }
            guard version <= SQLiteSessionStore.migrations.count else {
                throw StoreError("\(path) has schema version \(version), newer than this build knows (\(SQLiteSessionStore.migrations.count))")
            }
            try database.execute("PRAGMA journal_mode = WAL")
            // The default 2 MB page cache made every batch re-read index pages once the file grew
            // past it (100k events: 15 s, most of it in pread); 64 MiB keeps the hot pages in memory.
            try database.execute("PRAGMA cache_size = -65536")
            // Checkpoint every ~16 MiB of WAL rather than every 4 MiB: fewer stalls under load.
            try database.execute("PRAGMA wal_autocheckpoint = 4000")
            if let maxPageCount { try database.execute("PRAGMA max_page_count = \(maxPageCount)") }
            // Last: nothing after this may reset it (GRDB's pools do, after prepareDatabase).
            try database.execute("PRAGMA synchronous = FULL")
            if version < SQLiteSessionStore.migrations.count {
                try database.execute("BEGIN IMMEDIATE")
                for migration in SQLiteSessionStore.migrations[version...] { try database.execute(migration) }
                try database.execute("PRAGMA application_id = \(SQLiteSessionStore.applicationID)")
                try database.execute("PRAGMA user_version = \(SQLiteSessionStore.migrations.count)")
                try database.execute("COMMIT")
            }
        } catch let error as SQLiteError {
            flock(descriptor, LOCK_UN)
            close(descriptor)
            throw StoreError("\(path) cannot be used: \(error.message); the file was not changed")
        } catch {
            flock(descriptor, LOCK_UN)
            close(descriptor)
            throw error
        }
    }

    deinit {
        guard lockDescriptor >= 0 else { return }
        flock(lockDescriptor, LOCK_UN)
        close(lockDescriptor)
    }

    /// Refuses anything that is not an SQLite file before SQLite touches it.
    static func checkHeader(_ path: String) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError("cannot read \(path)") }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }  // an empty file: SQLite will initialize it
        guard header == Data("SQLite format 3\0".utf8) else {
            throw StoreError("\(path) is not an SQLite database (corrupt or foreign file); refusing to touch it")
        }
    }

    static func identity(_ database: SQLiteDatabase) throws -> (Int32, Int, Int) {
        var applicationID: Int32 = 0, version = 0, tables = 0
        try database.statement("PRAGMA application_id").forEachRow { applicationID = Int32(truncatingIfNeeded: $0.int(0)) }
        try database.statement("PRAGMA user_version").forEachRow { version = Int($0.int(0)) }
        try database.statement("SELECT count(*) FROM sqlite_master").forEachRow { tables = Int($0.int(0)) }
        return (applicationID, version, tables)
    }

    // MARK: - Batches

    public func begin() throws { try database.execute("BEGIN IMMEDIATE") }
    public func commit() throws { try database.execute("COMMIT") }
    public func rollback() { try? database.execute("ROLLBACK") }

    // MARK: - Writes

    public func saveScript(hash: String, encoding: String, text: String, tokens: Int) throws {
        try database.statement("INSERT OR IGNORE INTO scripts (hash, encoding, text, tokens) VALUES (?, ?, ?, ?)")
            .bind([.text(hash), .text(encoding), .text(text), .int(Int64(tokens))]).run()
    }

    public func script(hash: String) throws -> String? {
        var text: String?
        try database.statement("SELECT text FROM scripts WHERE hash = ?").bind([.text(hash)]).forEachRow { text = $0.text(0) }
        return text
    }

    public func createSession(_ record: SessionRecord) throws {
        try database.statement("""
            INSERT OR REPLACE INTO sessions (id, business_id, location_id, user_id, status, created_at, updated_at,
              last_message_at, expires_at, metadata, configuration, script_hash, message_count, figures,
              snapshot_version, snapshot_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """).bind(record.columnValues).run()
    }

    public func updateSession(_ record: SessionRecord) throws {
        try database.statement("""
            UPDATE sessions SET business_id = ?2, location_id = ?3, user_id = ?4, status = ?5, created_at = ?6,
              updated_at = ?7, last_message_at = ?8, expires_at = ?9, metadata = ?10, configuration = ?11,
              script_hash = ?12, message_count = ?13, figures = ?14, snapshot_version = ?15, snapshot_hash = ?16
            WHERE id = ?1
            """).bind(record.columnValues).run()
    }

    public func updateProgress(_ record: SessionRecord) throws {
        try database.statement("""
            UPDATE sessions SET updated_at = ?2, last_message_at = ?3, message_count = ?4, snapshot_version = ?5,
              snapshot_hash = ?6, expires_at = ?7 WHERE id = ?1
            """).bind([
                .text(record.id), .double(record.updatedAt), record.lastMessageAt.map { .double($0) } ?? .null,
                .int(Int64(record.messageCount)), .int(Int64(record.snapshotVersion)), text(record.snapshotHash),
                record.expiresAt.map { .double($0) } ?? .null,
            ]).run()
    }

    public func appendEvents(session: String, _ events: [StoredEvent]) throws {
        guard let first = events.first else { return }
        try database.statement("INSERT INTO events (session_id, first_seq, count, events) VALUES (?, ?, ?, ?)")
            .bind([.text(session), .int(Int64(first.seq)), .int(Int64(events.count)), .text(StoredEvent.recordText(events))])
            .run()
    }

    public func upsertMessage(_ message: StoredMessage) throws {
        try database.statement("""
            INSERT INTO messages (message_id, session_id, seq, type, content, tokens, timestamp, metadata)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (session_id, seq) DO UPDATE SET content = excluded.content, tokens = excluded.tokens,
              metadata = coalesce(excluded.metadata, messages.metadata)
            """).bind([
                .text(message.messageID), .text(message.sessionID), .int(Int64(message.seq)), .text(message.type),
                .text(message.content), .int(Int64(message.tokens)), .double(message.timestamp), json(message.metadata),
            ]).run()
    }

    public func saveResume(session: String, _ state: ResumeState) throws {
        try database.statement("""
            INSERT OR REPLACE INTO resume (session_id, handle, resumable, updated_at, attempts) VALUES (?, ?, ?, ?, ?)
            """).bind([.text(session), text(state.handle), .int(state.resumable ? 1 : 0), .double(state.updatedAt),
                       .int(Int64(state.attempts))]).run()
    }

    // MARK: - Reads

    static let sessionColumns = """
        id, business_id, location_id, user_id, status, created_at, updated_at, last_message_at, expires_at, metadata,
        configuration, script_hash, message_count, figures, snapshot_version, snapshot_hash
        """

    private func record(_ row: SQLiteRow) -> SessionRecord {
        var record = SessionRecord(
            id: row.text(0) ?? "", business: row.text(1), location: row.text(2), user: row.text(3),
            status: row.text(4) ?? "active", createdAt: row.double(5), metadata: parse(row.text(9)),
            configuration: parse(row.text(10)) ?? .null, scriptHash: row.text(11) ?? "")
        record.updatedAt = row.double(6)
        record.lastMessageAt = row.isNull(7) ? nil : row.double(7)
        record.expiresAt = row.isNull(8) ? nil : row.double(8)
        record.messageCount = Int(row.int(12))
        record.figures = parse(row.text(13))
        record.snapshotVersion = Int(row.int(14))
        record.snapshotHash = row.text(15)
        return record
    }

    public func session(id: String) throws -> SessionRecord? {
        var found: SessionRecord?
        try database.statement("SELECT \(Self.sessionColumns) FROM sessions WHERE id = ?").bind([.text(id)])
            .forEachRow { found = record($0) }
        return found
    }

    public func events(session: String) throws -> [StoredEvent] {
        var events = [StoredEvent]()
        var failure: Error?
        try database.statement("SELECT first_seq, count, events FROM events WHERE session_id = ? ORDER BY first_seq")
            .bind([.text(session)]).forEachRow { row in
                guard failure == nil else { return }
                do {
                    try StoredEvent.appendRecord(row.text(2), first: Int(row.int(0)), count: Int(row.int(1)), session: session, to: &events)
                } catch {
                    failure = error
                }
            }
        if let failure { throw failure }
        return events
    }

    public func messages(session: String, limit: Int) throws -> [StoredMessage] {
        var messages = [StoredMessage]()
        try database.statement("""
            SELECT message_id, session_id, seq, type, content, tokens, timestamp, metadata FROM messages
            WHERE session_id = ? ORDER BY seq LIMIT ?
            """).bind([.text(session), .int(Int64(limit))]).forEachRow {
                messages.append(StoredMessage(
                    messageID: $0.text(0) ?? "", sessionID: $0.text(1) ?? "", seq: Int($0.int(2)), type: $0.text(3) ?? "",
                    content: $0.text(4) ?? "", tokens: Int($0.int(5)), timestamp: $0.double(6), metadata: parse($0.text(7))))
            }
        return messages
    }

    public func activeSession(business: String?, user: String?) throws -> SessionRecord? {
        var found: SessionRecord?
        try database.statement("""
            SELECT \(Self.sessionColumns) FROM sessions WHERE status = 'active' AND business_id IS ? AND user_id IS ?
            ORDER BY created_at DESC LIMIT 1
            """).bind([text(business), text(user)]).forEachRow { found = record($0) }
        return found
    }

    public func history(business: String?, user: String?, limit: Int) throws -> [SessionRecord] {
        var records = [SessionRecord]()
        try database.statement("""
            SELECT \(Self.sessionColumns) FROM sessions WHERE business_id IS ? AND user_id IS ?
            ORDER BY created_at DESC, id DESC LIMIT ?
            """).bind([text(business), text(user), .int(Int64(limit))]).forEachRow { records.append(record($0)) }
        return records
    }

    public func statistics() throws -> [StatusStatistics] {
        var statistics = [StatusStatistics]()
        try database.statement("""
            SELECT status, count(*), avg(coalesce(last_message_at, updated_at) - created_at), avg(message_count)
            FROM sessions GROUP BY status ORDER BY status
            """).forEachRow {
                statistics.append(StatusStatistics(
                    status: $0.text(0) ?? "", count: Int($0.int(1)), averageDurationSeconds: $0.double(2),
                    averageMessages: $0.double(3)))
            }
        return statistics
    }

    public func resume(session: String) throws -> ResumeState? {
        var state: ResumeState?
        try database.statement("SELECT handle, resumable, updated_at, attempts FROM resume WHERE session_id = ?")
            .bind([.text(session)]).forEachRow {
                state = ResumeState(handle: $0.text(0), resumable: $0.int(1) != 0, updatedAt: $0.double(2), attempts: Int($0.int(3)))
            }
        return state
    }

    public func activeSessionIDs() throws -> [String] {
        var ids = [String]()
        try database.statement("SELECT id FROM sessions WHERE status = 'active' ORDER BY id").forEachRow {
            if let id = $0.text(0) { ids.append(id) }
        }
        return ids
    }

    // MARK: - Helpers

    private func text(_ value: String?) -> SQLiteStatement.Value { value.map { .text($0) } ?? .null }
    private func json(_ value: JSONValue?) -> SQLiteStatement.Value { value.map { .text(JSONWriter.string($0)) } ?? .null }
    private func parse(_ text: String?) -> JSONValue? { text.flatMap { try? JSONParser.parse($0) } }
}

/// A store failure a person can act on.

