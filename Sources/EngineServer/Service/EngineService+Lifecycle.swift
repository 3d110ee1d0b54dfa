import Foundation
import JSONWire
import SessionStore

/// Idle expiry, leases in a shared store, and sessions an engine that stopped left active.
extension EngineService {
    /// Sessions idle past the timeout become abandoned, in a batch of their own; returns the
    /// notifications to send once that batch is stored (none if it failed: retried at the next scan).
    /// Called by the server between batches.
    ///
    /// A session only stored (left active by an engine that stopped; see `adoptStoredActiveSessions`)
    /// is marked abandoned in the store without being rebuilt; in a shared store only if no live
    /// engine holds it.
    public func expireIdleSessions() -> [JSONValue] {
        let expired = registry.expired(at: monotonicNow())
        guard !expired.isEmpty else { return [] }
        var notifications = [JSONValue]()
        for (id, idle) in expired {
            if let session = registry[id] {
                unit.touch(session, id: id)
                session.status = .abandoned
                persistStatus(session, id: id)
                registry.ended(id, status: .abandoned)
            } else {
                switch abandonStored(id) {
                case .abandoned: break
                case .notThisEnginesToExpire: continue
                case .heldElsewhere(let secondsLeft):
                    // Its engine is alive now but may die later: look again when its lease would end
                    // (it used to be dropped from expiry here and stay active forever once that
                    // engine died, until some engine restarted).
                    registry.recheckStoredActive(id, inSeconds: max(1, secondsLeft), monotonicNow: monotonicNow())
                    continue
                }
            }
            notifications.append([
                "jsonrpc": "2.0", "method": "session.abandoned",
                "params": ["session": .string(id), "idleSeconds": .double(idle.rounded())],
            ])
        }
        let (_, dropped, failure) = unit.finish()
        registry.forget(dropped)
        writeExports(unit.committedEndings)
        return failure == nil ? notifications : []
    }

    enum StoredExpiry { case abandoned, notThisEnginesToExpire, heldElsewhere(secondsLeft: Double) }

    /// Marks a stored-only active session abandoned, unless it is gone or ended meanwhile, or a live
    /// engine holds it (shared store).
    private func abandonStored(_ id: String) -> StoredExpiry {
        guard let store, var record = try? store.session(id: id), record.status == "active" else { return .notThisEnginesToExpire }
        if store.isShared {
            switch try? store.claim(session: id, owner: options.ownerID, leaseSeconds: options.leaseSeconds) {
            case .owned?: break
            case .heldElsewhere(_, let secondsLeft)?: return .heldElsewhere(secondsLeft: secondsLeft)
            case .missing?, nil: return .notThisEnginesToExpire
            }
        }
        record.status = "abandoned"
        record.updatedAt = wallNow()
        record.expiresAt = nil
        unit.write { try $0.updateSession(record) }
        unit.ended(id)
        if store.isShared { try? store.releaseLeases([id], owner: options.ownerID) }
        return .abandoned
    }

    /// At start: the store's active sessions enter idle expiry from their stored expiry, so that a
    /// call left active by an engine that stopped (crash, kill, a machine gone) is abandoned on time
    /// instead of answering `sessions.active` forever. One query at start; the sessions are not
    /// rebuilt until a request names them.
    func adoptStoredActiveSessions() {
        guard let store, let ids = try? store.activeSessionIDs(), !ids.isEmpty else { return }
        let records = ids.compactMap { try? store.session(id: $0) }
        registry.adoptStoredActive(records, monotonicNow: monotonicNow(), wallNow: wallNow())
    }

    /// Seconds until the next session could expire (for the server's poll timeout), nil if none is active.
    public func secondsUntilNextExpiry() -> Double? {
        var next = registry.secondsUntilNextExpiry(at: monotonicNow())
        if store?.isShared == true, !registry.sessions.isEmpty {
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
        for (key, session) in registry.sessions where session.status == .active { epochs[key.id] = session.epoch }
        guard !epochs.isEmpty else { return [] }
        // A failure (the server unreachable) is retried at the next renewal; the leases last 3 of them.
        guard let lost = try? store.renewLeases(epochs, owner: options.ownerID, leaseSeconds: options.leaseSeconds) else {
            return []
        }
        registry.forget(lost.map(SessionKey.init))
        return lost.map { id in ["jsonrpc": "2.0", "method": "session.lost", "params": ["session": .string(id)]] }
    }

    /// At shutdown: gives up this engine's leases, so another engine may take its sessions at once.
    public func releaseLeases() {
        guard let store, store.isShared else { return }
        let ids = registry.sessions.filter { $0.value.status == .active }.map(\.key.id).sorted(by: SessionKey.ordered)
        try? store.releaseLeases(ids, owner: options.ownerID)
    }

    /// `<host>-<pid>-<random>`: readable in the sessions table, never reused by a restarted process.
    public static func makeOwnerID() -> String {
        var name = [CChar](repeating: 0, count: 256)
        gethostname(&name, name.count)
        let host = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return "\(host)-\(getpid())-\(String(UInt32.random(in: 0 ... .max), radix: 36))"
    }
}
