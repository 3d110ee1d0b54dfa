import ContextEngine
import Foundation
import JSONWire
import Tokenizer

/// The protocol's methods over in-memory sessions. Single-threaded: the server calls it from its
/// one loop, so requests are answered in the order they arrive.
public final class EngineService {
    public struct Options: Sendable {
        /// A session with no request for this long becomes `abandoned` (and a notification says so).
        public var idleTimeout: Double = 30 * 60
        public var defaultEncoding = "o200k_base"
        public init() {}
    }

    let options: Options
    var sessions: [String: ServedSession] = [:]
    let scripts = ScriptRegistry()
    /// Monotonic seconds; injectable for tests of the idle timeout.
    let monotonicNow: () -> Double
    let wallNow: () -> Double

    public init(options: Options = Options(),
                monotonicNow: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
                wallNow: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.options = options
        self.monotonicNow = monotonicNow
        self.wallNow = wallNow
    }

    /// Handles one request; returns its result or throws the error to answer with.
    public func handle(_ request: Request) throws(RPCError) -> JSONValue {
        let params = Params(request)
        switch request.method {
        case "session.open": return try open(params)
        case "turn.append": return try append(params)
        case "instruction.push":
            let text = try params.string("text")
            return try change(params) { try $0.pushInstruction(text) }
        case "client.speechStarted": return try change(params) { try $0.clientSpeechStarted() }
        case "model.turnComplete": return try change(params) { $0.modelTurnComplete() }
        case "summary.set":
            guard let value = params.object["text"], value == .null || value.stringValue != nil else {
                throw RPCError(RPCError.invalidParams, "summary.set: expected a string or null for \"text\"",
                               data: ["param": "text"])
            }
            return try change(params) { try $0.setSummary(value.stringValue) }
        case "context.snapshot": return try snapshot(params)
        case "session.ping": return try ping(params)
        case "session.close": return try close(params)
        default:
            throw RPCError(RPCError.methodNotFound, "unknown method \"\(request.method)\"", data: ["method": .string(request.method)])
        }
    }

    // MARK: - Methods

    func open(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        if let existing = sessions[id], existing.status == .active {
            throw RPCError(RPCError.sessionExists, "session \"\(id)\" is already open", data: ["session": .string(id)])
        }
        let encodingName = try params.optionalString("encoding") ?? options.defaultEncoding
        let tokenizer: BPEEncoding
        do {
            tokenizer = try BPEEncoding.named(encodingName)
        } catch {
            throw RPCError(RPCError.tokenizerUnavailable, "\(error)", data: ["encoding": .string(encodingName)])
        }
        let scriptText: String
        if let text = try params.optionalString("script") {
            scriptText = text
        } else if let path = try params.optionalString("scriptFile") {
            guard let data = FileManager.default.contents(atPath: path),
                let text = String(data: data, encoding: .utf8)
            else {
                throw RPCError(RPCError.scriptUnreadable, "cannot read scriptFile \(path) as UTF-8 text",
                               data: ["scriptFile": .string(path)])
            }
            scriptText = text
        } else {
            throw RPCError(RPCError.invalidParams, "session.open: give \"script\" (text) or \"scriptFile\" (a path)",
                           data: ["param": "script"])
        }
        let renderer = Renderer(rawValue: try params.oneOf("renderer", Renderer.allCases.map(\.rawValue), default: "neutral"))!
        var configuration = SessionConfiguration(renderer: renderer.rawValue)
        configuration.window = try params.optionalInt("window", min: 1) ?? SessionConfiguration.defaultWindow
        configuration.reserve = try params.optionalInt("reserve", min: 0) ?? 0
        if let policy = params.object["policy"], policy != .null {
            do {
                configuration.policy = try ContextPolicy.from(parameter: policy)
            } catch let error as ContextError {
                throw RPCError(RPCError.invalidPolicy, error.message)
            } catch {
                throw RPCError(RPCError.invalidPolicy, "\(error)")
            }
        }
        let script = scripts.script(text: scriptText, tokenizer: tokenizer)
        let context: ContextSession
        do {
            context = try ContextSession(id: id, script: script, configuration: configuration, tokenizer: tokenizer)
        } catch let error as ContextError {
            throw Self.rpcError(error, session: id)
        } catch {
            throw RPCError(RPCError.internalError, "\(error)")
        }
        let now = monotonicNow()
        var served = ServedSession(
            context: context, renderer: renderer, business: try params.optionalString("business"),
            location: try params.optionalString("location"), user: try params.optionalString("user"),
            metadata: try params.optionalObject("metadata"), createdAt: wallNow(), lastActivity: now)
        let snapshot = served.context.snapshot()
        _ = served.context.takeDelta()
        sessions[id] = served
        let usage = snapshot.usage
        return [
            "session": .string(id),
            "status": "active",
            "encoding": .string(tokenizer.name),
            "script": ["tokens": JSONValue(script.tokens), "hash": .string(script.hashHex)],
            "policy": configuration.policy.json,
            "usage": usage.json,
            "capacity": [
                "limit": JSONValue(usage.limit), "room": JSONValue(usage.limit - usage.script),
                "overheadPerItem": JSONValue(configuration.policy.overhead(for: renderer.rawValue)),
            ],
            "hash": .string(snapshot.hash),
            "snapshot": renderer.render(snapshot),
        ]
    }

    func append(_ params: Params) throws(RPCError) -> JSONValue {
        let role = TurnRole(rawValue: try params.oneOf("role", ["user", "model"]))!
        let text = try params.string("text")
        let final = try params.optionalBool("final") ?? true
        _ = try params.optionalObject("metadata")
        return try change(params) { try $0.appendTurn(role, text: text, final: final) }
    }

    func snapshot(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        guard let session = sessions[id] else { throw Self.unknown(id) }
        let renderer: Renderer
        if let name = try params.optionalString("renderer") {
            renderer = Renderer(rawValue: try params.oneOf("renderer", Renderer.allCases.map(\.rawValue)))!
            _ = name
        } else {
            renderer = session.renderer
        }
        sessions[id]!.lastActivity = monotonicNow()
        let snapshot = session.context.snapshot()
        return [
            "session": .string(id), "status": .string(session.status.rawValue), "usage": snapshot.usage.json,
            "hash": .string(snapshot.hash), "renderer": .string(renderer.rawValue), "snapshot": renderer.render(snapshot),
        ]
    }

    func ping(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        guard sessions[id] != nil else { throw Self.unknown(id) }
        try requireActive(id)
        sessions[id]!.lastActivity = monotonicNow()
        return ["session": .string(id), "status": "active", "idleTimeoutSeconds": .double(options.idleTimeout)]
    }

    func close(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let status = ServedSession.Status(rawValue: try params.oneOf("status", ["closed", "resolved"], default: "closed"))!
        guard sessions[id] != nil else { throw Self.unknown(id) }
        try requireActive(id)
        sessions[id]!.status = status
        let session = sessions[id]!
        return [
            "session": .string(id), "status": .string(status.rawValue),
            "figures": [
                "durationSeconds": .double(max(0, wallNow() - session.createdAt)),
                "messages": JSONValue(session.messages), "usage": session.context.currentUsage.json,
            ],
        ]
    }

    /// Applies a state-changing event to an active session; the result carries usage, delta, hash.
    func change(_ params: Params, _ event: (inout ContextSession) throws -> EventOutcome) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        guard sessions[id] != nil else { throw Self.unknown(id) }
        try requireActive(id)
        let outcome: EventOutcome
        do {
            outcome = try event(&sessions[id]!.context)
        } catch let error as ContextError {
            throw Self.rpcError(error, session: id)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(RPCError.internalError, "\(error)")
        }
        sessions[id]!.lastActivity = monotonicNow()
        sessions[id]!.messages += outcome.transcript.count
        var result: JSONObject = [
            "session": .string(id), "version": JSONValue(sessions[id]!.context.version), "usage": outcome.usage.json,
            "delta": outcome.delta.json, "hash": .string(outcome.hash),
        ]
        if !outcome.notes.isEmpty { result["notes"] = .array(outcome.notes.map(\.json)) }
        if let pending = sessions[id]!.context.pendingInstruction { result["pendingInstruction"] = .string(pending.id) }
        if let active = sessions[id]!.context.activeInstructionID { result["activeInstruction"] = .string(active) }
        return .object(result)
    }

    // MARK: - Lifecycle

    /// Sessions idle past the timeout become abandoned; returns the notifications to send.
    public func expireIdleSessions() -> [JSONValue] {
        let now = monotonicNow()
        var notifications = [JSONValue]()
        for (id, session) in sessions where session.status == .active && now - session.lastActivity >= options.idleTimeout {
            sessions[id]!.status = .abandoned
            notifications.append([
                "jsonrpc": "2.0", "method": "session.abandoned",
                "params": ["session": .string(id), "idleSeconds": .double((now - session.lastActivity).rounded())],
            ])
        }
        return notifications.sorted { ($0["params"]?["session"]?.stringValue ?? "") < ($1["params"]?["session"]?.stringValue ?? "") }
    }

    /// Seconds until the next session could expire (for the server's poll timeout), nil if none is active.
    public func secondsUntilNextExpiry() -> Double? {
        let now = monotonicNow()
        return sessions.values.filter { $0.status == .active }
            .map { max(0, $0.lastActivity + options.idleTimeout - now) }.min()
    }

    // MARK: - Errors

    func requireActive(_ id: String) throws(RPCError) {
        let status = sessions[id]!.status
        guard status == .active else {
            throw RPCError(RPCError.sessionNotActive, "session \"\(id)\" is \(status.rawValue)",
                           data: ["session": .string(id), "status": .string(status.rawValue)])
        }
    }

    static func unknown(_ id: String) -> RPCError {
        RPCError(RPCError.unknownSession, "unknown session \"\(id)\"", data: ["session": .string(id)])
    }

    static func rpcError(_ error: ContextError, session: String) -> RPCError {
        let code: Int
        switch error.code {
        case .scriptOverBudget: code = RPCError.scriptOverBudget
        case .overBudget: code = RPCError.overBudget
        case .instructionTooLong: code = RPCError.instructionTooLong
        case .invalidPolicy: code = RPCError.invalidPolicy
        case .invalidConfiguration: code = RPCError.invalidConfiguration
        }
        return RPCError(code, error.message, data: ["session": .string(session), "reason": .string(error.code.rawValue)])
    }
}
