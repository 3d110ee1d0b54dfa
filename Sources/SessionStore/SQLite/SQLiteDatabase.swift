import CSQLite

/// An error from SQLite: the result code and SQLite's own message, with what we were doing.
public struct SQLiteError: Error, CustomStringConvertible, Sendable {
    public var code: Int32
    public var message: String
    public var context: String

    public var description: String { "\(context): \(message) (SQLite code \(code))" }
    /// Disk or database full, or an I/O error: the request could not be stored.
    public var isStorageFull: Bool { code & 0xFF == SQLITE_FULL || code & 0xFF == SQLITE_IOERR }
}

/// One SQLite connection. Owns the `sqlite3` handle and closes it in `deinit`.
///
/// The corresponding C functions are `sqlite3_open_v2`, `sqlite3_exec`, `sqlite3_close_v2`.
public final class SQLiteDatabase {
    let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (or with `create`, creates) the database file.
    public init(path: String, create: Bool, readOnly: Bool = false) throws {
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))
            | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard result == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw SQLiteError(code: result, message: message, context: "opening \(path)")
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
    }

    deinit {
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL with no results (several statements allowed).
    public func execute(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &error)
        if result != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(error)
            throw SQLiteError(code: result, message: message, context: String(sql.prefix(60)))
        }
    }

    /// A prepared statement, cached by its SQL text.
    public func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        let statement = try SQLiteStatement(database: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    func error(_ code: Int32, _ context: String) -> SQLiteError {
        SQLiteError(code: code, message: String(cString: sqlite3_errmsg(handle)), context: context)
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A prepared statement. Owns the `sqlite3_stmt` and finalizes it in `deinit`.
///
/// The corresponding C functions are `sqlite3_prepare_v3`, `sqlite3_bind_*`, `sqlite3_step`,
/// `sqlite3_column_*`, `sqlite3_finalize`.
public final class SQLiteStatement {
    unowned let database: SQLiteDatabase
    let handle: OpaquePointer
    let sql: String

    init(database: SQLiteDatabase, sql: String) throws {
        var handle: OpaquePointer?
        let result = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard result == SQLITE_OK, let handle else { throw database.error(result, "preparing \(sql.prefix(60))") }
        self.database = database
        self.handle = handle
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    public typealias Value = StoreValue

    @discardableResult
    public func bind(_ values: [Value]) -> SQLiteStatement {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            switch value {
            case .null: sqlite3_bind_null(handle, index)
            case .int(let value): sqlite3_bind_int64(handle, index, value)
            case .double(let value): sqlite3_bind_double(handle, index, value)
            case .text(let value): sqlite3_bind_text(handle, index, value, -1, csqlite_transient())
            }
        }
        return self
    }

    /// Runs a statement that returns no rows.
    public func run() throws {
        let result = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        guard result == SQLITE_DONE || result == SQLITE_ROW else { throw database.error(result, String(sql.prefix(60))) }
    }

    /// Steps through the rows, calling `body` with a row reader for each.
    public func forEachRow(_ body: (SQLiteRow) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        while true {
            let result = sqlite3_step(handle)
            if result == SQLITE_DONE { return }
            guard result == SQLITE_ROW else { throw database.error(result, String(sql.prefix(60))) }
            try body(SQLiteRow(handle: handle))
        }
    }
}

/// Column access for the current row.
public struct SQLiteRow {
    let handle: OpaquePointer

    public func int(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }
    public func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }
    public func isNull(_ column: Int32) -> Bool { sqlite3_column_type(handle, column) == SQLITE_NULL }
    public func text(_ column: Int32) -> String? {
        guard let pointer = sqlite3_column_text(handle, column) else { return nil }
        return String(cString: pointer)
    }
}
