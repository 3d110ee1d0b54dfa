import JSONWire

/// A result row read by column name, in either backend: SQLite resolves the names once per
/// statement (`sqlite3_column_name`), PostgreSQL from the row's own column names.
///
/// A row type reads its columns by the names the schema gives them (`StoreSchema`), so a SELECT
/// whose column order changes still reads the right values.
public protocol StoreRow {
    /// The text in `column`, nil for NULL.
    func text(_ column: String) throws -> String?
    /// The integer in `column`, nil for NULL.
    func int(_ column: String) throws -> Int64?
    /// The number in `column`, nil for NULL.
    func double(_ column: String) throws -> Double?
}

extension StoreRow {
    /// The text in a NOT NULL column.
    public func requiredText(_ column: String) throws -> String {
        guard let value = try text(column) else { throw Self.missing(column) }
        return value
    }

    public func requiredInt(_ column: String) throws -> Int {
        guard let value = try int(column) else { throw Self.missing(column) }
        return Int(value)
    }

    public func requiredDouble(_ column: String) throws -> Double {
        guard let value = try double(column) else { throw Self.missing(column) }
        return value
    }

    /// The JSON text in `column`, parsed; nil for NULL or unparsable text.
    public func json(_ column: String) throws -> JSONValue? {
        try text(column).flatMap { try? JSONParser.parse($0) }
    }

    static func missing(_ column: String) -> StoreError {
        StoreError(code: .damaged, message: "column \(column) is NULL where a value must be")
    }
}

// MARK: - Rows to values, shared by both backends

extension SessionRecord {
    /// A `sessions` row (`StoreSchema.sessions`' shared columns).
    public init(row: some StoreRow) throws {
        self.init(
            id: try row.requiredText("id"), business: try row.text("business_id"), location: try row.text("location_id"),
            user: try row.text("user_id"), status: try row.requiredText("status"), createdAt: try row.requiredDouble("created_at"),
            metadata: try row.json("metadata"), configuration: try row.json("configuration") ?? .null,
            scriptHash: try row.requiredText("script_hash"))
        updatedAt = try row.requiredDouble("updated_at")
        lastMessageAt = try row.double("last_message_at")
        expiresAt = try row.double("expires_at")
        messageCount = try row.requiredInt("message_count")
        figures = try row.json("figures")
        snapshotVersion = try row.requiredInt("snapshot_version")
        snapshotHash = try row.text("snapshot_hash")
    }
}

extension StoredMessage {
    /// A `messages` row.
    public init(row: some StoreRow) throws {
        self.init(
            messageID: try row.requiredText("message_id"), sessionID: try row.requiredText("session_id"),
            seq: try row.requiredInt("seq"), type: try row.requiredText("type"), content: try row.requiredText("content"),
            tokens: try row.requiredInt("tokens"), timestamp: try row.requiredDouble("timestamp"),
            metadata: try row.json("metadata"))
    }

    /// The columns of `messages` a message is written to and read from (all but the rowid).
    public static var columns: [ColumnSchema] { Array(StoreSchema.messages.columns.dropFirst()) }
}

extension ResumeState {
    /// A `resume` row.
    public init(row: some StoreRow) throws {
        self.init(
            handle: try row.text("handle"), resumable: try row.requiredInt("resumable") != 0,
            updatedAt: try row.requiredDouble("updated_at"), attempts: try row.requiredInt("attempts"))
    }
}

extension StatusStatistics {
    /// A row of `StatusStatistics.sql`.
    public init(row: some StoreRow) throws {
        self.init(
            status: try row.requiredText("status"), count: try row.requiredInt("count"),
            averageDurationSeconds: try row.double("average_duration") ?? 0,
            averageMessages: try row.double("average_messages") ?? 0)
    }

    /// Per status: count, average duration (last message, else last update, minus creation), average
    /// message count. The casts are for PostgreSQL, whose count is bigint and avg numeric.
    public static let sql = """
        SELECT status, CAST(count(*) AS BIGINT) AS count,
          CAST(avg(coalesce(last_message_at, updated_at) - created_at) AS DOUBLE PRECISION) AS average_duration,
          CAST(avg(message_count) AS DOUBLE PRECISION) AS average_messages
        FROM sessions GROUP BY status ORDER BY status
        """
}
