extension StoreSchema {
    /// The newest checkpoint of each session: its whole engine state after its first `seq` events
    /// (JSON, `ContextSession.checkpoint()` with the transcript's seqs), so that a rebuild folds only
    /// the events after it. One row per session, replaced in the batch that writes a newer one.
    /// Added by migration 3.
    public static let checkpoints = TableSchema("checkpoints", columns: [
        ColumnSchema("session_id", .text, primaryKey: true, references: "sessions(id)"),
        ColumnSchema("seq", .bigInteger, nullable: false),
        ColumnSchema("state", .text, nullable: false),
    ])
}

/// A session's state after its first `seq` logged events, as JSON text.
public struct StoredCheckpoint: Sendable, Equatable {
    /// Events folded into it: the rebuild folds the log from this seq on.
    public var seq: Int
    public var state: String

    public init(seq: Int, state: String) {
        self.seq = seq
        self.state = state
    }
}
