/// Tokens by segment, each including its items' per-item overhead. `limit` = window − reserve;
/// the engine keeps `total ≤ limit` at all times.
public struct Usage: Sendable, Equatable {
    public var window: Int
    public var reserve: Int
    public var script: Int
    public var summary: Int
    public var history: Int
    public var instruction: Int
    /// Items in the context, the script included.
    public var items: Int

    public var limit: Int { window - reserve }
    public var total: Int { script + summary + history + instruction }
    public var free: Int { limit - total }
}
