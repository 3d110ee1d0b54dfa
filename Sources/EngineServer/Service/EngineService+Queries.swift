import JSONWire
import SessionStore

/// `session.get`, `session.messages`, `sessions.active`, `sessions.history`, `sessions.stats`.
extension EngineService {
    func requireStore(_ method: String) throws(RPCError) -> SessionStore {
        guard let store else {
            throw RPCError(RPCError.storeUnavailable, "\(method) needs a store; this engine runs with --store none")
        }
        return store
    }

    func query<T>(_ body: () throws -> T) throws(RPCError) -> T {
        do { return try body() } catch {
            throw RPCError(RPCError.storeUnavailable, "the store could not answer: \(error)")
        }
    }

    func getSession(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        if let status = registry.tombstone(id) {
            // Without a store an ended session keeps only its id and status.
            return ["id": .string(id), "status": .string(status.rawValue)]
        }
        let session = try servedSession(id)
        var object = session.record.map(Self.json) ?? ["id": .string(id), "status": .string(session.status.rawValue)]
        object["status"] = .string(session.status.rawValue)
        object["usage"] = session.context.currentUsage.json
        object["hash"] = .string(session.context.hash)
        return .object(object)
    }

    /// Bytes of messages one `session.messages` answer holds at most (one larger message is still
    /// answered alone, so a transcript can always be read through). 500 messages with ~540 KB of
    /// metadata each made one 270 MB line: 5.7 s during which nothing else was served, 839 MB peak.
    public static let messagesByteBudget = 1 << 20
    /// Rows read from the store per step while filling an answer: at most this many rows are read
    /// beyond the budget.
    static let messagesReadStep = 16

    /// `session.messages {session, limit?, after? | cursor?}`: one page of the transcript in seq
    /// order, at most `limit` messages (default 50, max 500) and `messagesByteBudget` bytes, starting
    /// after the seq `after` (or the `cursor` a previous page answered as `nextCursor`).
    /// `nextCursor` is null on the last page.
    ///
    /// - Complexity: O(page) whatever the page's position: each step is a (session, seq) index range.
    func sessionMessages(_ params: Params) throws(RPCError) -> Reply {
        let store = try requireStore("session.messages")
        let id = try params.string("session")
        let limit = try params.optionalInt("limit", min: 1, max: 500) ?? 50
        var after = try params.optionalInt("after", min: -1) ?? -1
        if let cursor = try params.optionalString("cursor") {
            guard params.object["after"].map({ $0 == .null }) ?? true else {
                throw RPCError(RPCError.invalidParams, "session.messages: give \"after\" or \"cursor\", not both",
                               data: ["param": "cursor"])
            }
            guard let seq = Int(cursor), seq >= -1 else {
                throw RPCError(RPCError.invalidParams, "session.messages: \"cursor\" must be a nextCursor this method answered, got \"\(cursor)\"",
                               data: ["param": "cursor"])
            }
            after = seq
        }
        _ = try servedSession(id)
        unit.flush()
        var bytes = [UInt8]()
        bytes.append(contentsOf: #"{"session":"#.utf8)
        JSONWriter.writeString(id, into: &bytes)
        bytes.append(contentsOf: #","messages":["#.utf8)
        let start = bytes.count
        var taken = 0
        var more = false
        var last = after
        reading: while true {
            let step = min(Self.messagesReadStep, limit + 1 - taken)
            let page = try query { try store.messages(session: id, after: last, limit: step) }
            for message in page {
                var one = [UInt8]()
                JSONWriter.write(Self.json(message), into: &one)
                if taken == limit || (taken > 0 && bytes.count - start + one.count > Self.messagesByteBudget) {
                    more = true
                    break reading
                }
                if taken > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(contentsOf: one)
                taken += 1
                last = message.seq
            }
            if page.count < step { break }
        }
        bytes.append(contentsOf: #"],"nextCursor":"#.utf8)
        if more {
            JSONWriter.writeString(String(last), into: &bytes)
        } else {
            bytes.append(contentsOf: "null".utf8)
        }
        bytes.append(UInt8(ascii: "}"))
        return Reply(result: .encoded(bytes), changed: false)
    }

    /// A message as `session.messages` answers it (also `tokenbudget sessions messages`).
    public static func json(_ message: StoredMessage) -> JSONValue {
        [
            "messageId": .string(message.messageID), "sessionId": .string(message.sessionID),
            "seq": JSONValue(message.seq), "type": .string(message.type), "content": .string(message.content),
            "tokens": JSONValue(message.tokens), "timestamp": .double(message.timestamp),
            "metadata": message.metadata ?? .null,
        ]
    }

    func activeSession(_ params: Params) throws(RPCError) -> JSONValue {
        let store = try requireStore("sessions.active")
        let business = try params.optionalString("business"), user = try params.optionalString("user")
        unit.flush()
        let record = try query { try store.activeSession(business: business, user: user) }
        return ["session": record.map { .object(Self.json($0)) } ?? .null]
    }

    func sessionHistory(_ params: Params) throws(RPCError) -> JSONValue {
        let store = try requireStore("sessions.history")
        let business = try params.optionalString("business"), user = try params.optionalString("user")
        let limit = try params.optionalInt("limit", min: 1, max: 100) ?? 20
        unit.flush()
        let records = try query { try store.history(business: business, user: user, limit: limit) }
        return ["sessions": .array(records.map { .object(Self.json($0)) })]
    }

    func sessionStatistics() throws(RPCError) -> JSONValue {
        let store = try requireStore("sessions.stats")
        unit.flush()
        return Self.json(try query { try store.statistics() })
    }

    /// `{byStatus: {active, closed, resolved, abandoned}}`, every status present (zeros when none):
    /// the answer of `sessions.stats` and of `tokenbudget sessions stats`.
    public static func json(_ statistics: [StatusStatistics]) -> JSONValue {
        var byStatus = JSONObject()
        for status in ["active", "closed", "resolved", "abandoned"] {
            let row = statistics.first { $0.status == status }
            byStatus[status] = [
                "count": JSONValue(row?.count ?? 0), "averageDurationSeconds": .double(row?.averageDurationSeconds ?? 0),
                "averageMessages": .double(row?.averageMessages ?? 0),
            ]
        }
        return ["byStatus": .object(byStatus)]
    }

    public static func json(_ record: SessionRecord) -> JSONObject {
        [
            "id": .string(record.id), "businessId": record.business.map { .string($0) } ?? .null,
            "locationId": record.location.map { .string($0) } ?? .null, "userId": record.user.map { .string($0) } ?? .null,
            "status": .string(record.status), "createdAt": .double(record.createdAt), "updatedAt": .double(record.updatedAt),
            "lastMessageAt": record.lastMessageAt.map { .double($0) } ?? .null,
            "expiresAt": record.expiresAt.map { .double($0) } ?? .null, "metadata": record.metadata ?? .null,
            "configuration": record.configuration, "scriptHash": .string(record.scriptHash),
            "messageCount": JSONValue(record.messageCount), "figures": record.figures ?? .null,
            "snapshotVersion": JSONValue(record.snapshotVersion),
            "snapshotHash": record.snapshotHash.map { .string($0) } ?? .null,
        ]
    }
}
