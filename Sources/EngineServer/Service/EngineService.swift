import ContextEngine
import Foundation
import JSONWire
import SessionStore
import Tokenizer

/// The protocol's methods over sessions held in memory and, with a store, persisted. Single-threaded:
/// the server calls it from its one loop, so requests are answered in the order they arrive (only
/// `--export-dir`'s exports are written on a thread of their own: `ExportWriter`).
///
/// Three parts, each in its own file (docs/architecture.md has the map):
/// - `SessionRegistry`: the sessions in memory, idle expiry, and rebuilding a stored session;
/// - `UnitOfWork`: one batch — its store transaction, its held answers, the commit, and what a
///   failed commit means to each answer;
/// - `MethodTable`: method name → params decoder → handler.
/// The transport (`StdioServer`) only frames bytes: it hands each line to `receive`, and writes what
/// `endBatch` releases.
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
        /// Where `scriptFile` may read from (`--script-dir`); none: `scriptFile` is refused.
        public var scriptFolders = ScriptFolders.none
        /// `--export-dir`: an existing folder that receives each session's export when it ends,
        /// and how to open the writer's own store connection (`EngineService+Export.swift`); nil:
        /// none. Needs a store.
        public var exports: ExportSettings?
        public init() {}
    }

    let options: Options
    let store: SessionStore?
    let registry: SessionRegistry
    let unit: UnitOfWork
    let methods = MethodTable.standard
    /// Monotonic seconds; injectable for tests of the idle timeout.
    let monotonicNow: () -> Double
    let wallNow: () -> Double
    /// Monotonic time of the next lease renewal (shared stores).
    var nextLeaseRenewal: Double = 0
    /// Notifications of the request being handled, held after its answer.
    var pendingNotifications: [JSONValue] = []
    /// `--export-dir` with a store: the thread that writes the exports.
    let exportWriter: ExportWriter?

    public init(options: Options = Options(), store: SessionStore? = nil,
                monotonicNow: @escaping () -> Double = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 },
                wallNow: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.options = options
        self.store = store
        self.monotonicNow = monotonicNow
        self.wallNow = wallNow
        registry = SessionRegistry(
            idleTimeout: options.idleTimeout, defaultEncoding: options.defaultEncoding, keepsTombstones: store == nil)
        unit = UnitOfWork(store: store, owner: options.ownerID, leaseSeconds: options.leaseSeconds)
        exportWriter = store == nil ? nil : options.exports.map { ExportWriter(directory: $0.directory, openStore: $0.openStore) }
        adoptStoredActiveSessions()
    }

    deinit { exportWriter?.finish() }

    // MARK: - Requests

    /// Handles one request; returns its reply or throws the error to answer with. A request with a
    /// `requestId` that this session already applied answers the original result
    /// (`EngineService+Idempotency.swift`).
    public func handle(_ request: Request) throws(RPCError) -> Reply {
        let params = Params(request)
        let handler = try methods.handler(request.method, params: request.params)
        if let store, !store.holdsNUL, let path = Self.pathOfNUL(in: .object(request.params)) {
            throw RPCError(
                RPCError.invalidParams,
                "\(request.method): \(path) contains U+0000, which this store (PostgreSQL) cannot hold; nothing was applied",
                data: ["param": .string(path)])
        }
        guard let key = try requestKey(params) else { return try handler(self, params) }
        // Ended earlier in this batch (its kept answers not committed yet), in memory, or rebuilt
        // with its kept answers; nil for a session not opened yet.
        let session = unit.endedSession(key.session) ?? (try? servedSession(key.session))
        if let session, let original = recordedAnswer(key, in: session) { return original }
        let reply = try handler(self, params)
        // A close leaves the registry: its answer goes to the session it closed.
        if reply.changed, let target = registry[key.session] ?? session { record(key, reply, in: target) }
        return reply
    }

    /// Parses and handles one input line inside the open batch; its answer (none for a notification)
    /// is held until the batch commits.
    public func receive(_ line: UnsafeBufferPointer<UInt8>, number: Int) {
        switch RequestParser.parse(line, line: number) {
        case .failure(let failure):
            refuse(id: failure.id ?? .null, failure.error)
        case .success(let request):
            do {
                let reply = try handle(request)
                if let id = request.id {
                    unit.hold(.init(bytes: ResponseBytes.result(id: id, reply.result), id: id, changed: reply.changed))
                }
            } catch {
                if let id = request.id { refuse(id: id, error) }
            }
            for notification in pendingNotifications {
                // Dropped if the batch fails: no news of something that was not stored.
                unit.hold(.init(bytes: Array(JSONWriter.string(notification).utf8), id: nil, changed: false, notification: true))
            }
            pendingNotifications.removeAll()
        }
    }

    /// Answers with an error (a line the framing refused, a request that failed).
    public func refuse(id: JSONValue?, _ error: RPCError) {
        unit.hold(.init(bytes: ResponseBytes.error(id: id, error), id: id, changed: false))
    }

    /// A notification, released with the batch after the answer that caused it.
    func notify(_ notification: JSONValue) {
        pendingNotifications.append(notification)
    }

    /// Bytes of answers the open batch holds.
    public var heldBytes: Int { unit.heldBytes }

    /// Starts a batch (the server: at the first input chunk).
    public func beginBatch() { unit.reset() }

    /// Commits the batch and releases its answers, in order. If the commit failed, the sessions it
    /// touched are dropped from memory (the store holds their state before the batch) and each answer
    /// that reported a change carries the failure's error instead.
    public func endBatch() -> [[UInt8]] {
        let (answers, dropped, _) = unit.finish()
        registry.forget(dropped)
        writeExports(unit.committedEndings)
        return answers.map(\.bytes)
    }

    /// Applies a context event to an active session; the result carries usage, delta, hash. Written
    /// straight to bytes: this is the hot path of a call.
    ///
    /// - Parameter extra: fields the method adds to the result, from the outcome.
    func change(
        _ params: Params, _ event: ContextEvent, metadata: JSONValue?, extra: (EventOutcome) -> JSONObject = { _ in [:] }
    ) throws(RPCError) -> Reply {
        let id = try params.string("session")
        let session = try activeSession(id)
        unit.touch(session, id: id)
        let outcome: EventOutcome
        do {
            outcome = try session.context.apply(event)
        } catch let error as ContextError {
            throw Self.rpcError(error, session: id)
        } catch {
            throw RPCError(RPCError.internalError, "\(error)")
        }
        registry.touch(session, id: id, at: monotonicNow())
        persist(session, id: id, event: event, outcome: outcome, metadata: metadata)
        let bytes = ResponseBytes.change(id: id, context: session.context, outcome: outcome, extra: extra(outcome))
        return Reply(result: .encoded(bytes), changed: true)
    }

    // MARK: - Sessions

    /// The active session `id`, rebuilt from the store when this process has not seen it yet.
    func activeSession(_ id: String) throws(RPCError) -> ServedSession {
        let session = try servedSession(id)
        guard session.status == .active else {
            throw RPCError(RPCError.sessionNotActive, "session \"\(id)\" is \(session.status.rawValue)",
                           data: ["session": .string(id), "status": .string(session.status.rawValue)])
        }
        return session
    }

    /// The session `id` in memory, or rebuilt from the store; unknown otherwise. Without a store an
    /// ended session is gone from memory: `-32002` with its status.
    func servedSession(_ id: String) throws(RPCError) -> ServedSession {
        if let session = registry[id] { return session }
        if let status = registry.tombstone(id) {
            throw RPCError(RPCError.sessionNotActive, "session \"\(id)\" is \(status.rawValue) (without a store its context is not kept)",
                           data: ["session": .string(id), "status": .string(status.rawValue)])
        }
        // The rebuild reads the log: this batch's events of the session (it may have just ended and
        // left memory) must be in it.
        if store != nil { unit.flush() }
        if let store,
            let rebuilt = try registry.rebuild(
                id, store: store, owner: options.ownerID, leaseSeconds: options.leaseSeconds, now: monotonicNow())
        {
            return rebuilt
        }
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
        case .invalidEvent: code = RPCError.rebuildMismatch
        case .invalidInput: code = RPCError.invalidParams
        }
        var data: JSONObject = ["session": .string(session), "reason": .string(error.code.rawValue)]
        if let field = error.field { data["param"] = .string(field) }
        return RPCError(code, error.message, data: .object(data))
    }

    /// The first string (or key) holding U+0000 in `value`, as a path (`text`, `metadata.a[2]`); nil
    /// when there is none.
    ///
    /// - Complexity: O(size of `value`); run only for stores that cannot hold U+0000.
    static func pathOfNUL(in value: JSONValue, at path: String = "") -> String? {
        switch value {
        case .string(let string):
            return string.utf8.contains(0) ? (path.isEmpty ? "a string" : "\"\(path)\"") : nil
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                if let found = pathOfNUL(in: element, at: "\(path)[\(index)]") { return found }
            }
            return nil
        case .object(let object):
            for (key, member) in object.members {
                let inner = path.isEmpty ? key : "\(path).\(key)"
                if key.utf8.contains(0) { return "a key of \(path.isEmpty ? "params" : "\"\(path)\"")" }
                if let found = pathOfNUL(in: member, at: inner) { return found }
            }
            return nil
        case .null, .bool, .int, .double:
            return nil
        }
    }
}
