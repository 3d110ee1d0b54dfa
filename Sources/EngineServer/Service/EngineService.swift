import ContextEngine
import Foundation
import JSONWire
import Tokenizer

/// A method's result: a value, or bytes already encoded as JSON (the hot path).
public enum RPCResult {
    case value(JSONValue)
    case encoded([UInt8])
}

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
    /// Last activity of each active session, for idle expiry without touching the sessions.
    var activity: [String: Double] = [:]
    /// No active session can expire before this (monotonic seconds): the idle scan runs only then.
    var earliestExpiry = Double.infinity
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
    public func handle(_ request: Request) throws(RPCError) -> RPCResult {
        let params = Params(request)
        switch request.method {
        case "session.open": return .value(try open(params))
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
        case "context.snapshot": return .value(try snapshot(params))
        case "session.ping": return .value(try ping(params))
        case "session.close": return .value(try close(params))
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
        let served = ServedSession(
            context: context, renderer: renderer, business: try params.optionalString("business"),
            location: try params.optionalString("location"), user: try params.optionalString("user"),
            metadata: try params.optionalObject("metadata"), createdAt: wallNow(), lastActivity: now)
        let snapshot = served.context.snapshot()
        _ = served.context.takeDelta()
        sessions[id] = served
        touch(served, id: id, at: now)
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

    func append(_ params: Params) throws(RPCError) -> RPCResult {
        let role = TurnRole(rawValue: try params.oneOf("role", ["user", "model"]))!
        let text = try params.string("text")
        let final = try params.optionalBool("final") ?? true
        _ = try params.optionalObject("metadata")
        return try change(params) { try $0.appendTurn(role, text: text, final: final) }
    }

    func snapshot(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        guard let session = sessions[id] else { throw Self.unknown(id) }
        if session.status == .active { touch(session, id: id, at: monotonicNow()) }
        let renderer: Renderer
        if let name = try params.optionalString("renderer") {
            renderer = Renderer(rawValue: try params.oneOf("renderer", Renderer.allCases.map(\.rawValue)))!
            _ = name
        } else {
            renderer = session.renderer
        }
        let snapshot = session.context.snapshot()
        return [
            "session": .string(id), "status": .string(session.status.rawValue), "usage": snapshot.usage.json,
            "hash": .string(snapshot.hash), "renderer": .string(renderer.rawValue), "snapshot": renderer.render(snapshot),
        ]
    }

    func ping(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let session = try activeSession(id)
        touch(session, id: id, at: monotonicNow())
        return ["session": .string(id), "status": "active", "idleTimeoutSeconds": .double(options.idleTimeout)]
    }

    func close(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let status = ServedSession.Status(rawValue: try params.oneOf("status", ["closed", "resolved"], default: "closed"))!
        let session = try activeSession(id)
        session.status = status
        activity[id] = nil
        return [
            "session": .string(id), "status": .string(status.rawValue),
            "figures": [
                "durationSeconds": .double(max(0, wallNow() - session.createdAt)),
                "messages": JSONValue(session.messages), "usage": session.context.currentUsage.json,
            ],
        ]
    }

    /// Applies a state-changing event to an active session; the result carries usage, delta, hash.
    /// Written straight to bytes: this is the hot path of a call.
    func change(_ params: Params, _ event: (inout ContextSession) throws -> EventOutcome) throws(RPCError) -> RPCResult {
        let id = try params.string("session")
        let session = try activeSession(id)
        let outcome: EventOutcome
        do {
            outcome = try event(&session.context)
        } catch let error as ContextError {
            throw Self.rpcError(error, session: id)
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(RPCError.internalError, "\(error)")
        }
        touch(session, id: id, at: monotonicNow())
        session.messages += outcome.transcript.count
        var bytes = [UInt8]()
        bytes.reserveCapacity(384)
        bytes.append(contentsOf: #"{"session":"#.utf8)
        JSONWriter.writeString(id, into: &bytes)
        bytes.append(contentsOf: #","version":"#.utf8)
        JSONWriter.writeInteger(Int64(session.context.version), into: &bytes)
        bytes.append(contentsOf: #","usage":"#.utf8)
        outcome.usage.writeJSON(into: &bytes)
        bytes.append(contentsOf: #","delta":"#.utf8)
        outcome.delta.writeJSON(into: &bytes)
        bytes.append(contentsOf: #","hash":""#.utf8)
        bytes.append(contentsOf: outcome.hash.utf8)
        bytes.append(UInt8(ascii: "\""))
        if !outcome.notes.isEmpty {
            bytes.append(contentsOf: #","notes":"#.utf8)
            JSONWriter.write(.array(outcome.notes.map(\.json)), into: &bytes)
        }
        if let pending = session.context.pendingInstruction {
            bytes.append(contentsOf: #","pendingInstruction":"#.utf8)
            JSONWriter.writeString(pending.id, into: &bytes)
        }
        if let active = session.context.activeInstructionID {
            bytes.append(contentsOf: #","activeInstruction":"#.utf8)
            JSONWriter.writeString(active, into: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        return .encoded(bytes)
    }

    // MARK: - Lifecycle

    /// Records activity; O(1). The earliest-expiry bound only ever moves later on a rescan.
    func touch(_ session: ServedSession, id: String, at now: Double) {
        session.lastActivity = now
        activity[id] = now
        earliestExpiry = min(earliestExpiry, now + options.idleTimeout)
    }

    /// Sessions idle past the timeout become abandoned; returns the notifications to send.
    ///
    /// - Complexity: O(1) until some session may have expired; then one scan over the active
    ///   sessions' timestamps, which also finds the next earliest expiry.
    public func expireIdleSessions() -> [JSONValue] {
        let now = monotonicNow()
        guard now >= earliestExpiry else { return [] }
        var expired = [(String, Double)]()
        var earliest = Double.infinity
        for (id, last) in activity {
            if now - last >= options.idleTimeout {
                expired.append((id, now - last))
            } else {
                earliest = min(earliest, last + options.idleTimeout)
            }
        }
        earliestExpiry = earliest
        return expired.sorted { $0.0 < $1.0 }.map { id, idle in
            sessions[id]?.status = .abandoned
            activity[id] = nil
            return [
                "jsonrpc": "2.0", "method": "session.abandoned",
                "params": ["session": .string(id), "idleSeconds": .double(idle.rounded())],
            ]
        }
    }

    /// Seconds until the next session could expire (for the server's poll timeout), nil if none is active.
    public func secondsUntilNextExpiry() -> Double? {
        activity.isEmpty ? nil : max(0, earliestExpiry - monotonicNow())
    }

    // MARK: - Errors

    func activeSession(_ id: String) throws(RPCError) -> ServedSession {
        guard let session = sessions[id] else { throw Self.unknown(id) }
        guard session.status == .active else {
            throw RPCError(RPCError.sessionNotActive, "session \"\(id)\" is \(session.status.rawValue)",
                           data: ["session": .string(id), "status": .string(session.status.rawValue)])
        }
        return session
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
