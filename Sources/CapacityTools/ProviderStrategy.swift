import ContextEngine

/// How a relay runs a call against the provider: what it does at a goAway, whether the engine plans
/// re-seeds, how instructions arrive, and who truncates. One row and one chart panel each in
/// `capacity` and `replay --provider` (docs/benchmarks.md).
public enum ProviderStrategy: String, Sendable, CaseIterable {
    /// Gemini: resume with the handle at every goAway (what a relay does today): nothing is ever shed.
    case resumeOnly = "resume-only"
    /// Gemini: a new connection seeded with the compacted context at every goAway (~every 10 min).
    case reseedAtGoAway = "reseed-at-goaway"
    /// Gemini: re-seeds planned by the engine at its threshold, and at a goAway when stale tokens are held.
    case enginePlanned = "engine-planned"
    /// Gemini: as `engine-planned`, the instruction through the system instruction (`contextUpdate`),
    /// so a stripped instruction leaves nothing stale (models that accept `contextUpdate`).
    case systemInstruction = "system-instruction"
    /// Gemini: its own sliding window only (resume at goAway; past the window it drops the oldest
    /// turns down to half of it, the documented default target).
    case slidingWindow = "sliding-window"
    /// OpenAI: what leaves the context is deleted (`conversation.item.delete`).
    case deletes
    /// OpenAI: no deletes, the provider's `truncation: "auto"` drops the oldest items past the limit.
    case truncationAuto = "truncation-auto"
    /// The seed's baseline on either provider: instructions kept in the context, nothing shed.
    case keepAll = "keep-all"

    /// The strategies compared for a provider, baseline last.
    public static func all(for kind: ProviderKind) -> [ProviderStrategy] {
        switch kind {
        case .geminiLive: [.resumeOnly, .reseedAtGoAway, .enginePlanned, .systemInstruction, .slidingWindow, .keepAll]
        case .openAIRealtime: [.deletes, .truncationAuto, .keepAll]
        }
    }

    /// Whether the strategy exists for `kind`.
    public func applies(to kind: ProviderKind) -> Bool { Self.all(for: kind).contains(self) }

    /// At a goAway: `true` always re-seed, `false` always resume with the handle, nil the engine decides
    /// (`providerPolicy.reseedOnGoAwayStaleTokens`). OpenAI has no resumption: always a re-seed.
    public func reseedsAtGoAway(_ kind: ProviderKind) -> Bool? {
        if kind == .openAIRealtime { return true }
        switch self {
        case .reseedAtGoAway: return true
        case .enginePlanned, .systemInstruction: return nil
        case .resumeOnly, .slidingWindow, .keepAll, .deletes, .truncationAuto: return false
        }
    }

    /// The session's configuration under this strategy, from the profile and the caller's context policy.
    public func configuration(profile: ProviderProfile, policy: ContextPolicy, window: Int? = nil, reserve: Int? = nil)
        -> SessionConfiguration
    {
        var configuration = SessionConfiguration(
            window: window ?? profile.window, reserve: reserve ?? profile.reserve,
            policy: self == .keepAll ? ContextPolicy.keepAll : policy, provider: profile)
        if configuration.policy.overheadPerItem == ["*": 0] {
            configuration.policy.overheadPerItem = ["*": profile.overheadPerItem]
        }
        var provider = ProviderPolicy()
        provider.planReseeds = self == .enginePlanned || self == .systemInstruction
        switch self {
        case .systemInstruction:
            provider.instructionDelivery = .systemInstruction
        case .slidingWindow:
            provider.providerTruncation = (profile.heldLimit, profile.heldLimit / 2)
        case .truncationAuto:
            provider.sendDeletes = false
            provider.providerTruncation = (profile.heldLimit, profile.heldLimit)
        case .resumeOnly, .reseedAtGoAway, .enginePlanned, .deletes, .keepAll:
            break
        }
        configuration.providerPolicy = provider.opening(profile)
        return configuration
    }
}
