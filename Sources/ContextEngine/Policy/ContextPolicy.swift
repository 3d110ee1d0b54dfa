/// The tunable rules of a session, as data: what happens to manager instructions, how eviction
/// works, and what each item costs. Presets: `keepAll`, `stripAfterResponse` (default), `keepLast(_:)`.
/// JSON form: `ContextPolicy+JSON.swift`, documented in `docs/policies.md`.
public struct ContextPolicy: Sendable, Equatable {
    /// What a newer pending instruction does to an older one still pending.
    public enum PendingMode: String, Sendable { case replace, coalesce }
    /// What an instruction over `maxInstructionTokens` does.
    public enum OverLimit: String, Sendable { case truncate, reject }
    /// What coalescing keeps when the joined instructions are over `maxInstructionTokens` (with
    /// `truncate`): the newest whole, the oldest lines dropped (`dropOldest`), or the joined text's
    /// start (`cutEnd`: what every session did until stop 36, which cut the newest instruction; a
    /// session stored before then, whose policy has no such key, is rebuilt with it, so its log
    /// folds to the hash it recorded).
    public enum CoalescedOverLimit: String, Sendable { case dropOldest, cutEnd }

    public var name: String
    /// Instructions kept in the context after the model's response: 0 strips each one just after
    /// the response (`strip-after-response`); nil keeps all (`keep-all`); n keeps the last n.
    public var keepLastInstructions: Int?
    public var pending: PendingMode = .replace
    /// First line of an injected instruction; the instruction's text follows after a newline.
    public var instructionTag: String = "[SALES_MANAGER_INSTRUCTION]"
    public var maxInstructionTokens: Int = 2_000
    public var overLimit: OverLimit = .truncate
    public var coalescedOverLimit: CoalescedOverLimit = .dropOldest
    /// Tokens each context item costs beyond its text (role markers, framing), per renderer name;
    /// `"*"` is the default for renderers not listed.
    public var overheadPerItem: [String: Int] = ["*": 0]
    /// When a turn does not fit, evict oldest exchanges until the context is at most this fraction of
    /// the room left after the script (hysteresis: the next evictions are that many tokens away).
    public var evictionTargetFraction: Double = 0.75
    /// Or an absolute context size to evict down to (Gemini's `targetTokens`); wins when set.
    public var evictionTargetTokens: Int? = nil

    public init(name: String, keepLastInstructions: Int?) {
        self.name = name
        self.keepLastInstructions = keepLastInstructions
    }

    /// Baseline: instructions stay forever (what dies after ~21 exchanges in the reference profile).
    public static let keepAll = ContextPolicy(name: "keep-all", keepLastInstructions: nil)
    /// Default: each instruction leaves the context once the model has answered.
    public static let stripAfterResponse = ContextPolicy(name: "strip-after-response", keepLastInstructions: 0)
    /// The last `n` answered instructions stay.
    public static func keepLast(_ n: Int) -> ContextPolicy {
        ContextPolicy(name: "keep-last-n", keepLastInstructions: n)
    }

    /// Overhead per item for `renderer`.
    public func overhead(for renderer: String) -> Int {
        overheadPerItem[renderer] ?? overheadPerItem["*"] ?? 0
    }
}
