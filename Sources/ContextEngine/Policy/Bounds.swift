/// The largest numbers a request, a policy or a stored session may carry (docs/protocol.md,
/// docs/policies.md). Chosen so that no sum the engine keeps can overflow `Int` (64-bit): a usage
/// total is at most one window plus one item, an item at most its text's tokens (< 2^31 for any
/// line the framing accepts) plus one overhead, so every intermediate stays below 2^40. A number
/// past a bound is refused naming its key (-32602 for request parameters, -32007 inside a policy),
/// never wrapped, clamped or trapped on: `overheadPerItem` near `Int64.max` used to kill the engine.
public enum Bounds {
    /// Largest `window` (tokens): 100 M, 50× the largest model window offered today (2 M).
    public static let maxWindow = 100_000_000
    /// Largest `overheadPerItem` (tokens of framing per item), per renderer.
    public static let maxOverheadPerItem = 100_000
    /// Largest `instructions.maxTokens` and `eviction.targetTokens`: one window.
    public static let maxPolicyTokens = maxWindow
    /// Largest `keepLast` (answered instructions kept in context).
    public static let maxKeepLast = 1_000_000
    /// Largest duration in milliseconds (`audioMs`, `timeLeftMs`): 24 h, past it a unit mistake.
    public static let maxDurationMs = 86_400_000
    /// Largest token count a provider may report (`usage.report`): 10 windows.
    public static let maxReportedTokens = 1_000_000_000
}
