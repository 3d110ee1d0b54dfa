/// A store failure a caller can act on: a `code` to switch on, a message naming what was being
/// done, and the database's own words in `underlying`.
///
/// Both backends report through this one type, so that a full disk, a duplicate session id and a
/// dropped connection stay distinguishable all the way to the server (which maps them to its wire
/// codes) instead of all becoming one string.
///
/// ```swift
/// do { try store.createSession(record) } catch let error as StoreError where error.code == .conflict {
///     // the id exists: ids are never reused
/// }
/// ```
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is. Stable: callers switch on it.
    public enum Code: String, Sendable {
        /// The disk or the database is full (SQLITE_FULL, SQLSTATE 53100).
        case full
        /// The storage failed to read or write (SQLITE_IOERR*, SQLSTATE 58030), or refused a write.
        case io
        /// The change collides with what is stored: a duplicate id or key, a broken constraint, a
        /// serialization failure or deadlock (SQLITE_CONSTRAINT*, SQLSTATE 23xxx, 40001, 40P01).
        case conflict
        /// Another engine took over sessions this batch changed; `sessions` lists them.
        case ownershipLost
        /// The database server closed the connection or cannot be reached.
        case connectionLost
        /// The file or data is corrupt, or not a database at all (SQLITE_CORRUPT, SQLITE_NOTADB,
        /// a damaged event record).
        case damaged
        /// Another engine or process holds the database (the SQLite lock file, SQLITE_BUSY).
        case inUse
        /// The schema was written by a newer tokenbudget, whose migrations this build does not know.
        case unsupportedVersion
        /// What was asked for does not exist (no store file at the path).
        case notFound
        /// The file under the open handle is no longer the file at the store's path (deleted, moved
        /// or replaced): its writes would be lost, so the store refuses them until it is reopened.
        case fileReplaced
        /// The store refuses writes until it is reopened and verified: an earlier commit failed with
        /// an I/O error and its outcome is unknown (it may be on disk), or the file was replaced.
        case writesRefused
        /// Anything else; the message says what.
        case other
    }

    public var code: Code
    /// What was being done and what went wrong, for a person ("creating session \"a\": …").
    public var message: String
    /// The sessions concerned, for `ownershipLost`.
    public var sessions: [String]
    /// The database's own report (SQLite's message and result code, PostgreSQL's SQLSTATE and text).
    public var underlying: String?

    /// An error with code `.other`: `StoreError("no store at /tmp/x.db")`.
    public init(_ message: String) {
        self.init(code: .other, message: message)
    }

    /// An error with a code; without a message, one is made from the code and the sessions.
    ///
    /// `StoreError(code: .ownershipLost, sessions: ["a"])` is what a batch whose session was taken
    /// over reports at `commit`.
    public init(code: Code, message: String? = nil, sessions: [String] = [], underlying: String? = nil) {
        self.code = code
        self.sessions = sessions
        self.underlying = underlying
        self.message = message ?? Self.defaultMessage(code, sessions)
    }

    public var description: String {
        guard let underlying, !underlying.isEmpty else { return message }
        return "\(message): \(underlying)"
    }

    /// The same error, its message saying what was being done: `"creating session \"a\""`.
    public func doing(_ what: String) -> StoreError {
        var error = self
        error.message = what + ": " + message
        return error
    }

    private static func defaultMessage(_ code: Code, _ sessions: [String]) -> String {
        switch code {
        case .ownershipLost:
            "another engine took over \(sessions.joined(separator: ", ")); this engine's writes to it are refused"
        default:
            "store error (\(code.rawValue))"
        }
    }
}

extension StoreError {
    /// Runs `body`; any failure comes out as a `StoreError` whose message starts with `what`.
    ///
    /// A `StoreError` keeps its code; anything else (a decoding failure, a driver error that the
    /// backend did not classify) becomes `.other`, carrying its text in `underlying`.
    public static func during<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) throws(StoreError) -> T {
        do {
            return try body()
        } catch let error as StoreError {
            throw error.doing(what())
        } catch {
            throw StoreError(code: .other, message: what(), underlying: String(describing: error))
        }
    }
}

extension StoreError.Code {
    /// The code of a PostgreSQL SQLSTATE: 23xxx (integrity constraint), 40001 (serialization
    /// failure) and 40P01 (deadlock) are conflicts; 53100 is a full disk; 58030 an I/O error; 08xxx
    /// and 57P01–57P03 (the server shutting down or ending this connection) a lost connection;
    /// XX001/XX002 damaged data; 55P03 a lock held elsewhere. (Here rather than in
    /// PostgresSessionStore: plain strings, testable without a PostgreSQL build.)
    public init(sqlState: String) {
        switch sqlState {
        case _ where sqlState.hasPrefix("23"), "40001", "40P01": self = .conflict
        case "53100": self = .full
        case "58030": self = .io
        case _ where sqlState.hasPrefix("08"), "57P01", "57P02", "57P03": self = .connectionLost
        case "XX001", "XX002": self = .damaged
        case "55P03": self = .inUse
        default: self = .other
        }
    }
}
