import JSONWire
import SessionStore

/// Idempotency keys: a state-changing request may carry `requestId` (a string, unique per session for
/// the relay); its answer is kept with the session (in memory and, in the same batch's transaction,
/// in the store's `requests` table), and a retry of the same id answers that original result instead
/// of applying the change again — also after a restart, and after a commit whose outcome was unknown
/// (`-32015`): if the change is in the store, so is its answer. One place for every method: `handle`
/// asks here before the method table runs, and records a reply that reported a change.
extension EngineService {
    /// How many answers each session keeps at least (memory and store; all of the batch being
    /// applied when it has more): a relay retries the requests in flight when the engine failed. A
    /// turn's answer is ~0.3–1 KB, an open's carries the snapshot (the script): about 16 × 1 KB per
    /// session beside the context itself.
    static let keptRequestAnswers = 16
    /// Longer ids are refused (`-32602`): an id is a key, not a payload.
    static let maxRequestIDBytes = 256

    struct RequestKey {
        var session: String
        var requestID: String
    }

    /// The request's `(session, requestId)` when it carries both; nil otherwise.
    func requestKey(_ params: Params) throws(RPCError) -> RequestKey? {
        guard params.object["requestId"] != nil, let requestID = try params.optionalString("requestId") else { return nil }
        guard !requestID.isEmpty, requestID.utf8.count <= Self.maxRequestIDBytes else {
            throw RPCError(RPCError.invalidParams,
                           "\(params.method): \"requestId\" must be 1 to \(Self.maxRequestIDBytes) bytes of UTF-8",
                           data: ["param": "requestId"])
        }
        guard let session = params.object["session"]?.stringValue else { return nil }
        return RequestKey(session: session, requestID: requestID)
    }

    /// The original answer of a retried request: its bytes, held for the commit while the original is
    /// still in the open batch (it fails with it), released at once when the original is committed.
    func recordedAnswer(_ key: RequestKey, in session: ServedSession) -> Reply? {
        guard let entry = session.requests[key.requestID] else { return nil }
        return Reply(result: .encoded(entry.answer), changed: entry.batch == unit.batch)
    }

    /// Keeps the answer of a request that changed `session` (also one that ended it: a retried
    /// `session.close` answers its original result, where it answered `-32002` before).
    func record(_ key: RequestKey, _ reply: Reply, in session: ServedSession) {
        let answer: [UInt8]
        switch reply.result {
        case .encoded(let bytes): answer = bytes
        case .value(let value): answer = Array(JSONWriter.string(value).utf8)
        }
        let seq = session.requests.insert(key.requestID, answer: answer, batch: unit.batch, capacity: Self.keptRequestAnswers)
        guard store != nil else { return }
        let stored = StoredRequest(requestID: key.requestID, seq: seq, answer: String(decoding: answer, as: UTF8.self))
        let id = key.session
        // Every answer of this batch stays: if the engine dies after the commit and before they
        // are written out, the relay retries all of them (16 alone let 2,823 pipelined turns apply twice).
        let keep = session.requests.kept(capacity: Self.keptRequestAnswers)
        unit.write { try $0.saveRequest(session: id, stored, keep: keep) }
    }
}
