import ContextEngine

/// Context size by segment at one point of a session (after a model turn completes).
public struct SegmentSample: Sendable, Equatable {
    public var exchange: Int
    public var script: Int
    public var summary: Int
    public var history: Int
    public var instruction: Int
    public var limit: Int
    /// What the provider held at that point (provider runs), drawn as a line over the segments.
    public var held: Int?
    /// A re-seed happened during the exchange (marked on the chart).
    public var reseeded = false

    public init(exchange: Int, usage: Usage) {
        self.exchange = exchange
        script = usage.script
        summary = usage.summary
        history = usage.history
        instruction = usage.instruction
        limit = usage.limit
    }

    public var total: Int { script + summary + history + instruction }
    public var free: Int { limit - total }
}
