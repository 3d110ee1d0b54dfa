/// Up to which seq a batch already deleted each session's old request answers (`saveRequest`).
///
/// Each keyed request of a session deletes the answers before its last `keep`. Every answer of the
/// latest batch is kept, so within one batch that bound stops moving after the first 16 requests;
/// but each DELETE still walked every row of the session (the table is indexed by request id, not
/// by seq), so a batch of k keyed requests cost O(k²): 8,000 keyed turns in one input took 3.1–3.5 s
/// of `serve` on SQLite, 0.2–0.3 s without `requestId` (a helper's audit). A DELETE that could
/// delete nothing new is now skipped.
public struct ForgottenRequests: Sendable {
    private var through: [String: Int] = [:]

    public init() {}

    /// Whether the answers of `session` up to seq `bound` may still need deleting; from now on they
    /// count as deleted. Reset at every batch.
    public mutating func forget(_ session: String, through bound: Int) -> Bool {
        if let done = through[session], done >= bound { return false }
        through[session] = bound
        return true
    }

    public mutating func removeAll() { through.removeAll(keepingCapacity: true) }
}
