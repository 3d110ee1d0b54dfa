import ContextEngine
import JSONWire

/// What a method did: its result, and whether it changed state (then its answer waits for the batch's
/// commit, and becomes the commit's error if that fails).
public struct Reply {
    public var result: RPCResult
    public var changed: Bool

    static func read(_ value: JSONValue) -> Reply { Reply(result: .value(value), changed: false) }
    static func changed(_ value: JSONValue) -> Reply { Reply(result: .value(value), changed: true) }
}

/// A method's result: a value, or bytes already encoded as JSON (the hot path).
public enum RPCResult {
    case value(JSONValue)
    case encoded([UInt8])
}

/// `providerItemId`: the provider's id for a turn it created, what a `conversation.item.delete` names
/// later; an empty one was accepted and the delete named "" (audit L5). Checked on the wire only: a
/// stored log rebuilds as it was written.
private func providerItemID(_ params: Params) throws(RPCError) -> String? {
    let id = try params.optionalString("providerItemId")
    if id?.isEmpty == true {
        throw RPCError(RPCError.invalidParams, "turn.append: \"providerItemId\" must not be empty (the provider's id for the turn)",
                       data: ["param": "providerItemId"])
    }
    return id
}

/// The protocol's methods: name → handler (docs/protocol.md). The context's events have one generic
/// handler each, fed by a params decoder that makes the `ContextEvent`; a new event kind is one entry
/// here plus its case in `ContextEvent`.
struct MethodTable: Sendable {
    typealias Handler = @Sendable (EngineService, Params) throws(RPCError) -> Reply

    let handlers: [String: Handler]

    static let standard = MethodTable(handlers: [
        // The context's events.
        "turn.append": event { params throws(RPCError) in
            let role = TurnRole(rawValue: try params.oneOf("role", ["user", "model"]))!
            // 24 h of audio at most: a number past it is a unit mistake, not a turn.
            let event = ContextEvent.turn(
                role, text: try params.string("text"), final: try params.optionalBool("final") ?? true,
                audioMs: try params.optionalInt("audioMs", min: 0, max: Bounds.maxDurationMs),
                providerItemID: try providerItemID(params))
            return (event, try params.optionalObject("metadata").map { .object($0) })
        },
        "instruction.push": event { params throws(RPCError) in (.instruction(text: try params.string("text")), nil) },
        "client.speechStarted": event { _ throws(RPCError) in (.speechStarted, nil) },
        "model.turnComplete": event { _ throws(RPCError) in (.turnComplete, nil) },
        "summary.set": event { params throws(RPCError) in
            guard let value = params.object["text"], value == .null || value.stringValue != nil else {
                throw RPCError(RPCError.invalidParams, "summary.set: expected a string or null for \"text\"",
                               data: ["param": "text"])
            }
            return (.summary(text: value.stringValue), nil)
        },
        // Session lifecycle and reads.
        "session.open": { service, params throws(RPCError) in try service.open(params) },
        "session.close": { service, params throws(RPCError) in try service.close(params) },
        "session.resume": { service, params throws(RPCError) in try service.resumeSession(params) },
        "session.ping": { service, params throws(RPCError) in .read(try service.ping(params)) },
        "context.snapshot": { service, params throws(RPCError) in .read(try service.snapshot(params)) },
        // Stored sessions.
        "session.get": { service, params throws(RPCError) in .read(try service.getSession(params)) },
        "session.messages": { service, params throws(RPCError) in try service.sessionMessages(params) },
        "sessions.active": { service, params throws(RPCError) in .read(try service.activeSession(params)) },
        "sessions.history": { service, params throws(RPCError) in .read(try service.sessionHistory(params)) },
        "sessions.stats": { service, _ throws(RPCError) in .read(try service.sessionStatistics()) },
        // Provider connections.
        "resume.update": { service, params throws(RPCError) in .changed(try service.resumeUpdate(params)) },
        "resume.goAway": { service, params throws(RPCError) in try service.resumeGoAway(params) },
        "resume.connected": { service, params throws(RPCError) in try service.resumeConnected(params) },
        "usage.report": { service, params throws(RPCError) in try service.usageReport(params) },
        // The protocol as data (docs/openrpc.json).
        "rpc.discover": { _, _ throws(RPCError) in .read(OpenRPC.document) },
    ])

    /// The handler of a context event: decode the params, apply the event to the named session.
    static func event(_ decode: @escaping @Sendable (Params) throws(RPCError) -> (ContextEvent, metadata: JSONValue?)) -> Handler {
        { service, params throws(RPCError) in
            let (event, metadata) = try decode(params)
            return try service.change(params, event, metadata: metadata)
        }
    }

    /// The handler of `method`, once its params are names the protocol knows for it (docs/openrpc.json):
    /// a misspelt name (`"Final": false`) is refused, never silently ignored.
    func handler(_ method: String, params: JSONObject) throws(RPCError) -> Handler {
        guard let handler = handlers[method] else {
            throw RPCError(RPCError.methodNotFound, "unknown method \"\(method)\"", data: ["method": .string(method)])
        }
        if let allowed = OpenRPC.params[method] {
            for (name, _) in params.members where !allowed.contains(name) {
                throw RPCError(
                    RPCError.invalidParams,
                    "\(method): unknown parameter \"\(name)\"; it takes "
                        + (allowed.isEmpty ? "none" : allowed.sorted().map { "\"\($0)\"" }.joined(separator: ", ")),
                    data: ["param": .string(name)])
            }
        }
        return handler
    }
}
