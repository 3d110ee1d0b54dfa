import ContextEngine
import JSONWire
import SessionStore

/// Checkpoints of a served session: the context's whole state and the transcript's seqs, written
/// every `checkpointInterval` logged events so that a rebuild after a restart folds at most that
/// many events (a 60,999-turn session: 102–108 ms of folding its whole log, every other call
/// waiting; 0.1–1.5 ms from its checkpoint, `serve_bounds.py rebuild [--whole-log]`).
extension ServedSession {
    /// Events between checkpoints. A checkpoint is the compacted context (a 32,000-token window:
    /// ~130 KB of JSON), so 1,000 events add ~130 bytes of writes per event, and a rebuild folds
    /// fewer than 1,000 events (~2 ms at the ~1.8 µs per stored event of a whole-log fold).
    static let checkpointInterval = 1_000

    /// The checkpoint to write now, if `checkpointInterval` events were logged since the last one;
    /// taken between events, in the batch that logged them.
    func dueCheckpoint() -> StoredCheckpoint? {
        guard eventCount - checkpointSeq >= Self.checkpointInterval else { return nil }
        checkpointSeq = eventCount
        let state: JSONValue = ["context": context.checkpoint(), "transcript": transcript.checkpoint()]
        return StoredCheckpoint(seq: eventCount, state: JSONWriter.string(state))
    }

    /// The context and transcript seqs of a stored checkpoint, restored onto `opened` (the session
    /// freshly opened from its record); nil when this build cannot read it (the caller folds the
    /// whole log instead).
    static func restore(_ checkpoint: StoredCheckpoint, onto opened: ContextSession) -> (ContextSession, TranscriptSeqs)? {
        guard let state = try? JSONParser.parse(checkpoint.state), let contextState = state["context"],
            let transcriptState = state["transcript"], let transcript = TranscriptSeqs(checkpoint: transcriptState)
        else { return nil }
        var context = opened
        do { try context.restore(checkpoint: contextState) } catch { return nil }
        return (context, transcript)
    }
}
