import JSONWire

/// A session's lasting record (what `session.get` returns).
public struct SessionRecord: Sendable, Equatable {
    public var id: String
    public var business: String?
    public var location: String?
    public var user: String?
    /// `active`, `closed`, `resolved` or `abandoned`.
    public var status: String
    public var createdAt: Double
    public var updatedAt: Double
    public var lastMessageAt: Double?
    /// When an active session becomes `abandoned` if nothing more arrives (its last stored change +
    /// the idle timeout; a `session.ping` extends it in memory, not here); nil once it has ended.
    public var expiresAt: Double?
    public var metadata: JSONValue?
    /// How to rebuild the engine session: encoding, window, reserve, policy, renderer.
    public var configuration: JSONValue
    public var scriptHash: String
    public var messageCount: Int
    /// Written at close: duration, message count, usage.
    public var figures: JSONValue?
    public var snapshotVersion: Int
    public var snapshotHash: String?

    public init(id: String, business: String?, location: String?, user: String?, status: String, createdAt: Double,
                metadata: JSONValue?, configuration: JSONValue, scriptHash: String) {
        self.id = id
        self.business = business
        self.location = location
        self.user = user
        self.status = status
        self.createdAt = createdAt
        self.updatedAt = createdAt
        self.metadata = metadata
        self.configuration = configuration
        self.scriptHash = scriptHash
        self.messageCount = 0
        self.snapshotVersion = 0
    }
}

/// A transcript message as stored.
public struct StoredMessage: Sendable, Equatable {
    public var messageID: String
    public var sessionID: String
    public var seq: Int
    /// `user`, `model`, `instruction` or `system`.
    public var type: String
    public var content: String
    public var tokens: Int
    public var timestamp: Double
    /// Free JSON, wrapped as `{"schemaVersion": 1, "value": …}`; instruction states live here too.
    public var metadata: JSONValue?

    public init(messageID: String, sessionID: String, seq: Int, type: String, content: String, tokens: Int,
                timestamp: Double, metadata: JSONValue?) {
        self.messageID = messageID
        self.sessionID = sessionID
        self.seq = seq
        self.type = type
        self.content = content
        self.tokens = tokens
        self.timestamp = timestamp
        self.metadata = metadata
    }
}

/// One engine input, logged in order so that a session can be rebuilt exactly by replaying it.
public struct StoredEvent: Sendable, Equatable {
    public var seq: Int
    /// `turn`, `instruction`, `speech`, `complete`, `summary`.
    public var kind: String
    public var payload: JSONValue

    public init(seq: Int, kind: String, payload: JSONValue) {
        self.seq = seq
        self.kind = kind
        self.payload = payload
    }
}

/// Per-status figures for `sessions.stats`.
public struct StatusStatistics: Sendable, Equatable {
    public var status: String
    public var count: Int
    public var averageDurationSeconds: Double
    public var averageMessages: Double

    public init(status: String, count: Int, averageDurationSeconds: Double, averageMessages: Double) {
        self.status = status
        self.count = count
        self.averageDurationSeconds = averageDurationSeconds
        self.averageMessages = averageMessages
    }
}

/// The latest resumable connection handle of a session and its reconnect attempts.
public struct ResumeState: Sendable, Equatable {
    public var handle: String?
    public var resumable: Bool
    public var updatedAt: Double
    public var attempts: Int

    public init(handle: String?, resumable: Bool, updatedAt: Double, attempts: Int) {
        self.handle = handle
        self.resumable = resumable
        self.updatedAt = updatedAt
        self.attempts = attempts
    }
}

/// The answer of a keyed request (`requestId`), kept so that a retry answers it again.
public struct StoredRequest: Sendable, Equatable {
    public var requestID: String
    /// The session's count of keyed requests when this one was applied (the newest `keep` are kept).
    public var seq: Int
    /// The result, as JSON text.
    public var answer: String

    public init(requestID: String, seq: Int, answer: String) {
        self.requestID = requestID
        self.seq = seq
        self.answer = answer
    }
}

/// The answer to an engine's claim on a session.
public enum SessionClaim: Sendable, Equatable {
    /// This engine holds the session; `epoch` is its fencing token (it goes up at every takeover).
    case owned(epoch: Int)
    /// Another engine holds a live lease on it.
    case heldElsewhere(owner: String, secondsLeft: Double)
    /// No such session in the store.
    case missing
}

/// Persistence behind one protocol: SQLite (embedded, one engine per file) and PostgreSQL (shared by
/// several engines, sessions owned through leases).
///
/// Writes happen inside a batch (`begin` … `commit`): the server commits once per input chunk before
/// it answers any request of that chunk (group commit). `rollback` undoes a failed batch.
///
/// Every method throws `StoreError`: its `code` says what kind of failure it was (full, io, conflict,
/// ownershipLost, connectionLost, damaged, …) and its message what was being done.
public protocol SessionStore: AnyObject {
    func begin() throws
    func commit() throws
    func rollback()
    /// Runs `body`, whose reads all see the store as it was at the first of them: one read
    /// transaction, taking no write lock (an export reads a session's record, then pages its
    /// messages; a session revived and written to in between must not mix into it). Not inside a
    /// batch.
    func readingConsistently<T>(_ body: () throws -> T) throws -> T

    func saveScript(hash: String, encoding: String, text: String, tokens: Int) throws
    func script(hash: String) throws -> String?
    /// Creates the record of a new session. Ids are never reused: an id the store already holds, in
    /// any status, throws `StoreError` with code `.conflict` naming it, and nothing changes (the
    /// batch's transaction stays usable).
    func createSession(_ record: SessionRecord) throws
    func updateSession(_ record: SessionRecord) throws
    /// Writes only the counters an event changes: times, message count, snapshot version and hash,
    /// and the expiry.
    func updateProgress(_ record: SessionRecord) throws
    /// Appends a session's events of one batch (consecutive seqs) as one record: one index entry per
    /// session per batch instead of one per event.
    func appendEvents(session: String, _ events: [StoredEvent]) throws
    func upsertMessage(_ message: StoredMessage) throws
    func saveResume(session: String, _ state: ResumeState) throws
    /// Keeps the answer of a keyed request of `session` (inside the batch that applied it) and
    /// forgets the session's answers older than its last `keep`.
    func saveRequest(session: String, _ request: StoredRequest, keep: Int) throws

    /// Keeps `checkpoint` as the session's newest (inside the batch that logged its events).
    func saveCheckpoint(session: String, _ checkpoint: StoredCheckpoint) throws

    func session(id: String) throws -> SessionRecord?
    /// The session's logged events with a seq of `from` or more, in order: the rows before it are
    /// not read (a rebuild from a checkpoint reads only the tail of a long call's log).
    func events(session: String, from: Int) throws -> [StoredEvent]
    /// The session's newest checkpoint, if it has one.
    func checkpoint(session: String) throws -> StoredCheckpoint?
    func messages(session: String, limit: Int) throws -> [StoredMessage]
    /// At most `limit` messages with a seq above `after`, in seq order: one page of the transcript,
    /// read by the (session, seq) index whatever the page's position.
    func messages(session: String, after: Int, limit: Int) throws -> [StoredMessage]
    func activeSession(business: String?, user: String?) throws -> SessionRecord?
    func history(business: String?, user: String?, limit: Int) throws -> [SessionRecord]
    func statistics() throws -> [StatusStatistics]
    func resume(session: String) throws -> ResumeState?
    /// The kept answers of `session`'s keyed requests, oldest first.
    func requests(session: String) throws -> [StoredRequest]
    /// Sessions still `active` (to rebuild or expire after a restart).
    func activeSessionIDs() throws -> [String]

    // Ownership. An SQLite file has one engine (its lock), which owns every session; PostgreSQL is
    // shared, and a session belongs to one engine at a time through a lease with a fencing epoch.

    /// Whether several engines share this store (leases and fencing matter).
    var isShared: Bool { get }
    /// Whether text may contain U+0000 (SQLite binds explicit byte lengths; PostgreSQL's text cannot).
    var holdsNUL: Bool { get }
    /// Takes `session` for `owner` if nobody holds a live lease on it (or `owner` already does); a
    /// takeover raises the epoch, so the previous owner's writes are refused from then on.
    func claim(session: String, owner: String, leaseSeconds: Double) throws -> SessionClaim
    /// Inside the open batch, before its first change to `session`: checks at commit that `owner` still
    /// holds it at `epoch` (else `commit` throws `StoreError` with code `.ownershipLost` naming the
    /// sessions, and the batch rolls back), extends the lease, and keeps the row locked until the
    /// commit so that no takeover slips in between.
    func confirmOwnership(session: String, epoch: Int, owner: String, leaseSeconds: Double) throws
    /// Outside a batch: extends the leases `owner` still holds; returns the sessions it lost.
    func renewLeases(_ epochs: [String: Int], owner: String, leaseSeconds: Double) throws -> [String]
    /// Gives the sessions up (at shutdown, at close) so that another engine can take them at once.
    func releaseLeases(_ sessions: [String], owner: String) throws
}

extension SessionStore {
    public var holdsNUL: Bool { true }

    /// The session's whole event log, in order.
    public func events(session: String) throws -> [StoredEvent] { try events(session: session, from: 0) }
}
