import CSQLite

extension StoreError.Code {
    /// The code of an SQLite result code (primary or extended).
    ///
    /// SQLITE_BUSY is another connection holding the database (`inUse`), except BUSY_SNAPSHOT, a
    /// read transaction that cannot be upgraded because another wrote meanwhile (`conflict`, as is
    /// SQLITE_LOCKED, a conflict inside this process).
    public init(sqliteResult result: Int32) {
        switch result & 0xFF {
        case SQLITE_FULL: self = .full
        case SQLITE_IOERR, SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_PERM: self = .io
        case SQLITE_CONSTRAINT, SQLITE_LOCKED: self = .conflict
        // SQLITE_BUSY_SNAPSHOT is SQLITE_BUSY | (2 << 8).
        case SQLITE_BUSY: self = result == SQLITE_BUSY | (2 << 8) ? .conflict : .inUse
        case SQLITE_CORRUPT, SQLITE_NOTADB: self = .damaged
        default: self = .other
        }
    }
}

extension StoreError {
    /// An SQLite failure: the code from the result, SQLite's message and result code as `underlying`.
    init(sqliteResult result: Int32, message: String, doing what: String) {
        self.init(
            code: Code(sqliteResult: result), message: what,
            underlying: "\(message) (SQLite result code \(result))")
    }
}

/// One SQLite connection. Owns the `sqlite3` handle and closes it in `deinit`.
///
/// Every failure is a `StoreError` whose code comes from SQLite's result code.
///
/// The corresponding C functions are `sqlite3_open_v2`, `sqlite3_exec`, `sqlite3_close_v2`.
public final class SQLiteDatabase {
    let handle: OpaquePointer
    private var statements: [String: SQLiteStatement] = [:]

    /// Opens (or with `create`, creates) the database file.
    public init(path: String, create: Bool, readOnly: Bool = false) throws(StoreError) {
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0))
            | SQLITE_OPEN_NOMUTEX
        let result = sqlite3_open_v2(path, &handle, flags, nil)
        guard result == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw StoreError(sqliteResult: result, message: message, doing: "opening \(path)")
        }
        self.handle = handle
        sqlite3_extended_result_codes(handle, 1)
        // A reader waits for what another connection holds briefly: the first reader of a WAL store
        // whose engine has closed rebuilds its index under an exclusive lock, and a second
        // `sessions …` run at that moment failed at once with "database is locked" (SQLite 261,
        // BUSY_RECOVERY; CI, SessionsCLITests). The engine's own connection is the only writer
        // (its lock file) and keeps failing fast.
        if readOnly { sqlite3_busy_timeout(handle, 5_000) }
    }

    private var closed = false

    deinit { close() }

    /// Finalizes the cached statements and closes the connection (checkpointing the WAL when it is the
    /// last one). Idempotent; `deinit` calls it. The store calls it before it closes its own
    /// descriptor on the file: closing any descriptor of a file drops every POSIX lock this process
    /// holds on it, SQLite's included.
    public func close() {
        guard !closed else { return }
        closed = true
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// Runs SQL with no results (several statements allowed).
    public func execute(_ sql: String) throws(StoreError) {
        var error: UnsafeMutablePointer<CChar>?
        let result = sqlite3_exec(handle, sql, nil, nil, &error)
        if result != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(error)
            // sqlite3_exec returns the primary code; the extended one is on the handle.
            let extended = sqlite3_extended_errcode(handle)
            throw StoreError(
                sqliteResult: extended & 0xFF == result ? extended : result, message: message,
                doing: "running \(sql.prefix(60))")
        }
    }

    /// A prepared statement, cached by its SQL text.
    public func statement(_ sql: String) throws(StoreError) -> SQLiteStatement {
        if let cached = statements[sql] {
            cached.reset()
            return cached
        }
        let statement = try SQLiteStatement(database: self, sql: sql)
        statements[sql] = statement
        return statement
    }

    func error(_ result: Int32, _ what: String) -> StoreError {
        StoreError(sqliteResult: result, message: String(cString: sqlite3_errmsg(handle)), doing: what)
    }

    /// Rows changed by the last statement.
    public var changes: Int { Int(sqlite3_changes(handle)) }
}

/// A prepared statement. Owns the `sqlite3_stmt` and finalizes it in `deinit`.
///
/// Its result columns are looked up by name through a table built once, at prepare time, from
/// `sqlite3_column_name`: a cached statement pays for it once, not per row.
///
/// The corresponding C functions are `sqlite3_prepare_v3`, `sqlite3_bind_*`, `sqlite3_step`,
/// `sqlite3_column_*`, `sqlite3_finalize`. Text goes in and out by byte count (`sqlite3_bind_text`
/// with the UTF-8 length, `sqlite3_column_bytes`), so an embedded U+0000 survives.
public final class SQLiteStatement {
    unowned let database: SQLiteDatabase
    let handle: OpaquePointer
    let sql: String
    /// Result column name → index.
    let columns: [String: Int32]

    init(database: SQLiteDatabase, sql: String) throws(StoreError) {
        var handle: OpaquePointer?
        let result = sqlite3_prepare_v3(database.handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &handle, nil)
        guard result == SQLITE_OK, let handle else { throw database.error(result, "preparing \(sql.prefix(60))") }
        self.database = database
        self.handle = handle
        self.sql = sql
        var columns: [String: Int32] = [:]
        for index in 0 ..< sqlite3_column_count(handle) {
            if let name = sqlite3_column_name(handle, index) { columns[String(cString: name)] = index }
        }
        self.columns = columns
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
            case .text(let value): bindText(value, at: index)
            }
        }
        return self
    }

    /// Binds text by its UTF-8 byte count, never as a C string: a U+0000 inside an id or a turn is
    /// stored (a length of -1 made SQLite cut at the first NUL, so `"a\u{0}evil"` became `"a"`).
    /// No copy for a native string; an empty one binds `""`, not NULL.
    private func bindText(_ value: String, at index: Int32) {
        var value = value
        value.withUTF8 { utf8 in
            utf8.withMemoryRebound(to: CChar.self) { chars in
                guard let base = chars.baseAddress, !chars.isEmpty else {
                    sqlite3_bind_text(handle, index, "", 0, csqlite_transient())
                    return
                }
                sqlite3_bind_text(handle, index, base, Int32(chars.count), csqlite_transient())
            }
        }
    }

    /// Runs a statement that returns no rows.
    public func run() throws(StoreError) {
        let result = sqlite3_step(handle)
        defer { sqlite3_reset(handle) }
        guard result == SQLITE_DONE || result == SQLITE_ROW else { throw database.error(result, "running \(sql.prefix(60))") }
    }

    /// Steps through the rows, calling `body` with a row reader for each.
    public func forEachRow(_ body: (SQLiteRow) throws -> Void) throws {
        defer { sqlite3_reset(handle) }
        while true {
            let result = sqlite3_step(handle)
            if result == SQLITE_DONE { return }
            guard result == SQLITE_ROW else { throw database.error(result, "reading \(sql.prefix(60))") }
            try body(SQLiteRow(statement: self))
        }
    }

    /// The rows, each made into a value by `body`.
    public func rows<T>(_ body: (SQLiteRow) throws -> T) throws -> [T] {
        var values: [T] = []
        try forEachRow { values.append(try body($0)) }
        return values
    }
}

/// The current row of a statement, read by column name.
public struct SQLiteRow: StoreRow {
    let statement: SQLiteStatement

    /// The index of `column` in the statement's results.
    ///
    /// - Throws: `StoreError` (`.other`) when the statement has no such column: a mistake in the
    ///   code, named with its SQL.
    public func index(_ column: String) throws(StoreError) -> Int32 {
        guard let index = statement.columns[column] else {
            throw StoreError("no column \"\(column)\" in \(statement.sql.prefix(80))")
        }
        return index
    }

    public func isNull(_ column: String) throws -> Bool {
        sqlite3_column_type(statement.handle, try index(column)) == SQLITE_NULL
    }

    public func text(_ column: String) throws -> String? {
        let index = try index(column)
        guard let pointer = sqlite3_column_text(statement.handle, index) else { return nil }
        // By its byte count (after sqlite3_column_text, as SQLite asks), not up to the first NUL.
        let count = Int(sqlite3_column_bytes(statement.handle, index))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    public func int(_ column: String) throws -> Int64? {
        let index = try index(column)
        return sqlite3_column_type(statement.handle, index) == SQLITE_NULL ? nil : sqlite3_column_int64(statement.handle, index)
    }

    public func double(_ column: String) throws -> Double? {
        let index = try index(column)
        return sqlite3_column_type(statement.handle, index) == SQLITE_NULL ? nil : sqlite3_column_double(statement.handle, index)
    }
}
