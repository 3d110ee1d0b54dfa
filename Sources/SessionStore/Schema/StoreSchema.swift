/// The SQL dialects the stores speak.
public enum SQLDialect: String, Sendable, CaseIterable {
    case sqlite, postgres

    /// The n-th (1-based) statement parameter: `?3` in SQLite, `$3` in PostgreSQL.
    public func parameter(_ number: Int) -> String {
        switch self {
        case .sqlite: "?\(number)"
        case .postgres: "$\(number)"
        }
    }
}

/// One column, described once for both backends.
public struct ColumnSchema: Sendable, Equatable {
    /// The kind of value, rendered per dialect.
    public enum TypeFamily: String, Sendable {
        /// TEXT in both.
        case text
        /// INTEGER in both (32 bits in PostgreSQL).
        case integer
        /// INTEGER in SQLite (always 64 bits), BIGINT in PostgreSQL.
        case bigInteger
        /// REAL in SQLite, DOUBLE PRECISION in PostgreSQL: Unix seconds and the like.
        case real
        /// The row's own 64-bit key, in arrival order: `INTEGER PRIMARY KEY` (the rowid) in SQLite,
        /// `BIGSERIAL PRIMARY KEY` in PostgreSQL.
        case rowID
    }

    public var name: String
    public var type: TypeFamily
    public var primaryKey: Bool
    public var nullable: Bool
    /// A literal default (`0`).
    public var defaultValue: String?
    /// A CHECK expression (`status IN ('a','b')`).
    public var check: String?
    /// `table(column)` this column refers to.
    public var references: String?
    /// The dialects whose table has this column (PostgreSQL's ownership columns exist only there).
    public var dialects: Set<SQLDialect>

    public init(
        _ name: String, _ type: TypeFamily, primaryKey: Bool = false, nullable: Bool = true, defaultValue: String? = nil,
        check: String? = nil, allowed: [String]? = nil, references: String? = nil, dialects: Set<SQLDialect> = Set(SQLDialect.allCases)
    ) {
        self.name = name
        self.type = type
        self.primaryKey = primaryKey || type == .rowID
        self.nullable = nullable && !primaryKey && type != .rowID
        self.defaultValue = defaultValue
        // `allowed`: the values a text column may hold, as v1 spells its CHECKs.
        self.check = check ?? allowed.map { "\(name) IN (\($0.map { "'\($0)'" }.joined(separator: ",")))" }
        self.references = references
        self.dialects = dialects
    }

    /// The column's definition inside CREATE TABLE:
    /// name, type, PRIMARY KEY, NOT NULL, DEFAULT, CHECK, REFERENCES — in that order.
    public func definition(_ dialect: SQLDialect) -> String {
        var parts = [name]
        switch (type, dialect) {
        case (.text, _): parts.append("TEXT")
        case (.integer, _), (.bigInteger, .sqlite): parts.append("INTEGER")
        case (.bigInteger, .postgres): parts.append("BIGINT")
        case (.real, .sqlite): parts.append("REAL")
        case (.real, .postgres): parts.append("DOUBLE PRECISION")
        case (.rowID, .sqlite): parts.append("INTEGER")
        case (.rowID, .postgres): parts.append("BIGSERIAL")
        }
        if primaryKey { parts.append("PRIMARY KEY") }
        // A primary key is NOT NULL by itself; v1 never spelled it out, so neither do we.
        if !nullable && !primaryKey { parts.append("NOT NULL") }
        if let defaultValue { parts.append("DEFAULT \(defaultValue)") }
        if let check { parts.append("CHECK (\(check))") }
        if let references { parts.append("REFERENCES \(references)") }
        return parts.joined(separator: " ")
    }
}

/// An index on one table.
public struct IndexSchema: Sendable, Equatable {
    public var name: String
    public var columns: [String]
    public var unique: Bool

    public init(_ name: String, on columns: [String], unique: Bool = false) {
        self.name = name
        self.columns = columns
        self.unique = unique
    }
}

/// One table: its columns in order and its indexes, described once, rendered for each dialect.
public struct TableSchema: Sendable, Equatable {
    public var name: String
    public var columns: [ColumnSchema]
    public var indexes: [IndexSchema]

    public init(_ name: String, columns: [ColumnSchema], indexes: [IndexSchema] = []) {
        self.name = name
        self.columns = columns
        self.indexes = indexes
    }

    /// The columns this dialect's table has.
    public func columns(_ dialect: SQLDialect) -> [ColumnSchema] { columns.filter { $0.dialects.contains(dialect) } }

    /// The columns both dialects have, in order: what the shared row types read and write.
    public var sharedColumns: [ColumnSchema] { columns.filter { $0.dialects.count == SQLDialect.allCases.count } }

    /// The column named `name`.
    public func column(_ name: String) -> ColumnSchema? { columns.first { $0.name == name } }

    /// CREATE TABLE and CREATE INDEX statements, each ending in `;` and a newline.
    public func ddl(_ dialect: SQLDialect) -> String {
        var sql = "CREATE TABLE \(name) (\(columns(dialect).map { $0.definition(dialect) }.joined(separator: ", ")));\n"
        for index in indexes {
            sql += "CREATE \(index.unique ? "UNIQUE " : "")INDEX \(index.name) ON \(name) (\(index.columns.joined(separator: ", ")));\n"
        }
        return sql
    }

    // MARK: - Statements from the description

    /// `a, b, c`: the names of `columns`, for INSERT and SELECT.
    public static func list(_ columns: [ColumnSchema]) -> String { columns.map(\.name).joined(separator: ", ") }

    /// `INSERT INTO t (a, b, c) VALUES (?1, ?2, ?3)` over `columns` (default: the shared ones), the
    /// parameters numbered in the columns' order.
    public func insert(_ dialect: SQLDialect, columns: [ColumnSchema]? = nil) -> String {
        let columns = columns ?? sharedColumns
        let parameters = (1 ... columns.count).map(dialect.parameter).joined(separator: ", ")
        return "INSERT INTO \(name) (\(Self.list(columns))) VALUES (\(parameters))"
    }

    /// INSERT over `columns` (default: the shared ones) that keeps the row already stored under `key`:
    /// `… ON CONFLICT (key) DO NOTHING`.
    public func insertKeeping(_ dialect: SQLDialect, key: [String], columns: [ColumnSchema]? = nil) -> String {
        insert(dialect, columns: columns) + " ON CONFLICT (\(key.joined(separator: ", "))) DO NOTHING"
    }

    /// INSERT over `columns` (default: the shared ones) that replaces the other columns of the row
    /// already stored under `key`: `… ON CONFLICT (key) DO UPDATE SET b = EXCLUDED.b, …`.
    public func upsert(_ dialect: SQLDialect, key: [String], columns: [ColumnSchema]? = nil) -> String {
        let columns = columns ?? sharedColumns
        let assignments = columns.filter { !key.contains($0.name) }.map { "\($0.name) = EXCLUDED.\($0.name)" }
        return insert(dialect, columns: columns)
            + " ON CONFLICT (\(key.joined(separator: ", "))) DO UPDATE SET \(assignments.joined(separator: ", "))"
    }

    /// `UPDATE t SET b = ?2, c = ?3 WHERE a = ?1` over `columns` (default: the shared ones), whose
    /// first column is the key; `extra` assignments are appended to the SET list.
    public func update(_ dialect: SQLDialect, columns: [ColumnSchema]? = nil, extra: [String] = []) -> String {
        let columns = columns ?? sharedColumns
        let assignments = columns.enumerated().dropFirst().map { "\($1.name) = \(dialect.parameter($0 + 1))" } + extra
        return "UPDATE \(name) SET \(assignments.joined(separator: ", ")) WHERE \(columns[0].name) = \(dialect.parameter(1))"
    }

    /// `SELECT a, b, c FROM t` over `columns` (default: the shared ones).
    public func select(columns: [ColumnSchema]? = nil) -> String {
        "SELECT \(Self.list(columns ?? sharedColumns)) FROM \(name)"
    }
}
