import ContextEngine
import JSONWire

/// A session as the server holds it: the context plus who it belongs to and its lifecycle.
struct ServedSession {
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
    var messages = 0
}
