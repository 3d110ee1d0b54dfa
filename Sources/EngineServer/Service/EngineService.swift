import ContextEngine
import Foundation
import JSONWire
import SessionStore
import Tokenizer

/// A method's result: a value, or bytes already encoded as JSON (the hot path).
public enum RPCResult {
    case value(JSONValue)
    case encoded([UInt8])
}

/// The protocol's methods over sessions held in memory and, with a store, persisted. Single-threaded:
/// the server calls it from its one loop, so requests are answered in the order they arrive.
public final class EngineService {
    public struct Options: Sendable {
        /// A session with no request for this long becomes `abandoned` (and a notification says so).
        public var idleTimeout: Double = 30 * 60
        public var defaultEncoding = "o200k_base"
        /// Reconnect attempts a goAway plan offers before it re-seeds.
        public var maxReconnectAttempts = 3
        /// Delay the plan suggests before reconnecting.
        public var reconnectDelayMs = 1_000
        /// How long a resumption handle stays valid (Gemini: ~2 h).
        public var handleValiditySeconds: Double = 2 * 60 * 60
        /// This engine's name in a shared store (owner of its sessions' leases); unique per process.
        public var ownerID = EngineService.makeOwnerID()
        /// How long a session stays this engine's without a change or a renewal (shared stores):
        /// after a crash, another engine can take it over this much later. Renewed every third of it.
        public var leaseSeconds: Double = 15
        public init() {}
    }

    let options: Options
    let store: SessionStore?
    var sessions: [String: ServedSession] = [:]
    /// Last activity of each active session, for idle expiry without touching the sessions.
    var activity: [String: Double] = [:]
    /// No active session can expire before this (monotonic seconds): the idle scan runs only then.
    var earliestExpiry = Double.infinity
    let scripts = ScriptRegistry()
    /// Monotonic seconds; injectable for tests of the idle timeout.
    let monotonicNow: () -> Double
    let wallNow: () -> Double

    // Batch state (see EngineService+Persistence.swift).
    var batchOpen = false
    var batchFailure: Error?
    var touched: Set<String> = []
    var createdInBatch: Set<String> = []
    /// Sessions whose counters changed in this batch (written just before the commit).
    var progressed: Set<String> = []
    /// Events of this batch per session, written as one record each just before the commit.
    var pendingEvents: [String: [StoredEvent]] = [:]
    /// Monotonic time of the next lease renewal (shared stores).
    var nextLeaseRenewal: Double = 0
    /// Whether the last handled request changed state (its answer waits for the commit).
    public internal(set) var lastRequestChanged = false

    public init(options: Options = Options(), store: SessionStore? = nil,
                monotonicNow: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
                wallNow: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.options = options
        self.store = store
        self.monotonicNow = monotonicNow
        self.wallNow = wallNow
    }

    /// Handles one request; returns its result or throws the error to answer with.
    public func handle(_ request: Request) throws(RPCError) -> RPCResult {
        lastRequestChanged = false
        let params = Params(request)
        switch request.method {
        case "session.open": return .value(try open(params))
        case "turn.append": return try append(params)
        case "instruction.push":
            let text = try params.string("text")
            return try change(params, "instruction", ["text": .string(text)]) { try $0.pushInstruction(text) }
        case "client.speechStarted": return try change(params, "speech", [:]) { try $0.clientSpeechStarted() }
        case "model.turnComplete": return try change(params, "complete", [:]) { $0.modelTurnComplete() }
        case "summary.set":
            guard let value = params.object["text"], value == .null || value.stringValue != nil else {
                throw RPCError(RPCError.invalidParams, "summary.set: expected a string or null for \"text\"",
                               data: ["param": "text"])
            }
            return try change(params, "summary", ["text": value]) { try $0.setSummary(value.stringValue) }
        case "context.snapshot": return .value(try snapshot(params))
        case "session.ping": return .value(try ping(params))
        case "session.close": return .value(try close(params))
        case "session.resume": return .value(try resumeSession(params))
        case "session.get": return .value(try getSession(params))
        case "session.messages": return .value(try sessionMessages(params))
        case "sessions.active": return .value(try activeSession(params))
        case "sessions.history": return .value(try sessionHistory(params))
        case "sessions.stats": return .value(try sessionStatistics())
        case "resume.update": return .value(try resumeUpdate(params))
        case "resume.goAway": return .value(try resumeGoAway(params))
        case "resume.connected": return .value(try resumeConnected(params))
        default:
            throw RPCError(RPCError.methodNotFound, "unknown method \"\(request.method)\"", data: ["method": .string(request.method)])
        }
    }

    func append(_ params: Params) throws(RPCError) -> RPCResult {
        let role = TurnRole(rawValue: try params.oneOf("role", ["user", "model"]))!
        let text = try params.string("text")
        let final = try params.optionalBool("final") ?? true
        let metadata = try params.optionalObject("metadata")
        return try change(
            params, "turn", ["role": .string(role.rawValue), "text": .string(text), "final": .bool(final)],
            metadata: metadata.map { .object($0) }
        ) { try $0.appendTurn(role, text: text, final: final) }
    }

    /// Applies a state-changing event to an active session; the result carries usage, delta, hash.
    /// Written straight to bytes: this is the hot path of a call.
    func change(
        _ params: Params, _ kind: String, _ payload: JSONObject, metadata: JSONValue? = nil,
        _ event: (inout ContextSession) throws -> EventOutcome
    ) throws(RPCError) -> RPCResult {
        let id = try params.string("session")
        let session = try activeSession(id)
        remember(session, id: id)
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
        persist(session, id: id, kind: kind, payload: payload, outcome: outcome, metadata: metadata)
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
            if let session = sessions[id] {
                remember(session, id: id)
                session.status = .abandoned
                persistStatus(session, id: id)
            }
            activity[id] = nil
            return [
                "jsonrpc": "2.0", "method": "session.abandoned",
                "params": ["session": .string(id), "idleSeconds": .double(idle.rounded())],
            ]
        }
    }

    /// Seconds until the next session could expire (for the server's poll timeout), nil if none is active.
    public func secondsUntilNextExpiry() -> Double? {
        var next = activity.isEmpty ? nil : max(0, earliestExpiry - monotonicNow())
        if store?.isShared == true, !sessions.isEmpty {
            next = min(next ?? .infinity, max(0, nextLeaseRenewal - monotonicNow()))
        }
        return next
    }

    /// Shared store: renews the leases of the active sessions in memory, every third of the lease.
    /// Sessions another engine took over meanwhile are dropped from memory, and a `session.lost`
    /// notification says so (the relay's calls on them now get `-32013`).
    public func renewLeasesIfDue() -> [JSONValue] {
        guard let store, store.isShared else { return [] }
        let now = monotonicNow()
        guard now >= nextLeaseRenewal else { return [] }
        nextLeaseRenewal = now + options.leaseSeconds / 3
        var epochs: [String: Int] = [:]
        for (id, session) in sessions where session.status == .active { epochs[id] = session.epoch }
        guard !epochs.isEmpty else { return [] }
        // A failure (the server unreachable) is retried at the next renewal; the leases last 3 of them.
        guard let lost = try? store.renewLeases(epochs, owner: options.ownerID, leaseSeconds: options.leaseSeconds) else {
            return []
        }
        return lost.map { id in
            sessions[id] = nil
            activity[id] = nil
            return ["jsonrpc": "2.0", "method": "session.lost", "params": ["session": .string(id)]]
        }
    }

    /// At shutdown: gives up this engine's leases, so another engine may take its sessions at once.
    public func releaseLeases() {
        guard let store, store.isShared else { return }
        let ids = sessions.filter { $0.value.status == .active }.map(\.key).sorted()
        try? store.releaseLeases(ids, owner: options.ownerID)
    }

    /// `<host>-<pid>-<random>`: readable in the sessions table, never reused by a restarted process.
    public static func makeOwnerID() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host)-\(getpid())-\(String(UInt32.random(in: 0 ... .max), radix: 36))"
    }

    // MARK: - Errors

    /// The active session `id`, rebuilt from the store when this process has not seen it yet.
    func activeSession(_ id: String) throws(RPCError) -> ServedSession {
        let session = try servedSession(id)
        guard session.status == .active else {
            throw RPCError(RPCError.sessionNotActive, "session \"\(id)\" is \(session.status.rawValue)",
                           data: ["session": .string(id), "status": .string(session.status.rawValue)])
        }
        return session
    }

    /// The session `id` in memory, or rebuilt from the store; unknown otherwise.
    func servedSession(_ id: String) throws(RPCError) -> ServedSession {
        if let session = sessions[id] { return session }
        if store != nil, let rebuilt = try rebuild(id) { return rebuilt }
        throw Self.unknown(id)
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
