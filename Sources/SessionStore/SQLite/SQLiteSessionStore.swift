import CSQLite
import Foundation
import JSONWire

/// The embedded default store: one SQLite file in WAL mode.
///
/// - Durability: `synchronous = FULL` (set after every other pragma): a committed batch survives
///   `kill -9` and, with WAL, a power loss too, on storage that honours fsync. Nothing is answered
///   before its batch commits.
/// - One engine per file: an exclusive `flock` on the database file itself (its inode: a second engine
///   through a symlink or a hard link is refused too) and on `<file>.lock` (what earlier releases
///   lock); a second engine gets a clear error.
/// - A file damaged inside (`PRAGMA quick_check` fails) is refused at open, untouched.
/// - Writes stop when their outcome cannot be known: after an I/O error at `COMMIT` (fsync failures
///   on Linux leave it unknown), and when the file at the path is no longer the open one (checked
///   before every commit); every later `begin` and `commit` throw that refusal (`writesRefused`,
///   `fileReplaced`) until the store is reopened.
/// - Foreign or corrupt files are refused at open and left untouched: an existing file must be an
///   SQLite database whose `application_id` is ours (or a brand-new empty one).
/// - Schema versions live in `user_version`: version n means the first n of `Migration.all` are
///   applied (`StoreSchema` describes the tables).
/// - Every failure is a `StoreError` whose code comes from SQLite's result code and whose message
///   says what was being done.
public final class SQLiteSessionStore: SessionStore {
    /// 'TBG1': marks our databases, so that a foreign SQLite file is never written to.
    public static let applicationID: Int32 = 0x5442_4731
    /// The schema steps, in order (`Migration.all`).
    public static var migrations: [Migration] { Migration.all }

    let database: SQLiteDatabase
    let lockDescriptor: Int32
    /// A descriptor on the database file, `flock`ed: the lock follows the inode, not the name.
    let fileDescriptor: Int32
    /// (st_dev, st_ino) of the open file: compared with `stat(path)` before every commit.
    let fileIdentity: FileIdentity?
    public let path: String
    /// Set once a write's outcome became unknown or the file was replaced: every later batch is refused.
    public private(set) var writeRefusal: StoreError?
    /// Old request answers this batch already deleted (`saveRequest`).
    private var requestsForgotten = ForgottenRequests()

    /// A file's identity: device and inode numbers, the same through every name of it.
    public struct FileIdentity: Equatable, Sendable {
        public var device: UInt64
        public var inode: UInt64
    }

    /// Opens an existing store for reading only, beside a running engine (WAL lets readers in): no
    /// lock, no migration, nothing written. For `tokenbudget sessions …`.
    public init(readingOnly path: String) throws(StoreError) {
        self.path = path
        lockDescriptor = -1
        fileDescriptor = -1
        fileIdentity = nil
        guard FileManager.default.fileExists(atPath: path) else {
            throw StoreError(code: .notFound, message: "no store at \(path)")
        }
        try Self.checkHeader(path)
        let database: SQLiteDatabase
        let identity: (applicationID: Int32, version: Int, tables: Int)
        do {
            database = try SQLiteDatabase(path: path, create: false, readOnly: true)
            identity = try Self.identity(database)
        } catch {
            throw StoreError(code: error.code, message: "\(path) cannot be read (\(error.message))", underlying: error.underlying)
        }
        guard identity.applicationID == Self.applicationID else {
            throw StoreError("\(path) is not a tokenbudget store (application_id \(identity.applicationID))")
        }
        if identity.version > Self.migrations.count {
            throw Migration.newerSchema(path, version: identity.version)
        }
        guard identity.version == Self.migrations.count else {
            throw StoreError(
                code: .unsupportedVersion,
                message: "\(path) has schema version \(identity.version), older than this build's \(Self.migrations.count); "
                    + "`tokenbudget serve --store \(path)` migrates it")
        }
        self.database = database
    }

    /// SQLite's page cache, in MiB, unless `serve --sqlite-cache-mib` says otherwise. The pages of an
    /// ended call stay cached until the cache is full: with 64 MiB, 50,000 ended calls took RSS from
    /// 47.8 to 107.7 MB; with 2 MiB to 51.3 MB (+7 %), at the same serve throughput within noise
    /// (serve_ab.py, 1,000 sessions, 200,000 events: 0.968x, runs overlapping), since the file's
    /// pages are in the OS page cache anyway and a miss costs a pread. (An earlier schema with one
    /// events row per event needed 64 MiB: 100k events took 15 s in pread with 2 MB.)
    public static let defaultCacheMiB = 2

    /// Opens or creates the store.
    ///
    /// - Parameters:
    ///   - maxPageCount: caps the file (pages of 4 KiB) — a testing aid for "disk full".
    ///   - cacheMiB: SQLite's page cache (`serve --sqlite-cache-mib`).
    /// - Throws: `StoreError` naming the file: locked by another engine (`inUse`), not an SQLite
    ///   database or corrupt (`damaged`), another application's (`other`), or written by a newer
    ///   version (`unsupportedVersion`). The file is left as it was.
    public init(path: String, maxPageCount: Int? = nil, cacheMiB: Int = defaultCacheMiB) throws(StoreError) {
        self.path = path
        (database, lockDescriptor, fileDescriptor) = try Self.open(path, maxPageCount: maxPageCount, cacheMiB: cacheMiB)
        fileIdentity = Self.identity(descriptor: fileDescriptor)
    }

    /// The identity of an open file. The corresponding C function is `fstat`.
    static func identity(descriptor: Int32) -> FileIdentity? {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// The identity of the file a path names now (nil when none). The corresponding C function is `stat`.
    static func identity(path: String) -> FileIdentity? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
    }

    /// Locks, checks, configures and migrates the file; on failure unlocks it and changes nothing.
    private static func open(_ path: String, maxPageCount: Int?, cacheMiB: Int) throws(StoreError) -> (SQLiteDatabase, Int32, Int32) {
        let lockPath = path + ".lock"
        let descriptor = Foundation.open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw StoreError(
                code: .io, message: "cannot create the lock file \(lockPath)", underlying: String(cString: strerror(errno)))
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw StoreError(
                code: .inUse,
                message: "\(path) is in use by another tokenbudget engine (lock \(lockPath)); one engine per database file")
        }
        // The lock on `<file>.lock` is by name: a symlink or a hard link to the file has another
        // name, and a second engine through it used to open the same database (and, through a hard
        // link, its own `-wal`). The lock on the database file's own descriptor is by inode.
        let file = Foundation.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard file >= 0 else {
            let reason = String(cString: strerror(errno))
            flock(descriptor, LOCK_UN)
            close(descriptor)
            throw StoreError(code: .io, message: "cannot open \(path)", underlying: reason)
        }
        guard flock(file, LOCK_EX | LOCK_NB) == 0 else {
            close(file)
            flock(descriptor, LOCK_UN)
            close(descriptor)
            throw StoreError(
                code: .inUse,
                message: "\(path) is in use by another tokenbudget engine (the file itself is locked: the other engine may "
                    + "have opened it under another name, a symlink or a hard link); one engine per database file")
        }
        do {
            return (try configure(path, maxPageCount: maxPageCount, cacheMiB: cacheMiB), descriptor, file)
        } catch {
            close(file)
            flock(descriptor, LOCK_UN)
            close(descriptor)
            throw error
        }
    }

    private static func configure(_ path: String, maxPageCount: Int?, cacheMiB: Int) throws(StoreError) -> SQLiteDatabase {
        let exists = FileManager.default.fileExists(atPath: path)
        if exists { try checkHeader(path) }
        /// SQLite's failures here: the file is left as it was.
        func unusable(_ error: StoreError) -> StoreError {
            StoreError(
                code: error.code, message: "\(path) cannot be used (\(error.message)); the file was not changed",
                underlying: error.underlying)
        }
        let database: SQLiteDatabase
        let identity: (applicationID: Int32, version: Int, tables: Int)
        do {
            database = try SQLiteDatabase(path: path, create: !exists)
            try database.execute("PRAGMA foreign_keys = ON")
            identity = try Self.identity(database)
        } catch {
            throw unusable(error)
        }
        if exists && identity.applicationID != applicationID && !(identity.applicationID == 0 && identity.tables == 0) {
            throw StoreError("\(path) is an SQLite database of another application (application_id \(identity.applicationID)); refusing to touch it")
        }
        guard identity.version <= migrations.count else { throw Migration.newerSchema(path, version: identity.version) }
        if identity.tables > 0 { try quickCheck(database, path) }
        do throws(StoreError) {
            try database.execute("PRAGMA journal_mode = WAL")
            // See `defaultCacheMiB`.
            try database.execute("PRAGMA cache_size = -\(cacheMiB * 1024)")
            // Checkpoint every ~16 MiB of WAL rather than every 4 MiB: fewer stalls under load.
            try database.execute("PRAGMA wal_autocheckpoint = 4000")
            if let maxPageCount { try database.execute("PRAGMA max_page_count = \(maxPageCount)") }
            // Last: nothing after this may reset it (GRDB's pools do, after prepareDatabase).
            try database.execute("PRAGMA synchronous = FULL")
            if identity.version < migrations.count {
                try database.execute("BEGIN IMMEDIATE")
                do throws(StoreError) {
                    for (index, migration) in migrations.enumerated() where index >= identity.version {
                        try StoreError.during("applying migration \(index + 1) \"\(migration.name)\"") {
                            try database.execute(migration.sql(.sqlite))
                        }
                    }
                    try database.execute("PRAGMA application_id = \(applicationID)")
                    try database.execute("PRAGMA user_version = \(migrations.count)")
                    try database.execute("COMMIT")
                } catch {
                    try? database.execute("ROLLBACK")
                    throw error
                }
            }
        } catch {
            throw unusable(error)
        }
        return database
    }

    deinit {
        guard lockDescriptor >= 0 else { return }
        // SQLite first: closing our descriptor on the file drops this process's POSIX locks on it.
        database.close()
        close(fileDescriptor)
        flock(lockDescriptor, LOCK_UN)
        close(lockDescriptor)
    }

    /// `PRAGMA quick_check` (O(N) in the file's pages, unlike `integrity_check` it does not match
    /// indexes to their tables): a damaged file is refused at start rather than answering `-32603`
    /// for every session it touches. A 144 MB store (1,000 sessions, 100k turns) starts 0.36–0.41 s
    /// later than without it, its file in the page cache, on the shared 2-core machine (about 0.25 s
    /// per 100 MB; docs/storage.md).
    static func quickCheck(_ database: SQLiteDatabase, _ path: String) throws(StoreError) {
        let problems: [String]
        do {
            problems = try database.statement("PRAGMA quick_check(10)").rows { try $0.text("quick_check") ?? "?" }
        } catch {
            throw StoreError(
                code: .damaged,
                message: "\(path) is damaged: PRAGMA quick_check failed (\(error)); refusing it, the file was not changed")
        }
        guard problems != ["ok"] else { return }
        throw StoreError(
            code: .damaged,
            message: "\(path) is damaged: PRAGMA quick_check reports \(problems.count == 10 ? "10 or more problems" : "\(problems.count) problem(s)"), the first: \(problems.first ?? "?"); refusing it, the file was not changed")
    }

    /// Refuses anything that is not an SQLite file before SQLite touches it.
    static func checkHeader(_ path: String) throws(StoreError) {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError(code: .io, message: "cannot read \(path)")
        }
        defer { try? handle.close() }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        if header.isEmpty { return }  // an empty file: SQLite will initialize it
        guard header == Data("SQLite format 3\0".utf8) else {
            throw StoreError(code: .damaged, message: "\(path) is not an SQLite database (corrupt or foreign file); refusing to touch it")
        }
    }

    static func identity(_ database: SQLiteDatabase) throws(StoreError) -> (applicationID: Int32, version: Int, tables: Int) {
        try StoreError.during("reading the store's identity") {
            var applicationID: Int32 = 0, version = 0, tables = 0
            try database.statement("PRAGMA application_id").forEachRow {
                applicationID = Int32(truncatingIfNeeded: try $0.int("application_id") ?? 0)
            }
            try database.statement("PRAGMA user_version").forEachRow { version = Int(try $0.int("user_version") ?? 0) }
            try database.statement("SELECT count(*) AS tables FROM sqlite_master").forEachRow { tables = Int(try $0.int("tables") ?? 0) }
            return (applicationID, version, tables)
        }
    }

    // MARK: - Batches

    public func begin() throws {
        if let writeRefusal { throw writeRefusal }
        requestsForgotten.removeAll()
        try StoreError.during("starting a batch on \(path)") { try database.execute("BEGIN IMMEDIATE") }
    }

    /// Commits, after checking that the file at the path is still the one open (one `stat`: 6–7 µs
    /// for a 4-component path on the shared 2-core machine, against a commit's fsync of ~0.3–4 ms;
    /// O(1) per batch, not per event). An I/O error from `COMMIT` leaves its outcome unknown —
    /// the WAL frames may be on disk although the fsync failed, and they come back after a restart —
    /// so it throws `io` and every later batch is refused (`writesRefused`) until the store is reopened.
    public func commit() throws {
        if let writeRefusal { throw writeRefusal }
        if let fileIdentity, Self.identity(path: path) != fileIdentity {
            let refusal = StoreError(
                code: .fileReplaced,
                message: "\(path) is no longer the file this engine opened (deleted, moved or replaced): this batch was not "
                    + "stored and no write will be until the engine restarts on the file")
            writeRefusal = refusal
            throw refusal
        }
        do throws(StoreError) {
            try database.execute("COMMIT")
        } catch {
            let error = error.doing("committing a batch to \(path)")
            guard error.code == .io else { throw error }
            writeRefusal = StoreError(
                code: .writesRefused,
                message: "\(path) refuses writes: a commit failed with an I/O error and its outcome is unknown (\(error.message)); "
                    + "restart the engine on the file (it checks it at start) and retry with the same requestId",
                underlying: error.underlying)
            throw error
        }
    }

    public func rollback() { try? database.execute("ROLLBACK") }

    /// A deferred transaction: its snapshot is taken at the first read and writers go on meanwhile
    /// (WAL). Inside a batch or another read, `BEGIN` fails (SQLite nests no transactions).
    public func readingConsistently<T>(_ body: () throws -> T) throws -> T {
        try StoreError.during("starting a read on \(path)") { try database.execute("BEGIN DEFERRED") }
        let result: T
        do { result = try body() } catch {
            try? database.execute("ROLLBACK")
            throw error
        }
        // The reads are done, and were of one state: a read that fails to end is rolled back, not
        // reported (an export already written is whole), and the connection stays usable.
        if (try? database.execute("COMMIT")) == nil { try? database.execute("ROLLBACK") }
        return result
    }

    // MARK: - Writes

    public func saveScript(hash: String, encoding: String, text: String, tokens: Int) throws {
        try StoreError.during("saving script \(hash)") {
            try database.statement(Self.insertScript)
                .bind([.text(hash), .text(encoding), .text(text), .int(Int64(tokens))]).run()
        }
    }

    public func script(hash: String) throws -> String? {
        try StoreError.during("reading script \(hash)") {
            try database.statement("SELECT text FROM scripts WHERE hash = ?1").bind([.text(hash)])
                .rows { try $0.text("text") }.first ?? nil
        }
    }

    // Statements rendered once from the schema description.
    static let insertScript = StoreSchema.scripts.insertKeeping(.sqlite, key: ["hash"])
    static let insertEvents = StoreSchema.events.insert(.sqlite, columns: Array(StoreSchema.events.columns.dropFirst()))
    static let upsertResume = StoreSchema.resume.upsert(.sqlite, key: ["session_id"])
    static let selectResume = StoreSchema.resume.select()
    static let insertSession = StoreSchema.sessions.insertKeeping(.sqlite, key: ["id"], columns: SessionRecord.columns)
    static let updateSession = StoreSchema.sessions.update(.sqlite, columns: SessionRecord.columns)
    static let selectSessions = SessionRecord.selectAll

    /// Session ids are never reused: an id that exists, in any status, is a `conflict` and nothing
    /// changes (`INSERT OR REPLACE` used to overwrite a closed session's record while its old events
    /// stayed, to be replayed into the new one).
    public func createSession(_ record: SessionRecord) throws {
        try StoreError.during("creating session \"\(record.id)\"") {
            try database.statement(Self.insertSession).bind(record.columnValues).run()
            guard database.changes == 0 else { return }
            let status = try database.statement("SELECT status FROM sessions WHERE id = ?1").bind([.text(record.id)])
                .rows { try $0.text("status") }.first ?? nil
            throw StoreError(
                code: .conflict,
                message: "the id exists (status \(status ?? "?")); session ids are never reused, nothing was changed")
        }
    }

    public func updateSession(_ record: SessionRecord) throws {
        try StoreError.during("updating session \"\(record.id)\"") {
            try database.statement(Self.updateSession).bind(record.columnValues).run()
        }
    }

    public func updateProgress(_ record: SessionRecord) throws {
        try StoreError.during("updating the counters of session \"\(record.id)\"") {
            try database.statement("""
                UPDATE sessions SET updated_at = ?2, last_message_at = ?3, message_count = ?4, snapshot_version = ?5,
                  snapshot_hash = ?6, expires_at = ?7 WHERE id = ?1
                """).bind([
                    .text(record.id), .double(record.updatedAt), StoreValue(record.lastMessageAt),
                    .int(Int64(record.messageCount)), .int(Int64(record.snapshotVersion)), StoreValue(record.snapshotHash),
                    StoreValue(record.expiresAt),
                ]).run()
        }
    }

    public func appendEvents(session: String, _ events: [StoredEvent]) throws {
        guard let first = events.first else { return }
        try StoreError.during("appending events \(first.seq)…\(first.seq + events.count - 1) of session \"\(session)\"") {
            try database.statement(Self.insertEvents)
                .bind([.text(session), .int(Int64(first.seq)), .int(Int64(events.count)), .text(StoredEvent.recordText(events))])
                .run()
        }
    }

    static let upsertMessage = StoreSchema.messages.insert(.sqlite, columns: StoredMessage.columns) + """
         ON CONFLICT (session_id, seq) DO UPDATE SET content = excluded.content, tokens = excluded.tokens,
          metadata = coalesce(excluded.metadata, messages.metadata)
        """

    public func upsertMessage(_ message: StoredMessage) throws {
        try StoreError.during("storing message \(message.messageID)") {
            try database.statement(Self.upsertMessage).bind(message.columnValues).run()
        }
    }

    public func saveResume(session: String, _ state: ResumeState) throws {
        try StoreError.during("saving the resume state of session \"\(session)\"") {
            try database.statement(Self.upsertResume).bind([
                .text(session), StoreValue(state.handle), .int(state.resumable ? 1 : 0), .double(state.updatedAt),
                .int(Int64(state.attempts)),
            ]).run()
        }
    }

    static let upsertRequest = StoreSchema.requests.upsert(
        .sqlite, key: ["session_id", "request_id"], columns: Array(StoreSchema.requests.columns.dropFirst()))

    public func saveRequest(session: String, _ request: StoredRequest, keep: Int) throws {
        let forgets = requestsForgotten.forget(session, through: request.seq - keep)
        try StoreError.during("keeping the answer of request \"\(request.requestID)\" of session \"\(session)\"") {
            try database.statement(Self.upsertRequest)
                .bind([.text(session), .text(request.requestID), .int(Int64(request.seq)), .text(request.answer)]).run()
            if forgets {
                try database.statement("DELETE FROM requests WHERE session_id = ?1 AND seq <= ?2")
                    .bind([.text(session), .int(Int64(request.seq - keep))]).run()
            }
        }
    }

    // MARK: - Reads

    public func requests(session: String) throws -> [StoredRequest] {
        try StoreError.during("reading the kept answers of session \"\(session)\"") {
            try database.statement("SELECT request_id, seq, answer FROM requests WHERE session_id = ?1 ORDER BY seq")
                .bind([.text(session)]).rows {
                    StoredRequest(requestID: try $0.requiredText("request_id"), seq: try $0.requiredInt("seq"),
                                  answer: try $0.requiredText("answer"))
                }
        }
    }

    public func session(id: String) throws -> SessionRecord? {
        try StoreError.during("reading session \"\(id)\"") {
            try database.statement(Self.selectSessions + " WHERE id = ?1").bind([.text(id)]).rows(SessionRecord.init(row:)).first
        }
    }

    public func events(session: String, from: Int) throws -> [StoredEvent] {
        try StoreError.during("reading the events of session \"\(session)\" from seq \(from)") {
            var events = [StoredEvent]()
            try database.statement(StoredEvent.selectRecords(.sqlite)).bind([.text(session), .int(Int64(from))]).forEachRow { row in
                try StoredEvent.appendRecord(
                    try row.text("events"), first: try row.requiredInt("first_seq"), count: try row.requiredInt("count"),
                    session: session, from: from, to: &events)
            }
            return events
        }
    }

    static let upsertCheckpoint = StoreSchema.checkpoints.upsert(.sqlite, key: ["session_id"])

    public func saveCheckpoint(session: String, _ checkpoint: StoredCheckpoint) throws {
        try StoreError.during("saving a checkpoint of session \"\(session)\" at event \(checkpoint.seq)") {
            try database.statement(Self.upsertCheckpoint)
                .bind([.text(session), .int(Int64(checkpoint.seq)), .text(checkpoint.state)]).run()
        }
    }

    public func checkpoint(session: String) throws -> StoredCheckpoint? {
        try StoreError.during("reading the checkpoint of session \"\(session)\"") {
            try database.statement("SELECT seq, state FROM checkpoints WHERE session_id = ?1").bind([.text(session)]).rows {
                StoredCheckpoint(seq: try $0.requiredInt("seq"), state: try $0.requiredText("state"))
            }.first
        }
    }

    public func messages(session: String, limit: Int) throws -> [StoredMessage] {
        try StoreError.during("reading the messages of session \"\(session)\"") {
            try database.statement("""
                \(StoreSchema.messages.select(columns: StoredMessage.columns)) WHERE session_id = ?1 ORDER BY seq LIMIT ?2
                """).bind([.text(session), .int(Int64(limit))]).rows(StoredMessage.init(row:))
        }
    }

    public func messages(session: String, after: Int, limit: Int) throws -> [StoredMessage] {
        try StoreError.during("reading the messages of session \"\(session)\" after seq \(after)") {
            try database.statement("""
                \(StoreSchema.messages.select(columns: StoredMessage.columns)) WHERE session_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3
                """).bind([.text(session), .int(Int64(after)), .int(Int64(limit))]).rows(StoredMessage.init(row:))
        }
    }

    public func activeSession(business: String?, user: String?) throws -> SessionRecord? {
        try StoreError.during("finding the active session of business \(business ?? "-"), user \(user ?? "-")") {
            try database.statement("""
                \(Self.selectSessions) WHERE status = 'active' AND business_id IS ?1 AND user_id IS ?2
                ORDER BY created_at DESC LIMIT 1
                """).bind([StoreValue(business), StoreValue(user)]).rows(SessionRecord.init(row:)).first
        }
    }

    public func history(business: String?, user: String?, limit: Int) throws -> [SessionRecord] {
        try StoreError.during("reading the history of business \(business ?? "-"), user \(user ?? "-")") {
            try database.statement("""
                \(Self.selectSessions) WHERE business_id IS ?1 AND user_id IS ?2 ORDER BY created_at DESC, id DESC LIMIT ?3
                """).bind([StoreValue(business), StoreValue(user), .int(Int64(limit))]).rows(SessionRecord.init(row:))
        }
    }

    public func statistics() throws -> [StatusStatistics] {
        try StoreError.during("computing the statistics") {
            try database.statement(StatusStatistics.sql).rows(StatusStatistics.init(row:))
        }
    }

    public func resume(session: String) throws -> ResumeState? {
        try StoreError.during("reading the resume state of session \"\(session)\"") {
            try database.statement(Self.selectResume + " WHERE session_id = ?1")
                .bind([.text(session)]).rows(ResumeState.init(row:)).first
        }
    }

    public func activeSessionIDs() throws -> [String] {
        try StoreError.during("listing the active sessions") {
            try database.statement("SELECT id FROM sessions WHERE status = 'active' ORDER BY id").rows { try $0.requiredText("id") }
        }
    }
}
