import JSONWire

/// A JSON-RPC 2.0 error object. Codes are stable: relays switch on them (docs/protocol.md).
public struct RPCError: Error, Equatable, Sendable {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(_ code: Int, _ message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    // JSON-RPC 2.0's own.
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603

    // The engine's, in -32000 ... -32099.
    public static let unknownSession = -32001
    public static let sessionNotActive = -32002
    public static let sessionExists = -32003
    public static let scriptOverBudget = -32004
    public static let overBudget = -32005
    public static let instructionTooLong = -32006
    public static let invalidPolicy = -32007
    public static let tokenizerUnavailable = -32008
    public static let scriptUnreadable = -32009
    public static let invalidConfiguration = -32010
    /// The change could not be stored (disk full, I/O error); it was undone, nothing changed.
    public static let notStored = -32011
    /// The method needs a store, or the store failed to answer a query.
    public static let storeUnavailable = -32012
    /// Another engine holds the session (shared store), or took it over from this one.
    public static let ownedElsewhere = -32013
    /// A stored session cannot be rebuilt as it was: its log does not fold to the snapshot hash the
    /// store recorded, an event does not apply, or its script is missing. It is not served.
    public static let rebuildMismatch = -32014
    /// The commit failed with an I/O error: the change may or may not be stored (an fsync failure on
    /// Linux leaves it unknown; SQLite's WAL can hold it and bring it back at the next start). Retry
    /// with the same `requestId` once the engine was restarted: it answers the original result if the
    /// change was stored, and applies it otherwise.
    public static let outcomeUnknown = -32015
    /// The store refuses writes until the engine restarts on it: an earlier commit's outcome is unknown,
    /// or the file under the engine was deleted, moved or replaced. Reads still answer.
    public static let writesRefused = -32016

    public var json: JSONValue {
        var object: JSONObject = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }
}
