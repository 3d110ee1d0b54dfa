// Built only with the Postgres trait (`swift build --traits Postgres`, Package.swift).
#if Postgres
import JSONWire
import SessionStore

/// `SessionMaintenance` on a shared PostgreSQL store: listing and paging as in SQLite; a purge never
/// touches a session a live engine holds (its lease is running, or one of its batches has the row
/// locked right now: `FOR UPDATE SKIP LOCKED`).
extension PostgresSessionStore: SessionMaintenance {
    static func values(_ values: [StoreValue]) -> [PostgresConnectionBox.Value] {
        values.map { value in
            switch value {
            case .null: .null
            case .int(let number): .int(number)
            case .double(let number): .double(number)
            case .text(let text): .text(text)
            }
        }
    }

    public func listSessions(_ filter: SessionFilter, limit: Int) throws -> [SessionRecord] {
        let (sql, values) = filter.listStatement(limit: limit, dialect: .postgres)
        return try doing("listing sessions") {
            try read(sql, Self.values(values)).map(SessionRecord.init(row:))
        }
    }

    public func sessionIDs(_ filter: SessionFilter, after: String?, limit: Int) throws -> [String] {
        let (sql, values) = filter.idPageStatement(after: after, limit: limit, dialect: .postgres)
        return try doing("listing session ids") {
            try read(sql, Self.values(values)).map { try $0.requiredText("id") }
        }
    }

    /// The ids are locked first (`FOR UPDATE`), so that every child table's DELETE sees the same
    /// sessions, and an engine that claims one of them meanwhile waits for the purge to end.
    public func purgeSessions(_ filter: SessionFilter, dryRun: Bool) throws -> PurgeCount {
        let (condition, values) = filter.clause(endedOnly: true, parameter: SQLDialect.postgres.parameter)
        let unheld = "\(condition) AND (owner IS NULL OR lease_expires_at IS NULL OR lease_expires_at < \(Self.now))"
        func count(_ sql: String, _ values: [PostgresConnectionBox.Value]) throws -> Int {
            try read(sql, values).first?.requiredInt("n") ?? 0
        }
        if dryRun {
            return try doing("counting the sessions to purge") {
                let doomed = "SELECT id FROM sessions WHERE \(unheld)"
                return PurgeCount(
                    sessions: try count("SELECT count(*) AS n FROM sessions WHERE \(unheld)", Self.values(values)),
                    messages: try count("SELECT count(*) AS n FROM messages WHERE session_id IN (\(doomed))", Self.values(values)),
                    eventRecords: try count("SELECT count(*) AS n FROM events WHERE session_id IN (\(doomed))", Self.values(values)))
            }
        }
        return try doing("purging sessions") {
            _ = try read("BEGIN")
            do {
                let ids = try read("SELECT id FROM sessions WHERE \(unheld) ORDER BY id FOR UPDATE SKIP LOCKED", Self.values(values))
                    .map { try $0.requiredText("id") }
                var purged = PurgeCount()
                for table in StoreSchema.perSessionTables + ["sessions"] {
                    let key = table == "sessions" ? "id" : "session_id"
                    let n = try count(
                        "WITH gone AS (DELETE FROM \(table) WHERE \(key) = ANY($1::text[]) RETURNING 1) SELECT count(*) AS n FROM gone",
                        [.textArray(ids)])
                    switch table {
                    case "messages": purged.messages = n
                    case "events": purged.eventRecords = n
                    case "sessions": purged.sessions = n
                    default: break
                    }
                }
                _ = try read("COMMIT")
                return purged
            } catch {
                rollback()
                throw error
            }
        }
    }
}
#endif
