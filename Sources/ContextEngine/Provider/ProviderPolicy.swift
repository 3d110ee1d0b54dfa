import JSONWire

/// The tunable rules of the provider mirror (part of the session's policy, `provider` in its JSON).
public struct ProviderPolicy: Sendable, Equatable {
    /// Whether the engine plans re-seeds by itself (off: only at `resume.goAway`, as a relay that
    /// resumes with the handle does; the provider then fills up with what it cannot delete).
    public var planReseeds = true
    /// A provider that cannot delete is re-seeded once it holds more than this fraction of its limit.
    public var reseedAt: Double = 0.9
    /// At `resume.goAway`, re-seed instead of resuming with the handle when at least this many stale
    /// tokens are held (the handle would restore them).
    public var reseedOnGoAwayStaleTokens: Int = 1
    /// `usage.report`: only report the drift, or also calibrate the audio rate and the framing.
    public var calibrate: Bool = false
    /// A `provider.drift` notification when a report drifts more than this from the ledger (percent).
    public var driftNotifyPercent: Double = 10
    /// Gemini: how an instruction reaches the model (nil: the model family's default).
    public var instructionDelivery: ProviderProfile.InstructionDelivery? = nil
    /// OpenAI: send `conversation.item.delete` for what leaves the context (off: the provider keeps it,
    /// stale, and its own truncation is what bounds it).
    public var sendDeletes = true
    /// The provider's own truncation, as the ledger models it: past `trigger` tokens held it drops the
    /// oldest items (never the instructions of the session) down to `target` — Gemini's sliding window
    /// (`contextWindowCompression`, sent in `setup`), OpenAI's `truncation: "auto"`. Nil: off (the
    /// engine manages the context; Gemini's window is set at the held limit as a backstop).
    public var providerTruncation: (trigger: Int, target: Int)? = nil
    /// A provider that deletes (OpenAI): when the client starts speaking, the context keeps room for
    /// this much user audio. Its server VAD commits the spoken turn and starts the response before the
    /// transcript reaches the engine, so the response's input is what the provider held then plus
    /// the turn; with `truncation: "disabled"` an input over 28,224 tokens fails the response.
    /// Nil: no room kept (a session stored before this key); `session.open` gives an OpenAI session
    /// `defaultSpeechRoomMs`.
    public var speechRoomMs: Int? = nil
    /// 60 s of user audio: 600 tokens at OpenAI's 10 a second, 2 % of the 28,224.
    public static let defaultSpeechRoomMs = 60_000
    /// With `calibrate`: a report is matched against what the provider held when its answer began
    /// (the answer's input), and the calibrated costs apply to every item held, in the ledger and in
    /// the budget, which evicts when they no longer fit. False: a session stored before this key,
    /// whose log must fold to its recorded hash — the report matched against what is held now, the
    /// calibration for the ledger's items that follow, the budget at the profile's costs.
    public var recostOnCalibration = false
    /// On a provider that deletes, an item is a turn: a chunk naming another item starts a turn of its
    /// own, a late chunk of the last turn's item grows it again, and a turn whose item was on a
    /// connection a re-seed replaced goes to the new one as text. False: a session stored before this
    /// key, whose log must fold as it did (the turn held under the old connection's id; the others
    /// refused).
    public var itemsAreTurns = false
    /// The budget counts every item at least as the provider holds it (audit 41):
    /// - on a provider that deletes, a spoken turn at least at its text: a re-seed sends it to the new
    ///   connection as text, and the budget counted its audio alone, so a transcript longer than its
    ///   audio (a relay's `audioMs` of the last chunk, not the whole turn's) held 36,607 tokens of
    ///   OpenAI's 28,224 after re-seeds;
    /// - calibration's framing shift measured from the session's own framing, not the profile's (a
    ///   policy's `overheadPerItem` of 10 on OpenAI, whose profile says 4, counted 6 tokens more than
    ///   held on every item), and counted on the script and the summary too (a calibrated framing of
    ///   32 held 28 tokens more than the budget counted for the script).
    /// False: a session stored before this key, whose log must fold as it did.
    public var budgetCoversHeld = false
    /// The relay's own settings for the provider's setup (voice, turn detection, transcription…),
    /// merged into every setup message the engine hands it (`ProviderSetup`; checked per provider by
    /// `session.open`). Nil: the engine's setup alone.
    public var setup: JSONValue? = nil

    public static func == (lhs: ProviderPolicy, rhs: ProviderPolicy) -> Bool {
        lhs.planReseeds == rhs.planReseeds && lhs.reseedAt == rhs.reseedAt
            && lhs.reseedOnGoAwayStaleTokens == rhs.reseedOnGoAwayStaleTokens && lhs.calibrate == rhs.calibrate
            && lhs.driftNotifyPercent == rhs.driftNotifyPercent && lhs.instructionDelivery == rhs.instructionDelivery
            && lhs.sendDeletes == rhs.sendDeletes && lhs.providerTruncation?.trigger == rhs.providerTruncation?.trigger
            && lhs.providerTruncation?.target == rhs.providerTruncation?.target && lhs.speechRoomMs == rhs.speechRoomMs
            && lhs.recostOnCalibration == rhs.recostOnCalibration && lhs.itemsAreTurns == rhs.itemsAreTurns
            && lhs.budgetCoversHeld == rhs.budgetCoversHeld && lhs.setup == rhs.setup
    }

    public init() {}

    /// The policy a new session of `profile` opens with: `speechRoomMs` on a provider that deletes,
    /// unless the caller set it, `recostOnCalibration`, `itemsAreTurns` and `budgetCoversHeld`.
    public func opening(_ profile: ProviderProfile) -> ProviderPolicy {
        var policy = self
        if profile.canDelete && policy.speechRoomMs == nil { policy.speechRoomMs = Self.defaultSpeechRoomMs }
        policy.recostOnCalibration = true
        policy.itemsAreTurns = true
        policy.budgetCoversHeld = true
        return policy
    }
}
