import ContextEngine
import JSONWire
import SessionStore

/// A session as the server holds it: the context plus who it belongs to and its lifecycle.
/// A class so that an event mutates it in place: as a struct inside a dictionary, each access
/// re-hashed the id and risked copying the context's arrays.
final class ServedSession {
    enum Status: String { case active, closed, resolved, abandoned }

    var context: ContextSession
    var status: Status = .active
    var renderer: Renderer
    var business: String?
    var location: String?
    var user: String?
    var metadata: JSONObject?
    /// Wall-clock seconds since 1970.
    var createdAt: Double
    /// Monotonic seconds of the last request naming this session (idle detection).
    var lastActivity: Double
    /// The transcript's seqs; `transcript.count` is the number of messages.
    var transcript = TranscriptSeqs()
    var messages: Int { transcript.count }
    /// Engine events logged so far (the next event's seq).
    var eventCount = 0
    /// `eventCount` at the session's newest stored checkpoint.
    var checkpointSeq = 0
    var resume = ResumeState(handle: nil, resumable: false, updatedAt: 0, attempts: 0)
    var record: SessionRecord?
    /// The fencing epoch under which this engine holds the session in a shared store.
    var epoch = 0
    /// The answers of the last keyed requests (`requestId`), for retries.
    var requests = RecentRequests()

    init(context: ContextSession, renderer: Renderer, business: String?, location: String?, user: String?,
         metadata: JSONObject?, createdAt: Double, lastActivity: Double) {
        self.context = context
        self.renderer = renderer
        self.business = business
        self.location = location
        self.user = user
        self.metadata = metadata
        self.createdAt = createdAt
        self.lastActivity = lastActivity
    }
}
