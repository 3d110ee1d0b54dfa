import Foundation
import SessionStore
import Testing

/// The shared schema description renders exactly the version-1 schema the first release wrote, in
/// both dialects; the migrations are named and the version on disk keeps its meaning.
@Suite struct SchemaTests {
    /// Schema version 1 as the release at 4628414 wrote it for SQLite (its `migrations[0]`): the oracle.
    static let sqliteV1 = """
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
        """

    /// Schema version 1 as the same release wrote it for PostgreSQL.
    static let postgresV1 = """
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
        """

    /// Migration 2 ("request-answers-v2"): the kept answers of keyed requests (`requestId`).
    static let sqliteV2 = """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id), request_id TEXT NOT NULL,
            seq INTEGER NOT NULL, answer TEXT NOT NULL);
        CREATE UNIQUE INDEX requests_by_session ON requests (session_id, request_id);
        """
    static let postgresV2 = """
        CREATE TABLE requests (
            id BIGSERIAL PRIMARY KEY, session_id TEXT NOT NULL REFERENCES sessions(id), request_id TEXT NOT NULL,
            seq INTEGER NOT NULL, answer TEXT NOT NULL);
        CREATE UNIQUE INDEX requests_by_session ON requests (session_id, request_id);
        """

    static let sqliteV3 = """
        CREATE TABLE checkpoints (session_id TEXT PRIMARY KEY REFERENCES sessions(id), seq INTEGER NOT NULL, state TEXT NOT NULL);
        """
    static let postgresV3 = """
        CREATE TABLE checkpoints (session_id TEXT PRIMARY KEY REFERENCES sessions(id), seq BIGINT NOT NULL, state TEXT NOT NULL);
        """

    @Test func renderedDDLOfMigration3InBothDialects() {
        #expect(normalizedSQL(Migration.all[2].sql(.sqlite)) == normalizedSQL(Self.sqliteV3))
        #expect(normalizedSQL(Migration.all[2].sql(.postgres)) == normalizedSQL(Self.postgresV3))
    }

    @Test func renderedDDLOfMigration2InBothDialects() {
        #expect(normalizedSQL(Migration.all[1].sql(.sqlite)) == normalizedSQL(Self.sqliteV2))
        #expect(normalizedSQL(Migration.all[1].sql(.postgres)) == normalizedSQL(Self.postgresV2))
    }

    @Test func renderedDDLEqualsVersion1InBothDialects() {
        #expect(normalizedSQL(Migration.all[0].sql(.sqlite)) == normalizedSQL(Self.sqliteV1))
        #expect(normalizedSQL(Migration.all[0].sql(.postgres)) == normalizedSQL(Self.postgresV1))
    }

    /// What SQLite itself records: a fresh store and a file made from the literal v1, v2 and v3 texts
    /// have the same tables, columns (type, NOT NULL, default, key), foreign keys and indexes.
    @Test func freshStoreHasTheSameSchemaAsVersions1To3() throws {
        let fresh = try TemporaryStore(), literal = try TemporaryStore()
        _ = try SQLiteSessionStore(path: fresh.path)
        do {
            let database = try SQLiteDatabase(path: literal.path, create: true)
            try database.execute(Self.sqliteV1)
            try database.execute(Self.sqliteV2)
            try database.execute(Self.sqliteV3)
        }
        let expected = try Self.describe(literal.path), actual = try Self.describe(fresh.path)
        #expect(actual == expected)
        #expect(expected.count > 30)
    }

    /// sqlite_master (normalized text) and the PRAGMAs of every table and index, as lines.
    static func describe(_ path: String) throws -> [String] {
        let database = try SQLiteDatabase(path: path, create: false, readOnly: true)
        var lines: [String] = []
        var tables: [String] = []
        try database.statement("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").forEachRow { row in
            let type = try row.text("type") ?? "", name = try row.text("name") ?? ""
            lines.append("\(type) \(name) on \(try row.text("tbl_name") ?? ""): \(normalizedSQL(try row.text("sql") ?? ""))")
            if type == "table" { tables.append(name) }
        }
        for table in tables {
            try database.statement("SELECT * FROM pragma_table_info('\(table)')").forEachRow { row in
                lines.append("\(table).\(try row.text("name") ?? "") \(try row.text("type") ?? "") notnull=\(try row.int("notnull") ?? -1) default=\(try row.text("dflt_value") ?? "-") pk=\(try row.int("pk") ?? -1)")
            }
            try database.statement("SELECT * FROM pragma_foreign_key_list('\(table)')").forEachRow { row in
                lines.append("\(table).\(try row.text("from") ?? "") -> \(try row.text("table") ?? "").\(try row.text("to") ?? "")")
            }
            try database.statement("SELECT * FROM pragma_index_list('\(table)') ORDER BY name").forEachRow { row in
                lines.append("\(table) index \(try row.text("name") ?? "") unique=\(try row.int("unique") ?? -1) origin=\(try row.text("origin") ?? "")")
            }
        }
        return lines
    }

    @Test func migrationsAreNamedAndTheVersionOnDiskCountsThem() throws {
        #expect(Migration.all.map(\.name) == ["create-tables-v1", "request-answers-v2", "session-checkpoints-v3"])
        #expect(SQLiteSessionStore.migrations.count == 3)
        let store = try TemporaryStore()
        _ = try SQLiteSessionStore(path: store.path)
        let database = try SQLiteDatabase(path: store.path, create: false, readOnly: true)
        let version = try database.statement("PRAGMA user_version").rows { try $0.int("user_version") }.first ?? nil
        #expect(version == Int64(Migration.all.count))
    }

    /// A file written by the release before named migrations (the literal v1 DDL, its application id
    /// and `user_version = 1`, a session in it) opens with its v1 tables as they were, the session
    /// reads, and migrations 2 and 3 added only the `requests` and `checkpoints` tables.
    @Test func aVersion1FileOpensWithItsTablesUnchanged() throws {
        let file = try TemporaryStore()
        do {
            let database = try SQLiteDatabase(path: file.path, create: true)
            try database.execute("PRAGMA journal_mode = WAL")
            try database.execute(Self.sqliteV1)
            try database.execute("PRAGMA application_id = \(SQLiteSessionStore.applicationID); PRAGMA user_version = 1")
            try database.execute("""
                INSERT INTO scripts VALUES ('\(Sample.scriptHash)', 'o200k_base', 'You are Ada.', 4);
                INSERT INTO sessions (id, status, created_at, updated_at, configuration, script_hash, message_count)
                VALUES ('old', 'closed', 10, 20, '{"window":1000}', '\(Sample.scriptHash)', 7);
                """)
        }
        let before = try Self.describe(file.path)
        let store = try SQLiteSessionStore(path: file.path)
        let record = try #require(try store.session(id: "old"))
        #expect(record.status == "closed" && record.messageCount == 7 && record.configuration["window"]?.intValue == 1000)
        let after = try Self.describe(file.path)
        #expect(after.filter { !$0.contains("requests") && !$0.contains("checkpoints") } == before)
        #expect(after.contains { $0.hasPrefix("table requests") } && after.contains { $0.hasPrefix("table checkpoints") })
    }

    @Test func statementsComeFromTheDescription() {
        #expect(SessionRecord.columns.map(\.name) == [
            "id", "business_id", "location_id", "user_id", "status", "created_at", "updated_at", "last_message_at",
            "expires_at", "metadata", "configuration", "script_hash", "message_count", "figures", "snapshot_version",
            "snapshot_hash",
        ])
        #expect(Sample.record("x").columnValues.count == SessionRecord.columns.count)
        #expect(Sample.message("x", seq: 0).columnValues.count == StoredMessage.columns.count)
        #expect(StoreSchema.resume.insert(.sqlite) == "INSERT INTO resume (session_id, handle, resumable, updated_at, attempts) VALUES (?1, ?2, ?3, ?4, ?5)")
        #expect(StoreSchema.scripts.update(.postgres) == "UPDATE scripts SET encoding = $2, text = $3, tokens = $4 WHERE hash = $1")
        #expect(StoreSchema.resume.upsert(.postgres, key: ["session_id"]) == "INSERT INTO resume (session_id, handle, resumable, updated_at, attempts) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO UPDATE SET handle = EXCLUDED.handle, resumable = EXCLUDED.resumable, updated_at = EXCLUDED.updated_at, attempts = EXCLUDED.attempts")
        #expect(StoreSchema.scripts.insertKeeping(.sqlite, key: ["hash"]).hasSuffix("VALUES (?1, ?2, ?3, ?4) ON CONFLICT (hash) DO NOTHING"))
        #expect(StoreSchema.sessions.columns(.sqlite).count == 16 && StoreSchema.sessions.columns(.postgres).count == 19)
    }
}
