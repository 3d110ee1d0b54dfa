import ContextEngine
import JSONWire
import SessionStore
import Tokenizer

/// The sessions this engine serves: those in memory, their last activity for idle expiry, and the
/// rebuild of a stored session (a fold of its logged events through `ContextSession.apply`).
///
/// Idle expiry is O(1) per request: a request records its time, and the scan over `activity` runs
/// only once the earliest possible expiry has passed. Sessions the store holds as active but no
/// engine serves (left by an engine that stopped) are tracked here from start-up, by their stored
/// expiry, so that they expire like any other (`adoptStoredActive`).
final class SessionRegistry {
    /// Keyed by the id's bytes (`SessionKey`): canonically equivalent ids are two sessions, as in the store.
    private(set) var sessions: [SessionKey: ServedSession] = [:]
    /// Monotonic time of the last activity of each active session (in memory or only stored).
    private var activity: [SessionKey: Double] = [:]
    /// No active session can expire before this (monotonic seconds): the scan runs only then.
    private var earliestExpiry = Double.infinity
    let scripts = ScriptRegistry(capacity: 1_024)
    let idleTimeout: Double
    let defaultEncoding: String

    /// Without a store: ended sessions' ids and statuses (a few dozen bytes each).
    private var tombstones: [SessionKey: ServedSession.Status] = [:]
    let keepsTombstones: Bool

    init(idleTimeout: Double, defaultEncoding: String, keepsTombstones: Bool = false) {
        self.idleTimeout = idleTimeout
        self.defaultEncoding = defaultEncoding
        self.keepsTombstones = keepsTombstones
    }

    subscript(id: String) -> ServedSession? { sessions[SessionKey(id)] }

    func add(_ session: ServedSession, id: String, at now: Double) {
        sessions[SessionKey(id)] = session
        if session.status == .active { touch(session, id: id, at: now) }
    }

    /// Records activity; O(1). The earliest-expiry bound only ever moves later on a rescan.
    func touch(_ session: ServedSession, id: String, at now: Double) {
        session.lastActivity = now
        activity[SessionKey(id)] = now
        earliestExpiry = min(earliestExpiry, now + idleTimeout)
    }

    /// The session ended (closed, resolved, abandoned): no more idle expiry, and it leaves memory.
    /// With a store it is read again on demand (`rebuild`); without one only its status stays, a
    /// tombstone, so that its id is still never reused. 50,000 ended calls kept ~115 MB (memory
    /// store) and ~150 MB (SQLite) of contexts nobody would change again.
    func ended(_ id: String, status: ServedSession.Status) {
        let key = SessionKey(id)
        activity[key] = nil
        sessions[key] = nil
        if keepsTombstones { tombstones[key] = status }
    }

    /// The status of a session that ended without a store (its context is gone).
    func tombstone(_ id: String) -> ServedSession.Status? { tombstones[SessionKey(id)] }

    /// Drops sessions from memory (a failed batch, a session another engine took over): the next
    /// request rebuilds them from the store.
    func forget<S: Sequence>(_ ids: S) where S.Element == SessionKey {
        for key in ids {
            sessions[key] = nil
            activity[key] = nil
        }
    }

    /// Active sessions idle past the timeout at `now`, sorted by id, with their idle seconds; they
    /// leave the idle bookkeeping (the caller marks them abandoned).
    ///
    /// - Complexity: O(1) until some session may have expired; then one scan over the active
    ///   sessions' timestamps, which also finds the next earliest expiry.
    func expired(at now: Double) -> [(id: String, idle: Double)] {
        guard now >= earliestExpiry else { return [] }
        var expired = [(id: String, idle: Double)]()
        var earliest = Double.infinity
        for (key, last) in activity {
            if now - last >= idleTimeout {
                expired.append((key.id, now - last))
            } else {
                earliest = min(earliest, last + idleTimeout)
            }
        }
        earliestExpiry = earliest
        for (id, _) in expired { activity[SessionKey(id)] = nil }
        return expired.sorted { SessionKey.ordered($0.id, $1.id) }
    }

    /// Seconds until the next session could expire, nil if none is active.
    func secondsUntilNextExpiry(at now: Double) -> Double? {
        activity.isEmpty ? nil : max(0, earliestExpiry - now)
    }

    /// Sessions the store holds as active that this engine has not loaded: each starts its idle clock
    /// where the store says it last changed (its `expiresAt` − the idle timeout), so one left behind by
    /// an engine that stopped expires on time instead of staying active forever. Not rebuilt: only
    /// the expiry is tracked until a request names it.
    func adoptStoredActive(_ records: [SessionRecord], monotonicNow: Double, wallNow: Double) {
        for record in records where sessions[SessionKey(record.id)] == nil && activity[SessionKey(record.id)] == nil {
            let expiresAt = record.expiresAt ?? (record.updatedAt + idleTimeout)
            trackStoredActive(SessionKey(record.id), lastActivity: monotonicNow - (wallNow - (expiresAt - idleTimeout)))
        }
    }

    /// Idle expiry of a session known only from the store, as if its last request came at `lastActivity`.
    private func trackStoredActive(_ key: SessionKey, lastActivity: Double) {
        activity[key] = lastActivity
        earliestExpiry = min(earliestExpiry, lastActivity + idleTimeout)
    }

    /// A stored-only active session that a live engine holds: its expiry is looked at again in
    /// `seconds` (when that engine's lease would end if it stopped renewing).
    func recheckStoredActive(_ id: String, inSeconds seconds: Double, monotonicNow: Double) {
        guard sessions[SessionKey(id)] == nil else { return }
        trackStoredActive(SessionKey(id), lastActivity: monotonicNow + seconds - idleTimeout)
    }

    // MARK: - Making sessions

    /// A context session from a stored configuration: `{encoding, renderer, window, reserve, policy?}`.
    func makeContext(id: String, configuration: JSONValue, scriptText: String) throws(RPCError)
        -> (ContextSession, any TextTokenizer, Renderer)
    {
        let encodingName = configuration["encoding"]?.stringValue ?? defaultEncoding
        let tokenizer: any TextTokenizer
        do {
            tokenizer = try Tokenizers.named(encodingName)
        } catch {
            throw RPCError(RPCError.tokenizerUnavailable, "\(error)", data: ["encoding": .string(encodingName)])
        }
        let renderer = Renderer(rawValue: configuration["renderer"]?.stringValue ?? "neutral") ?? .neutral
        var sessionConfiguration = SessionConfiguration(renderer: renderer.rawValue)
        sessionConfiguration.window = configuration["window"]?.intValue ?? SessionConfiguration.defaultWindow
        sessionConfiguration.reserve = configuration["reserve"]?.intValue ?? 0
        do {
            if let policy = configuration["policy"] { sessionConfiguration.policy = try ContextPolicy(json: policy, stored: true) }
            if let name = configuration["provider"]?.stringValue, let kind = ProviderKind(rawValue: name) {
                sessionConfiguration.provider = try ProviderProfile.named(kind, model: configuration["model"]?.stringValue)
                if let policy = configuration["providerPolicy"] {
                    sessionConfiguration.providerPolicy = try ProviderPolicy(json: policy, stored: true)
                }
            }
            let script = scripts.script(text: scriptText, tokenizer: tokenizer)
            let context = try ContextSession(id: id, script: script, configuration: sessionConfiguration, tokenizer: tokenizer)
            return (context, tokenizer, renderer)
        } catch let error as ContextError {
            throw EngineService.rpcError(error, session: id)
        } catch {
            throw RPCError(RPCError.internalError, "\(error)")
        }
    }

    /// Rebuilds a stored session: its newest checkpoint (written every 1,000 events) plus a fold of
    /// the events logged after it through `ContextSession.apply`, or a fold of its whole log. The
    /// engine is deterministic, so the result must have the snapshot version and hash the store
    /// recorded with the last change; a checkpoint that does not get there is passed over for the
    /// whole log, and a session whose log folds to anything else is refused, never served from a log
    /// that does not match.
    ///
    /// - Returns: nil when the store has no such session.
    /// - Throws: `-32013` when another engine holds it (shared store), `-32014` when the log does not
    ///   fold to the recorded hash, `-32012` when the store cannot be read.
    func rebuild(_ id: String, store: SessionStore, owner: String, leaseSeconds: Double, now: Double) throws(RPCError)
        -> ServedSession?
    {
        do {
            guard let record = try store.session(id: id) else { return nil }
            // A shared store: an active session is this engine's only once claimed (a takeover when the
            // previous engine's lease ran out or was released; refused while it is live).
            var epoch = 0
            if store.isShared && record.status == "active" {
                switch try store.claim(session: id, owner: owner, leaseSeconds: leaseSeconds) {
                case .owned(let claimed): epoch = claimed
                case .missing: return nil
                case .heldElsewhere(let holder, let secondsLeft):
                    throw RPCError(
                        RPCError.ownedElsewhere,
                        "session \"\(id)\" is held by engine \(holder); its lease ends in \(Int(secondsLeft.rounded(.up))) s unless renewed: retry session.resume then",
                        data: ["session": .string(id), "owner": .string(holder), "secondsLeft": .double(max(0, secondsLeft))])
                }
            }
            guard let scriptText = try store.script(hash: record.scriptHash) else {
                throw RPCError(RPCError.rebuildMismatch, "session \"\(id)\": its script \(record.scriptHash) is missing from the store",
                               data: ["session": .string(id)])
            }
            let (opened, _, renderer) = try makeContext(id: id, configuration: record.configuration, scriptText: scriptText)
            // From the newest checkpoint when there is one this build can read, and that folds to the
            // recorded hash; else (an old store, a checkpoint of another format) from the first event.
            var folded: Fold?
            if let checkpoint = try store.checkpoint(session: id),
                let (context, transcript) = ServedSession.restore(checkpoint, onto: opened)
            {
                let fold = try? Self.fold(id, store: store, from: checkpoint.seq, context: context, transcript: transcript)
                if let fold, fold.matches(record) { folded = fold }
            }
            let fold = try folded ?? Self.fold(id, store: store, from: 0, context: opened, transcript: TranscriptSeqs())
            let context = fold.context
            if !fold.matches(record), let recorded = record.snapshotHash {
                throw RPCError(
                    RPCError.rebuildMismatch,
                    "session \"\(id)\": its stored log rebuilds to version \(context.version), hash \(context.hash), but the store recorded version \(record.snapshotVersion), hash \(recorded); it is not served from a log that does not match",
                    data: [
                        "session": .string(id), "hash": .string(context.hash), "recordedHash": .string(recorded),
                        "version": JSONValue(context.version), "recordedVersion": JSONValue(record.snapshotVersion),
                    ])
            }
            let served = ServedSession(
                context: context, renderer: renderer, business: record.business, location: record.location,
                user: record.user, metadata: record.metadata?.objectValue, createdAt: record.createdAt, lastActivity: now)
            served.status = ServedSession.Status(rawValue: record.status) ?? .active
            served.transcript = fold.transcript
            served.eventCount = fold.eventCount
            served.checkpointSeq = fold.from
            served.record = record
            served.epoch = epoch
            if let resume = try store.resume(session: id) { served.resume = resume }
            served.requests.load(try store.requests(session: id).map { ($0.requestID, $0.seq, Array($0.answer.utf8)) })
            // An ended session is answered and not kept: it is read again if named again.
            if served.status == .active { add(served, id: id, at: now) }
            return served
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(RPCError.storeUnavailable, "session \"\(id)\" could not be read from the store: \(error)",
                           data: ["session": .string(id)])
        }
    }

    /// A session's context after folding its logged events from `from` on.
    struct Fold {
        var context: ContextSession
        var transcript: TranscriptSeqs
        var from: Int
        var eventCount: Int

        /// It has the version and hash the store recorded with the last change (nothing recorded:
        /// a session without events).
        func matches(_ record: SessionRecord) -> Bool {
            record.snapshotHash.map { $0 == context.hash && record.snapshotVersion == context.version } ?? true
        }
    }

    /// Folds the session's events from `from` on through `ContextSession.apply`; the transcript's seqs
    /// are folded with it (the same assignment `persist` made) instead of reading every stored message.
    static func fold(_ id: String, store: SessionStore, from: Int, context: ContextSession, transcript: TranscriptSeqs)
        throws -> Fold
    {
        var fold = Fold(context: context, transcript: transcript, from: from, eventCount: from)
        for stored in try store.events(session: id, from: from) {
            do {
                _ = fold.transcript.assign(try fold.context.apply(ContextEvent(kind: stored.kind, payload: stored.payload)))
            } catch {
                throw RPCError(
                    RPCError.rebuildMismatch, "session \"\(id)\": stored event \(stored.seq) (\(stored.kind)) does not apply: \(error)",
                    data: ["session": .string(id), "seq": JSONValue(stored.seq)])
            }
            fold.eventCount += 1
        }
        _ = fold.context.takeDelta()
        return fold
    }
}
