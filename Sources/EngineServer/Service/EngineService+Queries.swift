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
        let session = try servedSession(id)
        var object = session.record.map(Self.json) ?? ["id": .string(id), "status": .string(session.status.rawValue)]
        object["status"] = .string(session.status.rawValue)
        object["usage"] = session.context.currentUsage.json
        object["hash"] = .string(session.context.hash)
        return .object(object)
    }

    func sessionMessages(_ params: Params) throws(RPCError) -> JSONValue {
        let store = try requireStore("session.messages")
        let id = try params.string("session")
        let limit = try params.optionalInt("limit", min: 1, max: 500) ?? 50
        _ = try servedSession(id)
        let messages = try query { try store.messages(session: id, limit: limit) }
        return [
            "session": .string(id),
            "messages": .array(messages.map { message in
                [
                    "messageId": .string(message.messageID), "sessionId": .string(message.sessionID),
                    "seq": JSONValue(message.seq), "type": .string(message.type), "content": .string(message.content),
                    "tokens": JSONValue(message.tokens), "timestamp": .double(message.timestamp),
                    "metadata": message.metadata ?? .null,
                ]
            }),
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
