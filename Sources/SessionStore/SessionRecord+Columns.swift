import JSONWire

/// A value bound to a statement parameter, in either backend.
public enum StoreValue: Sendable, Equatable {
    case null, int(Int64), double(Double), text(String)

    public init(_ text: String?) { self = text.map { .text($0) } ?? .null }
    public init(_ number: Double?) { self = number.map { .double($0) } ?? .null }
    public init(json: JSONValue?) { self = json.map { .text(JSONWriter.string($0)) } ?? .null }
}

/// The `sessions` row of a record, in either backend: the shared columns of `StoreSchema.sessions`
/// in their order, which is how both stores' INSERT and UPDATE number their parameters
/// (?1…?16 in SQLite, $1…$16 in PostgreSQL).
extension SessionRecord {
    /// The columns `columnValues` fills, in order.
    public static var columns: [ColumnSchema] { StoreSchema.sessions.sharedColumns }

    /// `SELECT <columns> FROM sessions`, the same in both dialects: every query of whole records
    /// starts with it.
    public static let selectAll = StoreSchema.sessions.select(columns: columns)

    public var columnValues: [StoreValue] {
        [
            .text(id), StoreValue(business), StoreValue(location), StoreValue(user), .text(status),
            .double(createdAt), .double(updatedAt), StoreValue(lastMessageAt), StoreValue(expiresAt),
            StoreValue(json: metadata), .text(JSONWriter.string(configuration)), .text(scriptHash),
            .int(Int64(messageCount)), StoreValue(json: figures), .int(Int64(snapshotVersion)), StoreValue(snapshotHash),
        ]
    }
}

extension StoredMessage {
    /// The values of `StoredMessage.columns`, in order.
    public var columnValues: [StoreValue] {
        [
            .text(messageID), .text(sessionID), .int(Int64(seq)), .text(type), .text(content), .int(Int64(tokens)),
            .double(timestamp), StoreValue(json: metadata),
        ]
    }
}
