import Tokenizer

/// Who speaks in a turn.
public enum TurnRole: String, Sendable {
    case user, model
}

/// Window, reserve, policy and renderer of one session.
public struct SessionConfiguration: Sendable, Equatable {
    public static let defaultWindow = 32_000

    public var window: Int = defaultWindow
    /// Tokens kept free for the model's answer.
    public var reserve: Int = 0
    public var policy: ContextPolicy = .stripAfterResponse
    /// Renderer whose per-item overhead the budget counts: `neutral`, `gemini` or `openai`.
    public var renderer: String = "neutral"
    /// The provider on the other side of the relay: the session then keeps its ledger and hands the
    /// relay the provider's messages (nil: the compacted context only).
    public var provider: ProviderProfile?
    public var providerPolicy = ProviderPolicy()

    public init(window: Int = defaultWindow, reserve: Int = 0, policy: ContextPolicy = .stripAfterResponse,
                renderer: String = "neutral", provider: ProviderProfile? = nil) {
        self.window = window
        self.reserve = reserve
        self.policy = policy
        self.renderer = renderer
        self.provider = provider
    }
}

/// One conversation's context: the pinned script, the rolling history of exchanges, and manager
/// instructions that are buffered (pending), injected when the client starts speaking (active) and
/// stripped once the model has answered.
///
/// Pure value logic, no I/O. Every event either applies completely and returns an `EventOutcome`
/// or throws a `ContextError` and changes nothing. The context never exceeds window − reserve.
///
/// - Complexity: each event is amortized O(1) plus tokenizing its own text: usage, the content hash
///   and exchange costs are kept incrementally, evicted items leave from the front of arrays that
///   are compacted only when half dead.
public struct ContextSession: Sendable {
    public let id: String
    public let script: Script
    public let configuration: SessionConfiguration
    let tokenizer: any TextTokenizer
    let overhead: Int

    // MARK: State

    /// Turn and instruction items in context order; nil marks a stripped instruction. Absolute index
    /// `i` lives at `items[i - itemBase]`.
    var items: [ContextItem?] = []
    var itemBase = 0
    var exchanges: [Exchange] = []
    var exchangeBase = 0
    var summary: ContextItem?
    var pending: PendingInstruction?
    /// Absolute index of the active instruction.
    var activeIndex: Int?
    /// Absolute indices of answered instructions still in context (keep-all, keep-last-n), oldest first.
    var keptInstructions: [Int] = []
    /// Absolute index of the last turn (for partial chunks).
    var lastTurnIndex: Int?
    /// The settled prefix of the last turn's text while it arrives in chunks (`countAppending`):
    /// each chunk counts only the text after it. Recounting the whole turn at every chunk made a
    /// turn of n chunks cost O(n²) (20,000 chunks: 0.09 → 0.44 ms per chunk).
    var lastTurnSettled: SettledPrefix?
    /// The XXH3 stream of the last turn's text while it arrives in chunks: each chunk hashes its own
    /// bytes (`applyTurnChunk`). Dropped when a turn starts or ends and at a restore; not
    /// checkpointed: the next chunk makes it again from the turn's text.
    var lastTurnTextHash: XXH3Stream?

    var usage: Usage
    /// Wrapping sum of the live items' seeded content hashes.
    var hashSum: UInt64
    var liveItems = 1
    var nextID = 1
    var nextOrdinal: UInt64 = 2  // 0 is the script, 1 the summary slot
    public internal(set) var version = 0
    var delta = Delta()
    /// What the provider holds, and the messages that keep it in step (provider sessions only).
    public internal(set) var provider: ProviderMirror?

    struct Exchange: Sendable {
        /// Absolute index of the exchange's first item.
        var firstItem: Int
        /// Tokens of its live items, overhead included.
        var cost: Int
        var hasModelTurn: Bool
    }

    struct PendingInstruction: Sendable {
        var id: String
        var text: String
        var rendered: String
        var tokens: Int
        /// How far `rendered` is counted for good (`countAppending`): a coalesced push counts only
        /// from there. Not state: a checkpoint drops it, and the next push counts the whole text.
        var settled: SettledPrefix? = nil
    }

    // MARK: Opening

    /// Opens a session on `script`.
    ///
    /// - Throws: `.scriptOverBudget` when the script alone exceeds window − reserve;
    ///   `.invalidConfiguration` for a window ≤ 0 or a reserve outside 0 ..< window.
    public init(id: String, script: Script, configuration: SessionConfiguration = SessionConfiguration(),
                tokenizer: any TextTokenizer) throws {
        guard configuration.window > 0, configuration.window <= Bounds.maxWindow else {
            throw ContextError(
                .invalidConfiguration, "window must be in 1...\(Bounds.maxWindow), got \(configuration.window)", field: "window")
        }
        for (renderer, tokens) in configuration.policy.overheadPerItem where !(0 ... Bounds.maxOverheadPerItem).contains(tokens) {
            throw ContextError(
                .invalidPolicy, "policy.overheadPerItem.\(renderer) must be in 0...\(Bounds.maxOverheadPerItem), got \(tokens)",
                field: "overheadPerItem")
        }
        guard configuration.reserve >= 0, configuration.reserve < configuration.window else {
            throw ContextError(
                .invalidConfiguration,
                "reserve must be in 0 ..< window (\(configuration.window)), got \(configuration.reserve)")
        }
        self.id = id
        self.script = script
        self.configuration = configuration
        self.tokenizer = tokenizer
        self.overhead = configuration.policy.overhead(for: configuration.renderer)
        let scriptCost = script.tokens + overhead
        self.usage = Usage(
            window: configuration.window, reserve: configuration.reserve, script: scriptCost, summary: 0, history: 0,
            instruction: 0, items: 1)
        self.hashSum = ContextSession.scriptItem(script).contentHash
        guard scriptCost <= usage.limit else {
            throw ContextError(
                .scriptOverBudget,
                "the script needs \(scriptCost) tokens but window − reserve is \(usage.limit) "
                    + "(window \(configuration.window), reserve \(configuration.reserve))")
        }
        if let profile = configuration.provider {
            var mirror = ProviderMirror(profile: profile, policy: configuration.providerPolicy)
            // What the budget counts per item is what the provider counts: held and the compacted
            // context are measured alike.
            mirror.overhead = overhead
            mirror.hold("script", providerID: nil, tokens: script.tokens + mirror.overhead)
            provider = mirror
        }
    }

    static func scriptItem(_ script: Script) -> ContextItem {
        ContextItem(
            id: "script", kind: .script, role: .system, text: script.text, tokens: script.tokens, final: true,
            ordinal: 0, exchange: -1)
    }

    // MARK: Reading

    /// Usage by segment now.
    public var currentUsage: Usage { usage }

    /// The content hash now, 16 hex digits.
    public var hash: String {
        var words = (hashSum, UInt64(liveItems))
        return withUnsafeBytes(of: &words) { hex16(xxh3($0)) }
    }

    /// The messages that open the provider's first connection (Gemini: `setup`; OpenAI: `session.update`),
    /// and what it then holds; nil without a provider.
    public var providerOpening: ProviderOutcome? {
        provider.map { $0.outcome($0.openingSend(self)) }
    }

    /// The pending instruction's id and text, if one is buffered.
    public var pendingInstruction: (id: String, text: String)? { pending.map { ($0.id, $0.text) } }

    /// The id of the instruction in the context now, if one is active.
    public var activeInstructionID: String? { activeIndex.flatMap { item(at: $0)?.id } }

    /// The full compacted context.
    public func snapshot() -> Snapshot {
        var ordered = [ContextSession.scriptItem(script)]
        if let summary { ordered.append(summary) }
        for case let item? in items { ordered.append(item) }
        return Snapshot(session: id, version: version, items: ordered, usage: usage, hash: hash)
    }

    /// What changed since the previous call (or since opening), then starts a new delta.
    public mutating func takeDelta() -> Delta {
        defer { delta = Delta() }
        return delta
    }

    @inline(__always)
    func item(at index: Int) -> ContextItem? {
        let local = index - itemBase
        guard local >= 0, local < items.count else { return nil }
        return items[local]
    }

    var currentExchange: Int? { exchanges.count > 0 ? exchangeBase + exchanges.count - 1 : nil }

    func exchange(_ index: Int) -> Exchange { exchanges[index - exchangeBase] }
}
