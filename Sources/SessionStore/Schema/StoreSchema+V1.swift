/// The tables of both stores, described once (docs/storage.md, "Schema").
///
/// The description renders to each dialect's DDL (the first migration) and to the column lists of the
/// statements that read and write rows, so the two backends cannot drift apart. It must render the
/// very tables, columns, constraints and indexes of schema version 1 as the first release wrote them
/// (`SessionStoreTests.SchemaTests` compares both dialects with that text): a file or database
/// written by that release opens unchanged.
public enum StoreSchema {
    public static let scripts = TableSchema("scripts", columns: [
        ColumnSchema("hash", .text, primaryKey: true),
        ColumnSchema("encoding", .text, nullable: false),
        ColumnSchema("text", .text, nullable: false),
        ColumnSchema("tokens", .integer, nullable: false),
    ])

    static let statuses = ["active", "closed", "resolved", "abandoned"]

    /// The shared columns are `SessionRecord.columnValues`, in this order; the last three exist only
    /// in PostgreSQL, where sessions are owned through leases (docs/deployment.md).
    public static let sessions = TableSchema("sessions", columns: [
        ColumnSchema("id", .text, primaryKey: true),
        ColumnSchema("business_id", .text),
        ColumnSchema("location_id", .text),
        ColumnSchema("user_id", .text),
        ColumnSchema("status", .text, nullable: false, allowed: statuses),
        ColumnSchema("created_at", .real, nullable: false),
        ColumnSchema("updated_at", .real, nullable: false),
        ColumnSchema("last_message_at", .real),
        ColumnSchema("expires_at", .real),
        ColumnSchema("metadata", .text),
        ColumnSchema("configuration", .text, nullable: false),
        ColumnSchema("script_hash", .text, nullable: false, references: "scripts(hash)"),
        ColumnSchema("message_count", .integer, nullable: false, defaultValue: "0"),
        ColumnSchema("figures", .text),
        ColumnSchema("snapshot_version", .integer, nullable: false, defaultValue: "0"),
        ColumnSchema("snapshot_hash", .text),
        ColumnSchema("owner", .text, dialects: [.postgres]),
        ColumnSchema("epoch", .bigInteger, nullable: false, defaultValue: "0", dialects: [.postgres]),
        ColumnSchema("lease_expires_at", .real, dialects: [.postgres]),
    ], indexes: [
        IndexSchema("sessions_by_owner", on: ["business_id", "user_id", "created_at"]),
        IndexSchema("sessions_by_status", on: ["status"]),
    ])

    /// Rowid tables: rows are appended in arrival order, and only the small indexes take the
    /// interleaving of 1,000 sessions. Keyed by (session, seq) directly, 100k events took 15 s.
    /// One events row holds a session's events of one batch (`events`: a JSON array of
    /// [kind, payload], seqs first_seq ..< first_seq + count): a batch of ~5,000 events over
    /// 1,000 sessions then touches ~1,000 index entries, not ~5,000.
    public static let events = TableSchema("events", columns: [
        ColumnSchema("id", .rowID),
        ColumnSchema("session_id", .text, nullable: false, references: "sessions(id)"),
        ColumnSchema("first_seq", .integer, nullable: false),
        ColumnSchema("count", .integer, nullable: false),
        ColumnSchema("events", .text, nullable: false),
    ], indexes: [
        IndexSchema("events_by_session", on: ["session_id", "first_seq"], unique: true),
    ])

    /// A message id is `<session>/<item>` and maps 1:1 to (session, seq), so the one index also
    /// keeps ids unique; a second one on message_id cost ~15 % of serve's store throughput.
    public static let messages = TableSchema("messages", columns: [
        ColumnSchema("id", .rowID),
        ColumnSchema("message_id", .text, nullable: false),
        ColumnSchema("session_id", .text, nullable: false, references: "sessions(id)"),
        ColumnSchema("seq", .integer, nullable: false),
        ColumnSchema("type", .text, nullable: false, allowed: ["user", "model", "instruction", "system"]),
        ColumnSchema("content", .text, nullable: false),
        ColumnSchema("tokens", .integer, nullable: false),
        ColumnSchema("timestamp", .real, nullable: false),
        ColumnSchema("metadata", .text),
    ], indexes: [
        IndexSchema("messages_by_session", on: ["session_id", "seq"], unique: true),
    ])

    public static let resume = TableSchema("resume", columns: [
        ColumnSchema("session_id", .text, primaryKey: true, references: "sessions(id)"),
        ColumnSchema("handle", .text),
        ColumnSchema("resumable", .integer, nullable: false),
        ColumnSchema("updated_at", .real, nullable: false),
        ColumnSchema("attempts", .integer, nullable: false),
    ])

    /// Answers of keyed requests (`requestId`, docs/protocol.md): a retry of the same id answers the
    /// original result instead of applying again, also after a restart. Bounded: each session keeps
    /// its last `keep` answers (`seq` counts a session's keyed requests; older rows are deleted in
    /// the batch that writes a new one). Added by migration 2.
    public static let requests = TableSchema("requests", columns: [
        ColumnSchema("id", .rowID),
        ColumnSchema("session_id", .text, nullable: false, references: "sessions(id)"),
        ColumnSchema("request_id", .text, nullable: false),
        ColumnSchema("seq", .integer, nullable: false),
        ColumnSchema("answer", .text, nullable: false),
    ], indexes: [
        IndexSchema("requests_by_session", on: ["session_id", "request_id"], unique: true),
    ])

    /// Schema version 1, in creation order.
    public static let version1: [TableSchema] = [scripts, sessions, events, messages, resume]

    /// The DDL of `tables` in `dialect`.
    public static func ddl(_ tables: [TableSchema], _ dialect: SQLDialect) -> String {
        tables.map { $0.ddl(dialect) }.joined()
    }
}
