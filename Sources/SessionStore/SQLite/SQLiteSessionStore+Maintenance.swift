import JSONWire

/// `SessionMaintenance` on one SQLite file. The listing and paging work read-only beside a running
/// engine; a purge needs the file's lock (`init(path:)`), so it runs only when no engine has it.
extension SQLiteSessionStore: SessionMaintenance {
    public func listSessions(_ filter: SessionFilter, limit: Int) throws -> [SessionRecord] {
        let (sql, values) = filter.listStatement(limit: limit, dialect: .sqlite)
        return try StoreError.during("listing sessions") {
            try database.statement(sql).bind(values).rows(SessionRecord.init(row:))
        }
    }

    public func sessionIDs(_ filter: SessionFilter, after: String?, limit: Int) throws -> [String] {
        let (sql, values) = filter.idPageStatement(after: after, limit: limit, dialect: .sqlite)
        return try StoreError.during("listing session ids") {
            try database.statement(sql).bind(values).rows { try $0.requiredText("id") }
        }
    }

    /// Three statements per table, each through an index: the sessions by their filter, their
    /// children through `<table>_by_session` (`resume` by its key). Foreign keys checked per row.
    public func purgeSessions(_ filter: SessionFilter, dryRun: Bool) throws -> PurgeCount {
        let (condition, values) = filter.clause(endedOnly: true, parameter: SQLDialect.sqlite.parameter)
        let doomed = "SELECT id FROM sessions WHERE \(condition)"
        func count(_ sql: String) throws -> Int {
            try database.statement(sql).bind(values).rows { try $0.requiredInt("n") }.first ?? 0
        }
        if dryRun {
            return try StoreError.during("counting the sessions to purge") {
                PurgeCount(
                    sessions: try count("SELECT count(*) AS n FROM sessions WHERE \(condition)"),
                    messages: try count("SELECT count(*) AS n FROM messages WHERE session_id IN (\(doomed))"),
                    eventRecords: try count("SELECT count(*) AS n FROM events WHERE session_id IN (\(doomed))"))
            }
        }
        try begin()
        do {
            var purged = PurgeCount()
            try StoreError.during("purging sessions") {
                for table in StoreSchema.perSessionTables {
                    try database.statement("DELETE FROM \(table) WHERE session_id IN (\(doomed))").bind(values).run()
                    if table == "messages" { purged.messages = database.changes }
                    if table == "events" { purged.eventRecords = database.changes }
                }
                try database.statement("DELETE FROM sessions WHERE \(condition)").bind(values).run()
                purged.sessions = database.changes
            }
            try commit()
            return purged
        } catch {
            rollback()
            throw error
        }
    }
}
