// Built only with the Postgres trait (`swift build --traits Postgres`, Package.swift).
#if Postgres
import Foundation
import PostgresNIO
import SessionStore

/// One PostgreSQL connection used synchronously from the engine's single thread.
///
/// The engine is one loop on one thread and its store protocol is synchronous (a batch is answered
/// only after its commit returns), so each statement waits for its future on that thread — which is
/// never one of NIO's event-loop threads, where waiting is forbidden. One connection per engine keeps
/// the batch's statements in one transaction.
final class PostgresConnectionBox {
    /// A bound value.
    enum Value {
        case text(String)
        case int(Int64)
        case double(Double)
        case null
        case textArray([String])
        case intArray([Int64])
        case doubleArray([Double])

        init(_ value: StoreValue) {
            switch value {
            case .null: self = .null
            case .int(let value): self = .int(value)
            case .double(let value): self = .double(value)
            case .text(let value): self = .text(value)
            }
        }
    }

    private var connection: PostgresConnection
    private let configuration: PostgresConnection.Configuration
    private let logger = Logger(label: "tokenbudget.postgres")

    init(_ location: PostgresLocation) throws {
        let configuration: PostgresConnection.Configuration
        if let socket = location.socketPath {
            configuration = .init(unixSocketPath: socket, username: location.user, password: location.password, database: location.database)
        } else {
            configuration = .init(
                host: location.host, port: location.port, username: location.user, password: location.password,
                database: location.database, tls: .disable)
        }
        self.configuration = configuration
        connection = try PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.next(), configuration: configuration, id: 1, logger: logger
        ).wait()
    }

    /// Whether the server closed the connection (a restart, a failover, a network cut).
    var isClosed: Bool { connection.isClosed }

    /// Connects again after the server closed the connection: the next batch starts on it. What the
    /// failed batch held was rolled back by the server and answered -32011; nothing answered is lost.
    func reconnect() throws {
        // Called only once the connection is closed: closing it again is not needed.
        connection = try PostgresConnection.connect(
            on: PostgresConnection.defaultEventLoopGroup.next(), configuration: configuration, id: 1, logger: logger
        ).wait()
    }

    deinit {
        try? connection.close().wait()
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    func execute(_ sql: String, _ values: [Value] = []) throws -> [PostgresRandomAccessRow] {
        try send(sql, values).wait().rows.map { $0.makeRandomAccess() }
    }

    /// Sends one statement without waiting: statements on one connection run in the order sent, so a
    /// batch's writes are pipelined and awaited together.
    func send(_ sql: String, _ values: [Value] = []) -> EventLoopFuture<PostgresQueryResult> {
        var bindings = PostgresBindings(capacity: values.count)
        for value in values {
            switch value {
            case .text(let text): bindings.append(text)
            case .int(let int): bindings.append(int)
            case .double(let double): bindings.append(double)
            case .null: bindings.appendNull()
            case .textArray(let texts): bindings.append(texts)
            case .intArray(let ints): bindings.append(ints)
            case .doubleArray(let doubles): bindings.append(doubles)
            }
        }
        return connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
    }

    /// Runs statements without parameters, separated by semicolons (none may contain one: the
    /// extended protocol takes one statement at a time).
    func executeScript(_ sql: String) throws {
        for statement in sql.split(separator: ";") where !statement.allSatisfy(\.isWhitespace) {
            try execute(String(statement))
        }
    }
}

/// Where the database is: `postgres://user[:password]@host[:port]/database`, or a unix socket with
/// `postgres://user@/database?host=/path/to/socket/dir` (the libpq convention).
public struct PostgresLocation: Sendable, CustomStringConvertible {
    public var user: String
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    /// The socket file, when `host` is a directory.
    public var socketPath: String?

    public static func isPostgresURL(_ text: String) -> Bool {
        text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
    }

    public init(url text: String) throws {
        guard Self.isPostgresURL(text), let schemeEnd = text.range(of: "://") else {
            throw StoreError("not a postgres:// URL: \(text)")
        }
        var rest = String(text[schemeEnd.upperBound...])
        var query: [String: String] = [:]
        if let mark = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: mark)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2 { query[parts[0]] = parts[1].removingPercentEncoding ?? parts[1] }
            }
            rest = String(rest[..<mark])
        }
        var authority = rest
        database = ""
        if let slash = rest.firstIndex(of: "/") {
            authority = String(rest[..<slash])
            database = String(rest[rest.index(after: slash)...]).removingPercentEncoding ?? ""
        }
        var hostPart = authority
        user = "postgres"
        password = nil
        if let at = authority.lastIndex(of: "@") {
            let credentials = authority[..<at]
            hostPart = String(authority[authority.index(after: at)...])
            let parts = credentials.split(separator: ":", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            user = parts[0]
            if parts.count == 2 { password = parts[1] }
        }
        port = 5432
        host = hostPart.isEmpty ? "localhost" : hostPart
        if let colon = hostPart.lastIndex(of: ":"), let number = Int(hostPart[hostPart.index(after: colon)...]) {
            host = String(hostPart[..<colon])
            port = number
        }
        if let queryPort = query["port"].flatMap(Int.init) { port = queryPort }
        if let directory = query["host"], directory.hasPrefix("/") {
            socketPath = directory + "/.s.PGSQL.\(port)"
        }
        guard !database.isEmpty else { throw StoreError("\(text) names no database (postgres://user@host/DATABASE)") }
    }

    /// The URL without its password, for messages.
    public var description: String {
        socketPath.map { "postgres://\(user)@/\(database) (socket \($0))" } ?? "postgres://\(user)@\(host):\(port)/\(database)"
    }
}
#endif
