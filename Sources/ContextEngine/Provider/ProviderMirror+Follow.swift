import Foundation
import JSONWire

/// How each applied event changes what the provider holds, and what the relay must send for it.
extension ProviderMirror {
    /// Follows one applied event: `delta` is what it changed in the compacted context.
    ///
    /// - Complexity: O(items the event changed), plus O(context) for a re-seed plan or confirmation.
    mutating func follow(_ event: ContextEvent, _ delta: Delta, context: ContextSession) -> ProviderOutcome {
        switch event {
        case .connected(let reseeded):
            if reseeded {
                // Confirmed first: `outcome(confirmSeed(context))` would read the ledger before it.
                let send = confirmSeed(context)
                return outcome(send)
            }
            // Resumed with a handle, the provider restored everything: the ledger stands. A plan
            // the relay did not carry out is void, and is made again while the threshold is still
            // passed: kept, it blocked every later plan, and a Gemini call resumed past one grew
            // to 38,405 held tokens of its 32,000 with no plan again (audit).
            pendingSeed = nil
            let reseed = planIfOverThreshold(context)
            return outcome(reseed: reseed)
        case .reseedPlanned(let reason):
            let plan = plan(reason, context)
            return outcome(reseed: plan)
        case .usageReported(let reported, let audio):
            // Reconciled by `ContextSession.applyUsageReport`, which applies every report (its
            // evictions follow below).
            let drift = reportedDrift ?? reconcile(reported, audio: audio)
            reportedDrift = nil
            var send = [JSONValue]()
            for id in delta.removed { remove(id, context, &send) }
            return outcome(send, drift: drift)
        case .turn, .instruction, .speechStarted, .turnComplete, .summary:
            break
        }
        var send = [JSONValue]()
        let beforeRemovals = (held: held, audio: audioHeld, items: entries.count)
        for id in delta.removed { remove(id, context, &send) }
        if case .turn = event {
            deletedSinceAnswer.held += beforeRemovals.held - held
            deletedSinceAnswer.audio += beforeRemovals.audio - audioHeld
            deletedSinceAnswer.items += beforeRemovals.items - entries.count
        }
        for item in delta.added { add(item, context, &send) }
        for item in delta.updated { update(item, context, &send) }
        truncateAtProvider()
        let reseed = planIfOverThreshold(context)
        return outcome(send, reseed: reseed)
    }

    /// A re-seed plan when the policy plans them, the provider cannot delete, none is pending and
    /// what it holds is past the policy's share of its limit.
    private mutating func planIfOverThreshold(_ context: ContextSession) -> ReseedPlan? {
        guard policy.planReseeds, !profile.canDelete, pendingSeed == nil, Double(held) > policy.reseedAt * Double(limit) else {
            return nil
        }
        return plan(
            "the provider holds \(held) tokens, over \(Self.percent(policy.reseedAt)) of its limit \(limit) (\(stale) stale)", context)
    }

    private mutating func remove(_ id: String, _ context: ContextSession, _ send: inout [JSONValue]) {
        if let extra = systemExtra, extra.id == id {
            // The instruction leaves the system instruction: nothing of it stays at the provider.
            send.append(GeminiMessages.contextUpdate(systemInstruction: context.script.text))
            resize("script", tokens: entries["script"]!.tokens - extra.tokens, audio: 0)
            systemExtra = nil
            return
        }
        guard let entry = entries[id] else { return }
        if profile.canDelete, policy.sendDeletes, let providerID = entry.providerID {
            send.append(OpenAIMessages.delete(providerID))
            drop(id)
        } else {
            markStale(id)
        }
    }

    private mutating func add(_ item: ContextItem, _ context: ContextSession, _ send: inout [JSONValue]) {
        if providerCreated(item) {
            holdCreated(item)
        } else if item.kind != .turn || item.final {
            create(item, context, &send)
        }
    }

    /// A turn the provider created, first held: what its answer's report will be matched against is
    /// taken just before a model turn, and its id is registered (a reuse is refused).
    private mutating func holdCreated(_ item: ContextItem) {
        if item.role == .model {
            let deleted = deletedSinceAnswer
            answerStart = (held + deleted.held, audioHeld + deleted.audio, entries.count + deleted.items)
            deletedSinceAnswer = (0, 0, 0)
        }
        let cost = createdCost(item)
        hold(item.id, providerID: item.providerItemID, tokens: cost.tokens, audio: cost.audio, audioBase: cost.audioBase,
             exchange: item.exchange)
        if let providerID = item.providerItemID { providerItemIDs.insert(providerID) }
    }

    private mutating func update(_ item: ContextItem, _ context: ContextSession, _ send: inout [JSONValue]) {
        if entries[item.id] != nil {
            if providerCreated(item) {
                let cost = createdCost(item)
                resize(item.id, tokens: cost.tokens, audio: cost.audio, audioBase: cost.audioBase)
            }
        } else if providerCreated(item) {
            if profile.canDelete, policy.itemsAreTurns, let providerID = item.providerItemID, providerItemIDs.contains(providerID) {
                // Its item was on a connection a re-seed replaced (seeds hold final items only): the
                // new connection has none of it, and the provider makes another item of the audio
                // that follows (a turn of its own: `namesAnotherItem`). Once final it is
                // sent as text; held under the old id, it was deleted by an id the new connection
                // does not know.
                if item.final { create(item, context, &send) }
                return
            }
            // A turn still arriving when a new connection was seeded (seeds hold final items only):
            // Gemini creates it anew from the audio that follows. Or a typed turn that a chunk made
            // spoken, with the id it gave.
            holdCreated(item)
        } else if item.final {
            create(item, context, &send)  // a typed turn that arrived in chunks, now whole
        }
    }

    /// Sends an item the provider does not have (an instruction, a typed turn, the summary) as text.
    private mutating func create(_ item: ContextItem, _ context: ContextSession, _ send: inout [JSONValue]) {
        switch profile.kind {
        case .openAIRealtime:
            let id = Self.ourID(item)
            let previous = item.kind == .summary ? "root" : context.previousProviderID(before: item.id, in: self)
            send.append(OpenAIMessages.create(item, id: id, previous: previous, delivery: delivery))
            hold(item.id, providerID: id, tokens: textCost(item), exchange: item.exchange)
        case .geminiLive:
            // Gemini cannot insert: a summary reaches it only in a seed.
            guard item.kind != .summary else { return }
            if item.kind == .instruction && delivery == .systemInstruction {
                send.append(GeminiMessages.contextUpdate(systemInstruction: context.script.text + "\n\n" + item.text))
                resize("script", tokens: entries["script"]!.tokens + item.tokens, audio: 0)
                systemExtra = (item.id, item.tokens)
                return
            }
            if item.kind == .instruction && delivery == .realtimeInputText {
                send.append(GeminiMessages.realtimeText(item.text))
            } else {
                send.append(GeminiMessages.clientContent([item], turnComplete: item.kind == .turn))
            }
            hold(item.id, providerID: nil, tokens: textCost(item), exchange: item.exchange)
        }
    }

    /// The provider's own truncation, when the policy models it: the oldest items go (never the
    /// script), from `trigger` down to `target`.
    private mutating func truncateAtProvider() {
        guard let truncation = policy.providerTruncation, held > truncation.trigger else { return }
        var index = 0
        while held > truncation.target, index < order.count {
            let id = order[index]
            if id == "script" {
                index += 1
                continue
            }
            drop(id)
        }
    }

    // MARK: - Re-seeds

    /// Plans a new connection seeded with the compacted context as text; the ledger changes when the
    /// relay confirms it (`resume.connected {reseeded: true}`).
    mutating func plan(_ reason: String, _ context: ContextSession) -> ReseedPlan {
        var snapshot = context.snapshot()
        // A turn still arriving is left out: the provider creates it on the new connection from the
        // audio that follows (or the engine sends it once final, if it was typed).
        snapshot.items.removeAll { !$0.final }
        let items = snapshot.items.filter { $0.kind != .script }
        let seedHeld = context.script.tokens + overhead + items.reduce(0) { $0 + seedCost($1) }
        pendingSeed = (items.map(\.id), seedHeld)
        return ReseedPlan(reason: reason, send: seed(snapshot), held: seedHeld)
    }

    /// What an item of a seed costs: its text, or (an instruction inside the system instruction) its
    /// tokens without an item's framing.
    func seedCost(_ item: ContextItem) -> Int {
        inSystemInstruction(item) ? item.tokens : textCost(item)
    }

    func inSystemInstruction(_ item: ContextItem) -> Bool {
        profile.kind == .geminiLive && delivery == .systemInstruction && item.kind == .instruction
    }

    /// The complete message sequence of a fresh connection holding `snapshot`.
    func seed(_ snapshot: Snapshot) -> [JSONValue] {
        var script = snapshot.items.first { $0.kind == .script }?.text ?? ""
        var items = snapshot.items.filter { $0.kind != .script }
        switch profile.kind {
        case .geminiLive:
            for item in items where inSystemInstruction(item) { script += "\n\n" + item.text }
            items.removeAll { inSystemInstruction($0) }
            var messages = [GeminiMessages.setup(profile: profile, policy: policy, systemInstruction: script)]
            if !items.isEmpty { messages.append(GeminiMessages.clientContent(items, turnComplete: true)) }
            return messages
        case .openAIRealtime:
            var messages = [OpenAIMessages.sessionUpdate(instructions: script, truncation: policy.providerTruncation == nil ? "disabled" : "auto", relay: policy.setup)]
            var previous = "root"
            for item in items {
                messages.append(OpenAIMessages.create(item, id: Self.ourID(item), previous: previous, delivery: delivery))
                previous = Self.ourID(item)
            }
            return messages
        }
    }

    /// The relay runs the new connection, seeded as planned: the ledger starts over from the seed.
    /// What changed since the plan follows as text (items added meanwhile) or stays as stale (items
    /// that left the context meanwhile).
    private mutating func confirmSeed(_ context: ContextSession) -> [JSONValue] {
        guard let seed = pendingSeed else { return [] }
        pendingSeed = nil
        newConnection()
        hold("script", providerID: nil, tokens: context.script.tokens + overhead)
        let snapshot = context.snapshot()
        var live = [String: ContextItem]()
        for item in snapshot.items { live[item.id] = item }
        let seeded = Set(seed.items)
        var seedTokens = seed.held - (context.script.tokens + overhead)
        for id in seed.items {
            guard let item = live[id] else { continue }
            if inSystemInstruction(item) {
                resize("script", tokens: entries["script"]!.tokens + item.tokens, audio: 0)
                systemExtra = (id, item.tokens)
            } else {
                hold(id, providerID: Self.ourID(item), tokens: textCost(item), exchange: item.exchange)
            }
            seedTokens -= seedCost(item)
        }
        var send = [JSONValue]()
        if profile.canDelete && policy.sendDeletes {
            // Items of the seed that left the context meanwhile (their deletes went to the old
            // connection): deleted on the new one too, else an answered instruction stayed there.
            // By id, not by `seedTokens`: framing calibrated between plan and confirmation moves it.
            for id in seed.items where live[id] == nil {
                send.append(OpenAIMessages.delete(Self.ourID(id)))
            }
        } else if seedTokens > 0 {
            // Items of the seed that left the context meanwhile: held, stale.
            hold("seed-stale", providerID: nil, tokens: seedTokens)
            markStale("seed-stale")
        }
        for item in snapshot.items where item.kind != .script && !seeded.contains(item.id) && item.final {
            create(item, context, &send)
        }
        return send
    }

    /// The messages that open the first connection (the script, and the summary if any).
    func openingSend(_ context: ContextSession) -> [JSONValue] { seed(context.snapshot()) }

    /// Gemini: the `setup` of a connection resumed with `handle` — the session's own (transcripts, the
    /// relay's settings, the system instruction as the provider holds it: the script, and the
    /// instruction inside it) with the handle, so the relay writes it as it is rather than composing
    /// one. The provider restores what it held; nil on OpenAI, which has no resumption.
    public func resumeSetup(handle: String, _ context: ContextSession) -> JSONValue? {
        guard profile.kind == .geminiLive else { return nil }
        var systemInstruction = context.script.text
        if let extra = systemExtra, let item = context.items.lazy.compactMap({ $0 }).first(where: { $0.id == extra.id }) {
            systemInstruction += "\n\n" + item.text
        }
        return GeminiMessages.setup(profile: profile, policy: policy, systemInstruction: systemInstruction, resumeHandle: handle)
    }

    /// `0.9` → "90 %", `0.015` → "1.5 %": as many digits as the policy gave.
    static func percent(_ fraction: Double) -> String { String(format: "%g %%", fraction * 100) }

    // MARK: - Reconciliation

    /// A provider's report of the input tokens it counted for the last response, against the ledger.
    /// With `calibrate`, the difference moves the audio rate (when audio is held) or the framing per
    /// item, for the items that follow; a report split by modality (`audio`) moves each from its own
    /// part.
    ///
    /// With `recostOnCalibration` the report is matched against what the provider held when the
    /// answer began (`answerStart`): OpenAI's `input_tokens` and Gemini's `promptTokenCount` count the
    /// answer's input, not its own output nor what was stripped after it. Matched against what is held
    /// now, an exact report drifted by the answer's cost and calibrated the audio rate down to × 0.25
    /// (audit). The calibration then re-counts every held item, so the next report sees no error of
    /// the old rate left in the items before it (the rate swung between × 0.25 and × 4 where the truth
    /// was × 2).
    mutating func reconcile(_ reported: Int, audio reportedAudio: Int? = nil) -> ProviderDrift {
        let recost = policy.recostOnCalibration
        // A report no answer began since the last one was matched (sent twice, or before any answer)
        // is compared with what is held now and calibrates nothing: the first of two exact reports
        // set × 1, the second × 0.9; one right after the opening set the framing to 2,999 (audit).
        let matched = recost ? answerStart : (held, audioHeld, entries.count)
        let basis = matched ?? (held, audioHeld, entries.count)
        if recost { answerStart = nil }
        var drift = ProviderDrift(reported: reported, held: basis.held, notify: false, calibrated: nil)
        // A report that says how much of it was audio calibrates each modality from its own count
        // (sessions opened with `recostOnCalibration`; one stored before folds as it did). A split
        // that has audio where the ledger holds none, or none where it holds some, says nothing the
        // rate could be scaled by (a list that leaves audio out would set the framing to its cap):
        // the total is used then.
        let split = recost ? reportedAudio.flatMap { ($0 == 0) == (basis.audio == 0) ? $0 : nil } : nil
        if let split { drift.audio = (split, basis.audio) }
        drift.notify = abs(drift.percent) > policy.driftNotifyPercent
        guard policy.calibrate, matched != nil, basis.items > 0 else { return drift }
        let fromOverhead = overhead
        if let split {
            var changes = [String]()
            if split > 0, split != basis.audio, let text = calibrateAudioRate(to: split, from: basis.audio) { changes.append(text) }
            // The framing is text: what the provider counted beside the audio, against the ledger's.
            let textDrift = (reported - split) - (basis.held - basis.audio)
            if textDrift != 0, let text = calibrateFraming(by: textDrift, items: basis.items) { changes.append(text) }
            drift.calibrated = changes.isEmpty ? nil : changes.joined(separator: "; ")
        } else if drift.tokens == 0 {
            return drift
        } else if basis.audio > 0 {
            // Audio dominates what a voice call holds (25 tokens/s against ~3 of text): the rate is
            // what sources disagree on, so the difference is put on it. Said (and re-counted) even when
            // the 4× bound leaves the rate as it was, as stored logs were folded.
            drift.calibrated = calibrateAudioRate(to: basis.audio + drift.tokens, from: basis.audio, evenIfUnchanged: true)
        } else {
            drift.calibrated = calibrateFraming(by: drift.tokens, items: basis.items)
        }
        if recost && drift.calibrated != nil { recostEntries(fromOverhead: fromOverhead) }
        return drift
    }

    /// The audio rate that makes `held` audio tokens count `reported`, within 4× either way of the
    /// profile's (the rate is what sources disagree on); its description, or nil when it is unchanged.
    private mutating func calibrateAudioRate(to reported: Int, from held: Int, evenIfUnchanged: Bool = false) -> String? {
        let scale = min(4, max(0.25, audioScale * Double(reported) / Double(held)))
        guard scale != audioScale || evenIfUnchanged else { return nil }
        defer { audioScale = scale }
        return "audio rate × \(String(format: "%.3f", scale)) (was × \(String(format: "%.3f", audioScale)))"
    }

    /// The framing per item moved by `tokens` over `items`, within 0…`maxCalibratedFraming`: one
    /// report of 1e6 tokens set it to 19,992 a item and left the budget 32,002 over its limit (review).
    private mutating func calibrateFraming(by tokens: Int, items: Int) -> String? {
        let perItem = Double(tokens) / Double(items)
        let newOverhead = min(Self.maxCalibratedFraming, max(0, overhead + Int(perItem.rounded())))
        guard newOverhead != overhead else { return nil }
        defer { overhead = newOverhead }
        return "overheadPerItem \(overhead) → \(newOverhead)"
    }
}

extension ContextSession {
    /// The provider id of the nearest item before `id` (in context order) that the provider holds, or
    /// `root` when there is none: where OpenAI inserts a new item.
    func previousProviderID(before id: String, in mirror: ProviderMirror) -> String {
        var index = items.count - 1
        while index >= 0, items[index]?.id != id { index -= 1 }
        index -= 1
        while index >= 0 {
            if let item = items[index], let providerID = mirror.entries[item.id]?.providerID { return providerID }
            index -= 1
        }
        if let summary, let providerID = mirror.entries[summary.id]?.providerID { return providerID }
        return "root"
    }
}
