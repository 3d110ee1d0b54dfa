/// The model service on the other side of the relay.
public enum ProviderKind: String, Sendable, CaseIterable {
    case geminiLive = "gemini-live"
    case openAIRealtime = "openai-realtime"
}

/// What a provider holds and how it counts it: the data behind the provider ledger and the messages
/// the engine hands the relay. Every number's source is in docs/providers.md; the audio rates and the
/// framing are starting points that `usage.report` can calibrate per session.
public struct ProviderProfile: Sendable, Equatable {
    /// How a manager instruction reaches the model in the middle of a connection.
    public enum InstructionDelivery: String, Sendable {
        /// Gemini: a `clientContent` user turn with `turnComplete: false` (2.5 models accept it).
        case clientContent
        /// Gemini: `realtimeInput.text`, for models that refuse mid-session `clientContent`.
        case realtimeInputText
        /// Gemini: the script and the instruction as the system instruction (`contextUpdate`), restored
        /// to the script when it is stripped: nothing stale is left (models that accept `contextUpdate`).
        case systemInstruction
        /// OpenAI: a `system` conversation item.
        case systemItem
        /// OpenAI: a `user` conversation item.
        case userItem
    }

    public var kind: ProviderKind
    public var model: String
    /// The tokenizer whose counts are closest to the provider's: Gemini 2.5 → Gemma 3, 3.x → Gemma 4.
    public var encoding: String
    /// The engine's window for the compacted context, unless the request names one.
    public var window: Int
    /// Tokens kept free, unless the request names a reserve: the model's output (OpenAI: 4,096), and
    /// for a provider that cannot delete, the room between a seed and the re-seed threshold.
    public var reserve: Int
    /// What the provider's held context must stay within (OpenAI: the 28,224 input tokens of a
    /// 32,768 window with 4,096 output; Gemini: the window).
    public var heldLimit: Int
    /// Tokens of framing each item costs at the provider beyond its text.
    public var overheadPerItem: Int
    /// Tokens per second of audio the provider counts for a spoken turn.
    public var userAudioTokensPerSecond: Double
    public var modelAudioTokensPerSecond: Double
    /// Whether the provider can delete an item it holds (OpenAI `conversation.item.delete`).
    public var canDelete: Bool
    public var instructionDelivery: InstructionDelivery

    /// Tokens the provider counts for `milliseconds` of audio spoken by `role`, rounded up.
    public func audioTokens(_ role: TurnRole, milliseconds: Int) -> Int {
        let rate = role == .user ? userAudioTokensPerSecond : modelAudioTokensPerSecond
        return Int((Double(milliseconds) * rate / 1_000).rounded(.up))
    }

    /// The profile of `kind`, for `model` (nil: the provider's default model).
    ///
    /// - Throws: `ContextError(.invalidConfiguration)` naming the models known for an unknown one.
    public static func named(_ kind: ProviderKind, model: String? = nil) throws -> ProviderProfile {
        switch kind {
        case .geminiLive:
            // The stable model Google recommends (docs/providers.md).
            let model = model ?? "gemini-3.8-live"
            let family: (encoding: String, delivery: InstructionDelivery)
            if model.hasPrefix("gemini-2.5") || model.hasPrefix("gemini-live-2.5") {
                family = ("gemma3", .clientContent)
            } else if model.hasPrefix("gemini-3.1") {
                // At its launch 3.1 closed the connection (1007) on clientContent after the first
                // model turn; realtimeInput.text is the documented way in.
                family = ("gemma4", .realtimeInputText)
            } else if model.hasPrefix("gemini-3") {
                family = ("gemma4", .clientContent)
            } else {
                throw ContextError(
                    .invalidInput,
                    "unknown gemini-live model \"\(model)\"; known families: gemini-2.5-* and gemini-live-2.5-* "
                        + "(Gemma 3 tokenizer), gemini-3* (Gemma 4)")
            }
            // Window 32,000: the product's budget for a call (the models take 131,072, and bill every
            // token held). Reserve 4,000: a seed holds at most 28,000, so ~7 reference exchanges
            // (550 tokens) fit before the 90 % re-seed threshold (28,800). Audio: 32 tokens/s in
            // Google's audio docs (25 elsewhere): calibrate with usage.report.
            return ProviderProfile(
                kind: kind, model: model, encoding: family.encoding, window: 32_000, reserve: 4_000, heldLimit: 32_000,
                overheadPerItem: 0, userAudioTokensPerSecond: 32, modelAudioTokensPerSecond: 32, canDelete: false,
                instructionDelivery: family.delivery)
        case .openAIRealtime:
            let model = model ?? "gpt-realtime"
            guard model.hasPrefix("gpt-realtime") || model.hasPrefix("gpt-4o-realtime") || model.hasPrefix("gpt-4o-mini-realtime")
            else {
                throw ContextError(
                    .invalidInput,
                    "unknown openai-realtime model \"\(model)\"; known: gpt-realtime*, gpt-4o-realtime*, gpt-4o-mini-realtime*")
            }
            // 28,224 input tokens at most (the SDK's `truncation` docs), 4,096 output: window 32,320,
            // reserve 4,096, so the compacted context is what the provider may hold. Audio: 1 token
            // per 100 ms of user audio, per 50 ms of assistant audio (OpenAI's realtime costs guide).
            // gpt-4o-mini-realtime-preview: a 16,000-token context window and 4,096 output tokens
            // (its model page), so at most 11,904 input tokens; it had gpt-realtime's 28,224 and a
            // call held 24,166 with no action (audit).
            let mini = model.hasPrefix("gpt-4o-mini-realtime")
            return ProviderProfile(
                kind: kind, model: model, encoding: "o200k_base", window: mini ? 16_000 : 32_320, reserve: 4_096,
                heldLimit: mini ? 11_904 : 28_224,
                overheadPerItem: 4, userAudioTokensPerSecond: 10, modelAudioTokensPerSecond: 20, canDelete: true,
                instructionDelivery: .systemItem)
        }
    }
}
