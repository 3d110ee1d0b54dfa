/// Which stored sessions a listing, an export or a purge is about. A filter left nil (or `statuses`
/// left empty) means *any*: unlike `history`, where an omitted business or user means "none given
/// at open" (`IS NULL`).
public struct SessionFilter: Sendable, Equatable {
    /// Any of these statuses; empty: any status.
    public var statuses: [String]
    public var business: String?
    public var user: String?
    /// Created at or after this Unix time.
    public var createdSince: Double?
    /// Last updated strictly before this Unix time (purge: "ended before").
    public var updatedBefore: Double?

    public init(statuses: [String] = [], business: String? = nil, user: String? = nil, createdSince: Double? = nil,
                updatedBefore: Double? = nil) {
        self.statuses = statuses
        self.business = business
        self.user = user
        self.createdSince = createdSince
        self.updatedBefore = updatedBefore
    }

    /// The statuses a session may end in; a purge touches only these.
    public static let endedStatuses = ["closed", "resolved", "abandoned"]
    public static let allStatuses = ["active"] + endedStatuses
}

/// What a purge removed (or, dry, would remove).
public struct PurgeCount: Sendable, Equatable {
    public var sessions: Int
    public var messages: Int
    /// Event records (one per session per batch, `StoreSchema.events`).
    public var eventRecords: Int

    public init(sessions: Int = 0, messages: Int = 0, eventRecords: Int = 0) {
        self.sessions = sessions
        self.messages = messages
        self.eventRecords = eventRecords
    }
}

/// Operator queries over many sessions: listing, paging through all of them for an export, and
/// purging ended ones (`tokenbudget sessions list|export|purge`). Kept apart from `SessionStore`
/// (what an engine needs) so that neither backend's engine path changes.
public protocol SessionMaintenance: SessionStore {
    /// At most `limit` sessions matching `filter`, newest first (created_at, then id, descending).
    ///
    /// - Complexity: with business and user given, the `sessions_by_owner` index yields them in order;
    ///   otherwise one scan of the matching rows with a top-`limit` sort (no index on created_at alone).
    func listSessions(_ filter: SessionFilter, limit: Int) throws -> [SessionRecord]
    /// Ids of at most `limit` sessions matching `filter` whose id sorts after `after`, in id order:
    /// pages through every session by the primary key, O(page) each whatever the page's position.
    func sessionIDs(_ filter: SessionFilter, after: String?, limit: Int) throws -> [String]
    /// Deletes, in one transaction, the sessions matching `filter` that have ended (never an active
    /// one; in a shared store never one a live engine holds) with their events, messages, resume
    /// state, kept answers and checkpoints (`StoreSchema.perSessionTables`). `dryRun`: counts only, changes nothing.
    func purgeSessions(_ filter: SessionFilter, dryRun: Bool) throws -> PurgeCount
}

extension SessionFilter {
    /// The WHERE clause (without the keyword; `TRUE`-like when empty) and its values, parameters
    /// numbered from `first`. `parameter` renders the n-th placeholder of the dialect.
    public func clause(endedOnly: Bool = false, first: Int = 1, parameter: (Int) -> String) -> (sql: String, values: [StoreValue]) {
        var terms: [String] = [], values: [StoreValue] = []
        func bind(_ value: StoreValue) -> String {
            values.append(value)
            return parameter(first + values.count - 1)
        }
        let statuses = endedOnly
            ? (self.statuses.isEmpty ? Self.endedStatuses : self.statuses.filter(Self.endedStatuses.contains))
            : self.statuses
        // An ended-only purge whose statuses were all `active` matches nothing: `status IN ()` is not SQL.
        if endedOnly && statuses.isEmpty { terms.append("1 = 0") }
        if !statuses.isEmpty { terms.append("status IN (\(statuses.map { bind(.text($0)) }.joined(separator: ", ")))") }
        if let business { terms.append("business_id = \(bind(.text(business)))") }
        if let user { terms.append("user_id = \(bind(.text(user)))") }
        if let createdSince { terms.append("created_at >= \(bind(.double(createdSince)))") }
        if let updatedBefore { terms.append("updated_at < \(bind(.double(updatedBefore)))") }
        return (terms.isEmpty ? "1 = 1" : terms.joined(separator: " AND "), values)
    }

    /// `listSessions`' statement in `dialect`: the matching sessions' columns, newest first.
    public func listStatement(limit: Int, dialect: SQLDialect) -> (sql: String, values: [StoreValue]) {
        let (condition, values) = clause(parameter: dialect.parameter)
        return ("\(SessionRecord.selectAll) WHERE \(condition) ORDER BY created_at DESC, id DESC LIMIT \(max(0, limit))", values)
    }

    /// `sessionIDs`' statement in `dialect`: the matching ids after `after`, in id order.
    public func idPageStatement(after: String?, limit: Int, dialect: SQLDialect) -> (sql: String, values: [StoreValue]) {
        var (condition, values) = clause(parameter: dialect.parameter)
        if let after {
            values.append(.text(after))
            condition += " AND id > \(dialect.parameter(values.count))"
        }
        return ("SELECT id FROM sessions WHERE \(condition) ORDER BY id LIMIT \(max(0, limit))", values)
    }
}

extension StoreSchema {
    /// The tables whose rows belong to one session (`session_id`): a purge deletes them before the
    /// session row (foreign keys). A table added by a later migration with a `session_id` belongs here.
    public static let perSessionTables = [events.name, messages.name, resume.name, requests.name, checkpoints.name]
}
