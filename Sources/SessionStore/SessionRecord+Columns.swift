import JSONWire

/// A value bound to a statement parameter, in either backend.
public enum StoreValue: Sendable {
    case null, int(Int64), double(Double), text(String)
}

/// The `sessions` row of a record, in either backend: the 16 columns in the order both stores'
/// INSERT and UPDATE number their parameters (?1…?16 in SQLite, $1…$16 in PostgreSQL).
extension SessionRecord {
    public var columnValues: [StoreValue] {
        func text(_ value: String?) -> StoreValue { value.map { .text($0) } ?? .null }
        func json(_ value: JSONValue?) -> StoreValue { value.map { .text(JSONWriter.string($0)) } ?? .null }
        return [
            .text(id), text(business), text(location), text(user), .text(status),
            .double(createdAt), .double(updatedAt), lastMessageAt.map { .double($0) } ?? .null,
            expiresAt.map { .double($0) } ?? .null, json(metadata), .text(JSONWriter.string(configuration)),
            .text(scriptHash), .int(Int64(messageCount)), json(figures),
            .int(Int64(snapshotVersion)), text(snapshotHash),
        ]
    }
}
