/// One named step of the schema, applied in order inside one transaction per store open.
///
/// Version n on disk (`PRAGMA user_version` in SQLite, `tokenbudget_schema.version` in PostgreSQL)
/// means "the first n migrations of `Migration.all` are applied"; the numbers keep this meaning
/// across releases, so a new migration is only ever appended, never inserted or edited.
public struct Migration: Sendable {
    /// What the step does, for people: the error for a newer schema and the docs name steps by it.
    public let name: String
    private let render: @Sendable (SQLDialect) -> String

    /// A step whose SQL differs by dialect.
    public init(name: String, sql: @escaping @Sendable (SQLDialect) -> String) {
        self.name = name
        self.render = sql
    }

    /// A step with the same SQL in both dialects.
    public init(name: String, sql: String) {
        self.init(name: name, sql: { _ in sql })
    }

    /// A step that creates tables from their shared description.
    public init(name: String, creating tables: [TableSchema]) {
        self.init(name: name, sql: { StoreSchema.ddl(tables, $0) })
    }

    /// The statements of this step in `dialect`, separated by `;` (none contains one otherwise:
    /// PostgreSQL's extended protocol runs them one at a time).
    public func sql(_ dialect: SQLDialect) -> String { render(dialect) }
}

extension Migration {
    /// Every migration, in order: `all[i]` takes a store from version i to i + 1.
    public static let all: [Migration] = [
        Migration(name: "create-tables-v1", creating: StoreSchema.version1),
        Migration(name: "request-answers-v2", creating: [StoreSchema.requests]),
        Migration(name: "session-checkpoints-v3", creating: [StoreSchema.checkpoints]),
    ]

    /// The error for a store at `version` when this build knows `known` migrations: names the last
    /// step it knows and the first it does not.
    public static func newerSchema(_ what: String, version: Int, known: [Migration] = all) -> StoreError {
        let last = known.last.map { "\(known.count) \"\($0.name)\"" } ?? "0"
        return StoreError(
            code: .unsupportedVersion,
            message: "\(what) has schema version \(version), written by a newer tokenbudget: this build knows migrations "
                + "up to \(last); migration \(known.count + 1) and later are not known to it")
    }
}
