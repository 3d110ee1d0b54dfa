/// One engine per SQLite file (an exclusive lock on `<file>.lock`): it owns every session, so claims
/// always succeed, nothing is ever fenced, and there is nothing to release.
extension SQLiteSessionStore {
    public var isShared: Bool { false }

    public func claim(session: String, owner: String, leaseSeconds: Double) throws -> SessionClaim {
        .owned(epoch: 0)
    }

    public func confirmOwnership(session: String, epoch: Int, owner: String, leaseSeconds: Double) throws {}

    public func renewLeases(_ epochs: [String: Int], owner: String, leaseSeconds: Double) throws -> [String] { [] }

    public func releaseLeases(_ sessions: [String], owner: String) throws {}
}
