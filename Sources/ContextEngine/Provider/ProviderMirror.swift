import JSONWire

/// What one event did at the provider: the client messages the relay must send, in order, and what the
/// provider holds afterwards.
public struct ProviderOutcome: Sendable, Equatable {
    /// The provider's client messages, exact JSON, in order, for the current connection.
    public var send: [JSONValue] = []
    /// Tokens the provider holds on the current connection since the last (re)seed.
    public var held: Int
    /// The part of `held` no longer in the compacted context (stripped instructions and evicted turns
    /// a provider that cannot delete still holds).
    public var stale: Int
    /// What `held` must stay within.
    public var limit: Int
    /// A re-seed the relay should carry out now: a new connection, seeded with `send`.
    public var reseed: ReseedPlan?
    /// The answer to a `usage.report`.
    public var drift: ProviderDrift?
}

/// Replace the provider connection by a fresh one seeded with the compacted context.
public struct ReseedPlan: Sendable, Equatable {
    public var reason: String
    /// The complete message sequence for the new connection.
    public var send: [JSONValue]
    /// Tokens the new connection will hold once seeded.
    public var held: Int
}

/// What the provider reported against what the ledger says it holds.
public struct ProviderDrift: Sendable, Equatable {
    public var reported: Int
    public var held: Int
    /// `reported − held`.
    public var tokens: Int { reported - held }
    public var percent: Double { held == 0 ? 0 : Double(tokens) * 100 / Double(held) }
    /// Whether the drift passes the policy's threshold (a `provider.drift` notification).
    public var notify: Bool
    /// The calibration applied (nil: the policy only reports).
    public var calibrated: String?
    /// The report's audio tokens and the audio the ledger held for it, when the report said how
    /// many of its tokens were audio.
    public var audio: (reported: Int, held: Int)?

    public static func == (lhs: ProviderDrift, rhs: ProviderDrift) -> Bool {
        lhs.reported == rhs.reported && lhs.held == rhs.held && lhs.notify == rhs.notify && lhs.calibrated == rhs.calibrated
            && lhs.audio?.reported == rhs.audio?.reported && lhs.audio?.held == rhs.audio?.held
    }
}

/// The provider ledger: what the provider holds on the current connection since the last (re)seed,
/// item by item with its provider-side cost, and the messages that bring the provider to the
/// compacted context. A pure mirror beside the renderers, fed by each applied event and its outcome
/// (`ContextSession.apply` calls `follow`), so it is stored and rebuilt through the same event log.
///
/// The ledger changes only with what the relay is told to send and what it reports: the turns a
/// provider creates itself (spoken turns, the model's own turns), and acknowledgements (a confirmed
/// re-seed, a usage report).
public struct ProviderMirror: Sendable {
    public let profile: ProviderProfile
    public let policy: ProviderPolicy

    /// One item the provider holds, keyed by the context item's id (`script` for the instructions).
    struct Entry: Sendable {
        /// The provider's id for it (OpenAI: ours for the items we create, the server's for the turns
        /// it created; Gemini has none).
        var providerID: String?
        var tokens: Int
        /// The part of `tokens` that is audio.
        var audio: Int
        /// That audio at the profile's rate, before calibration scaled it (0: text).
        var audioBase: Int = 0
        /// Still in the compacted context.
        var live: Bool
        /// The exchange of the context item it stands for (nil: the script, a seed's leftovers).
        var exchange: Int?
    }

    var entries: [String: Entry] = [:]
    /// The held items' ids in the provider's order (what its prefix cache and its own truncation see).
    public internal(set) var order: [String] = []
    /// Gemini `systemInstruction` delivery: the instructions inside the system instruction after the
    /// script, in context order (the active one, and those a keep policy keeps). One `contextUpdate`
    /// replaces the whole system instruction, so each one sent carries all of them: with only the
    /// newest, a kept instruction left the provider while the context kept it, and the ledger added
    /// every replaced one to the script entry (`keep-last-n` 2: 4 instructions held, 1 sent).
    var systemExtras: [(id: String, tokens: Int)] = []
    public internal(set) var held = 0
    public internal(set) var stale = 0
    /// The part of `held` that is audio (what calibration of the audio rate scales).
    var audioHeld = 0
    /// Framing per item, calibrated from usage reports when the policy says so.
    public internal(set) var overhead: Int
    /// Multiplies the profile's audio rates (calibration).
    public internal(set) var audioScale = 1.0
    /// The most framing per item a calibration sets: 8× OpenAI's documented 4 ("a 10-token message
    /// may count 12", realtime costs guide); more is a report that is not about framing.
    static let maxCalibratedFraming = 32
    /// A planned re-seed not yet confirmed: the ids of the items its seed holds, its size, and the
    /// instructions its system instruction holds (Gemini `systemInstruction` delivery), with their
    /// tokens: one that leaves the context before the confirmation is replaced, not stale.
    var pendingSeed: (items: [String], held: Int, system: [(id: String, tokens: Int)])?
    /// The first index of `order` whose item was added, dropped or resized since `markPrompt()`:
    /// the items before it are what the provider held then, unchanged (its cached prefix). Not state:
    /// a checkpoint drops it.
    public internal(set) var unchangedPrefix = 0
    /// Whether a re-seed is planned and not yet confirmed (a goAway then re-seeds: the plan is due).
    public var reseedPending: Bool { pendingSeed != nil }
    /// Provider item ids ever named for this session (a reuse is refused).
    var providerItemIDs: Set<String> = []
    /// What the provider held when its latest answer began (just before the model's turn was held):
    /// the input that answer's usage report counts. Nil until an answer, and after a report.
    var answerStart: (held: Int, audio: Int, items: Int)?
    /// What turns' evictions deleted since the last answer began: the provider held it when the next
    /// answer began (server VAD starts it before the turn's transcript, whose eviction deletes, and a
    /// model turn's deletes go out with its transcript), so that answer's input counts it. Taken as
    /// what was held after, an exact report drifted by what was evicted and calibrated × 4 (audit).
    var deletedSinceAnswer = (held: 0, audio: 0, items: 0)
    /// The drift `ContextSession` reconciled for the usage report being applied, for `follow`.
    var reportedDrift: ProviderDrift?

    init(profile: ProviderProfile, policy: ProviderPolicy) {
        self.profile = profile
        self.policy = policy
        self.overhead = profile.overheadPerItem
    }

    var limit: Int { profile.heldLimit }
    var delivery: ProviderProfile.InstructionDelivery { policy.instructionDelivery ?? profile.instructionDelivery }

    func outcome(_ send: [JSONValue] = [], reseed: ReseedPlan? = nil, drift: ProviderDrift? = nil) -> ProviderOutcome {
        ProviderOutcome(send: send, held: held, stale: stale, limit: limit, reseed: reseed, drift: drift)
    }

    // MARK: - The ledger

    mutating func hold(_ id: String, providerID: String?, tokens: Int, audio: Int = 0, audioBase: Int = 0, exchange: Int? = nil) {
        if let old = entries[id] {
            release(id, old)
            changed(id)
        } else {
            order.append(id)  // past the unchanged prefix: it stays
        }
        entries[id] = Entry(providerID: providerID, tokens: tokens, audio: audio, audioBase: audioBase, live: true, exchange: exchange)
        held += tokens
        audioHeld += audio
    }

    /// The provider no longer holds `id` (deleted, truncated, or a new connection).
    ///
    /// - Complexity: O(items held): the order is an array (a call holds a few hundred items).
    mutating func drop(_ id: String) {
        guard let entry = entries.removeValue(forKey: id) else { return }
        release(id, entry)
        if let index = order.firstIndex(of: id) {
            order.remove(at: index)
            unchangedPrefix = min(unchangedPrefix, index)
        }
    }

    /// From now on `unchangedPrefix` counts the items unchanged since this prompt.
    public mutating func markPrompt() { unchangedPrefix = order.count }

    /// `id` (held) changed in place. Searched from the end, where a streamed turn is, but the script
    /// (the system instruction) is first.
    private mutating func changed(_ id: String) {
        guard unchangedPrefix > 0 else { return }
        let index = order.first == id ? 0 : order.lastIndex(of: id) ?? 0
        unchangedPrefix = min(unchangedPrefix, index)
    }

    /// The tokens the provider holds for `id` (0 when it holds nothing of it).
    public func tokens(of id: String) -> Int { entries[id]?.tokens ?? 0 }

    /// The held items in the provider's order: id, tokens, still in the compacted context, exchange.
    public var heldItems: [(id: String, tokens: Int, live: Bool, exchange: Int?)] {
        order.compactMap { id in entries[id].map { (id, $0.tokens, $0.live, $0.exchange) } }
    }

    private mutating func release(_ id: String, _ entry: Entry) {
        held -= entry.tokens
        audioHeld -= entry.audio
        if !entry.live { stale -= entry.tokens }
    }

    /// `id` left the compacted context but the provider keeps it.
    mutating func markStale(_ id: String) {
        guard var entry = entries[id], entry.live else { return }
        entry.live = false
        entries[id] = entry
        stale += entry.tokens
    }

    mutating func resize(_ id: String, tokens: Int, audio: Int, audioBase: Int = 0) {
        guard let entry = entries[id] else { return }
        if tokens != entry.tokens { changed(id) }
        recount(id, entry, tokens: tokens, audio: audio, audioBase: audioBase)
    }

    /// `entry`, held as `id`, with new counts: held, audioHeld and stale kept in step.
    private mutating func recount(_ id: String, _ entry: Entry, tokens: Int, audio: Int, audioBase: Int) {
        var entry = entry
        held += tokens - entry.tokens
        audioHeld += audio - entry.audio
        if !entry.live { stale += tokens - entry.tokens }
        entry.tokens = tokens
        entry.audio = audio
        entry.audioBase = audioBase
        entries[id] = entry
    }

    /// Every held item counted again at the calibrated audio rate and framing (`recostOnCalibration`):
    /// the calibration is the provider's cost of what it already holds too. Each entry is at the
    /// framing `fromOverhead` (every entry was held or last counted at the framing of its time, and
    /// each calibration re-counts them all). What the provider holds is unchanged: its cached prefix
    /// is not touched.
    ///
    /// - Complexity: O(items held), once per calibrating report.
    mutating func recostEntries(fromOverhead: Int) {
        for id in order {
            guard let entry = entries[id] else { continue }
            let text = max(0, entry.tokens - entry.audio - fromOverhead)
            let audio = entry.audioBase > 0 ? Int((Double(entry.audioBase) * audioScale).rounded()) : entry.audio
            recount(id, entry, tokens: text + audio + overhead, audio: audio, audioBase: entry.audioBase)
        }
    }

    /// Forgets everything the old connection held: a new connection starts empty.
    mutating func newConnection() {
        entries.removeAll(keepingCapacity: true)
        order.removeAll(keepingCapacity: true)
        unchangedPrefix = 0
        systemExtras.removeAll()
        held = 0
        stale = 0
        audioHeld = 0
        deletedSinceAnswer = (0, 0, 0)
    }

    // MARK: - Costs

    /// What the provider counts for an item it holds as text.
    func textCost(_ item: ContextItem) -> Int { item.tokens + overhead }

    /// What the provider counts for a turn it created itself, and the audio part of it: its audio
    /// when spoken, else its text.
    func createdCost(_ item: ContextItem) -> (tokens: Int, audio: Int, audioBase: Int) {
        guard let audioMs = item.audioMs else { return (textCost(item), 0, 0) }
        let role: TurnRole = item.role == .model ? .model : .user
        let audio = audioTokens(role, milliseconds: audioMs)
        return (audio + overhead, audio, profile.audioTokens(role, milliseconds: audioMs))
    }

    /// The audio tokens of a spoken turn at the calibrated rate.
    func audioTokens(_ role: TurnRole, milliseconds: Int) -> Int {
        Int((Double(profile.audioTokens(role, milliseconds: milliseconds)) * audioScale).rounded())
    }

    /// Tokens the context keeps free when the client starts speaking (`ProviderPolicy.speechRoomMs`),
    /// for the spoken turn the provider adds before the engine hears of it; 0 on a provider that
    /// cannot delete (what it holds is bounded by re-seeds).
    var speechRoom: Int {
        guard profile.canDelete, let milliseconds = policy.speechRoomMs, milliseconds > 0 else { return 0 }
        return audioTokens(.user, milliseconds: milliseconds) + overhead
    }

    /// What calibration added to the profile's framing per item (0 without `calibrate`), as sessions
    /// stored before `budgetCoversHeld` count it; the others count it from their own framing
    /// (`ContextSession.framingShift`).
    var framingShift: Int { overhead - profile.overheadPerItem }

    /// Turns the provider created itself: spoken turns, the model's own answers, and any turn the
    /// relay names a provider id for. The engine sends the others (typed user turns, instructions,
    /// the summary).
    func providerCreated(_ item: ContextItem) -> Bool {
        item.kind == .turn && (item.audioMs != nil || item.role == .model || item.providerItemID != nil)
    }

    /// The provider id the engine gives an item it creates (OpenAI allows client ids of ≤ 32 chars).
    static func ourID(_ item: ContextItem) -> String { ourID(item.id) }
    static func ourID(_ id: String) -> String { "tb_" + id }
}

extension ContextSession {
    /// The provider's prompt was billed now: its mirror's `unchangedPrefix` counts from here.
    public mutating func markProviderPrompt() { provider?.markPrompt() }
}
