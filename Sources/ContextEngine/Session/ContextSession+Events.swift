import Tokenizer

/// How each event of `ContextEvent` changes the session; `apply` (Event/ContextEvent.swift) is the
/// only caller.
extension ContextSession {
    /// A turn, or a chunk of one: a chunk extends the last turn while it has the same role and is not
    /// final; a turn of the other role finalizes the previous one.
    ///
    /// A user turn after a model turn starts a new exchange; eviction makes room by whole exchanges.
    ///
    /// - Parameters:
    ///   - text: the chunk's text, appended to a turn still arriving.
    ///   - final: false while more chunks of this turn will follow.
    ///   - tokens: the token count of the whole turn text so far when the caller already knows it
    ///     (replaying stored sessions, token-count profiles); counted with the tokenizer otherwise.
    /// - Throws: `.overBudget` when the turn cannot fit even after eviction; nothing changes.
    mutating func applyTurn(_ role: TurnRole, text: String, final: Bool, tokens: Int?, audioMs: Int?, providerItemID: String?)
        throws -> EventOutcome
    {
        if let lastIndex = continuingTurnIndex(role), !namesAnotherItem(at: lastIndex, providerItemID) {
            return try applyTurnChunk(
                at: lastIndex, role, text: text, final: final, tokens: tokens, audioMs: audioMs, providerItemID: providerItemID)
        }
        if let lastIndex = reopenedTurnIndex(role, providerItemID) {
            return try applyTurnChunk(
                at: lastIndex, role, text: text, final: final, tokens: tokens, audioMs: audioMs, providerItemID: providerItemID)
        }
        var notes = [ContextNote]()
        var transcript = [TranscriptMessage]()
        let kind: TranscriptMessage.Kind = role == .user ? .user : .model
        try checkProviderItemID(providerItemID, role: role, audioMs: audioMs, continuing: nil)
        var settled: SettledPrefix?
        let newTokens: Int
        if let tokens {
            newTokens = tokens
        } else if final {
            newTokens = tokenizer.count(text)
        } else {
            (newTokens, settled) = tokenizer.countAppending(text, settled: nil)
        }
        let newCost = cost(role, tokens: newTokens, audioMs: audioMs)
        let startsExchange: Bool
        if let current = currentExchange {
            startsExchange = role == .user && exchange(current).hasModelTurn
        } else {
            startsExchange = true
        }
        let protectedFrom = startsExchange ? exchangeBase + exchanges.count : currentExchange!
        let evict = try exchangesToEvict(
            forExtra: newCost + overhead, protectedFrom: protectedFrom, what: "the \(role.rawValue) turn",
            bestEffort: heldWhateverTheBudget(role, audioMs: audioMs, providerItemID: providerItemID))
        // Nothing can fail from here on.
        if let finalized = finalizeLastTurn() { transcript.append(finalized) }
        if let note = evictOldest(evict) { notes.append(note) }
        let exchangeIndex = startsExchange ? startExchange() : currentExchange!
        let item = ContextItem(
            id: makeID("t"), kind: .turn, role: role == .user ? .user : .model, text: text, tokens: newTokens,
            final: final, ordinal: takeOrdinal(), exchange: exchangeIndex, cost: newCost, audioMs: audioMs,
            providerItemID: providerItemID)
        lastTurnIndex = appendItem(item)
        lastTurnSettled = settled
        lastTurnTextHash = nil
        if role == .model { exchanges[exchangeIndex - exchangeBase].hasModelTurn = true }
        transcript.append(TranscriptMessage(id: item.id, kind: kind, content: text, tokens: newTokens, final: final))
        return finish(notes, transcript)
    }

    /// The client started speaking: the pending instruction, if any, enters the context now, ahead of
    /// the user turn that follows. A model turn still arriving is finalized (barge-in), and an
    /// instruction still active from before is finished as if answered.
    ///
    /// - Throws: `.overBudget` when the instruction cannot fit even after eviction; nothing changes.
    mutating func applySpeechStarted() throws -> EventOutcome {
        var notes = [ContextNote]()
        var transcript = [TranscriptMessage]()
        let startsExchange = currentExchange.map { exchange($0).hasModelTurn } ?? true
        let protectedFrom = startsExchange ? exchangeBase + exchanges.count : currentExchange!
        let instructionCost = pending.map { calibratedTextCost($0.tokens) }
        let extra = instructionCost.map { $0 + overhead } ?? 0
        // Room for the spoken turn a provider adds before its transcript arrives (OpenAI), kept as far
        // as evicting older exchanges allows: the instruction must fit, the room is best effort.
        let room = speechRoom
        var evict = 0
        if usage.total + extra + room > usage.limit {
            // The previous active instruction (if any) is finished before a new one comes in; measure
            // on a copy with it finished (O(n), as eviction itself is).
            var probe = self
            var ignored = [ContextNote]()
            if pending != nil { _ = probe.finishActiveInstruction(&ignored) }
            // The room never evicts the exchange in progress: at a barge-in its answer is still
            // streaming, and the relay's truncate of it needs it held (audit). An instruction that
            // needs that exchange's room still may, as before.
            let inProgressKept = min(protectedFrom, currentExchange ?? protectedFrom)
            do {
                evict = try probe.exchangesToEvict(
                    forExtra: extra + room, protectedFrom: room > 0 ? inProgressKept : protectedFrom, what: "the instruction")
            } catch where room > 0 || pending == nil {
                // Without an instruction nothing must fit: a context a calibration left over its limit
                // evicts what it can (speech start was refused, "the instruction needs 0 tokens").
                if pending != nil {
                    evict = try probe.exchangesToEvict(forExtra: extra, protectedFrom: protectedFrom, what: "the instruction")
                } else {
                    evict = probe.exchangesToEvictWithinLimit(protectedFrom: inProgressKept)
                }
            }
        }
        guard let pending, let instructionCost else {
            if let finalized = finalizeLastTurn() { transcript.append(finalized) }
            if let note = evictOldest(evict) { notes.append(note) }
            return finish(notes, transcript)
        }
        if let finalized = finalizeLastTurn() { transcript.append(finalized) }
        transcript.append(contentsOf: finishActiveInstruction(&notes))
        if let note = evictOldest(evict) { notes.append(note) }
        let exchangeIndex = startsExchange ? startExchange() : currentExchange!
        let item = ContextItem(
            id: pending.id, kind: .instruction, role: .user, text: pending.rendered, tokens: pending.tokens, final: true,
            ordinal: takeOrdinal(), exchange: exchangeIndex, cost: instructionCost)
        activeIndex = appendItem(item)
        self.pending = nil
        notes.append(.instructionActivated(id: item.id))
        transcript.append(
            TranscriptMessage(
                id: item.id, kind: .instruction, content: pending.text, tokens: pending.tokens, final: true,
                instructionState: .active))
        return finish(notes, transcript)
    }

    /// The model finished its turn: the turn becomes final and the active instruction is stripped
    /// (or kept, under keep-all and keep-last-n).
    mutating func applyTurnComplete() -> EventOutcome {
        var notes = [ContextNote]()
        var transcript = [TranscriptMessage]()
        if let finalized = finalizeLastTurn() { transcript.append(finalized) }
        transcript.append(contentsOf: finishActiveInstruction(&notes))
        return finish(notes, transcript)
    }

    /// Sets (or with nil removes) the summary item that stands for evicted history, placed right
    /// after the script. The text is the caller's; the engine only counts and places it.
    ///
    /// - Throws: `.overBudget` when it cannot fit even after eviction; nothing changes.
    mutating func applySummary(_ text: String?, tokens: Int?) throws -> EventOutcome {
        var notes = [ContextNote]()
        let newTokens = text.map { tokens ?? tokenizer.count($0) } ?? 0
        let oldCost = summary.map { $0.cost + overhead } ?? 0
        let newCost = text == nil ? 0 : summaryCost(newTokens) + overhead
        let protectedFrom = activeIndex.flatMap { item(at: $0)?.exchange } ?? (currentExchange ?? exchangeBase)
        let evict = try exchangesToEvict(forExtra: newCost - oldCost, protectedFrom: protectedFrom, what: "the summary")
        if let note = evictOldest(evict) { notes.append(note) }
        if let old = summary {
            usage.summary -= oldCost
            recordRemoval(old)
            summary = nil
        }
        if let text {
            let item = ContextItem(
                id: makeID("summary-"), kind: .summary, role: .user, text: text, tokens: newTokens, final: true,
                ordinal: 1, exchange: -1, cost: summaryCost(newTokens))
            summary = item
            usage.summary += newCost
            hashSum &+= item.contentHash
            liveItems += 1
            usage.items += 1
            delta.added.append(item)
        }
        let transcript = text.map {
            [TranscriptMessage(id: summary!.id, kind: .system, content: $0, tokens: newTokens, final: true)]
        } ?? []
        return finish(notes, transcript)
    }

    // MARK: - Helpers

    /// The room kept for the next spoken user turn when the client starts speaking: the policy's
    /// `speechRoomMs`, or the longest spoken user turn the context holds when that is longer (the
    /// caller may speak as long again); none while it holds no spoken user turn (a typed call, whose
    /// turns the engine sends itself after evicting, or the call's start). Server VAD simulated over
    /// 300 exchanges of 2–120 s turns (`SpeechRoomTests`): with no room 8 responses went over 28,224,
    /// with the 60 s room alone 5, with this none.
    ///
    /// - Complexity: O(items), as eviction is; once per speech start.
    var speechRoom: Int {
        guard let mirror = provider, case let room = mirror.speechRoom, room > 0 else { return 0 }
        var longest = 0
        for case let item? in items where item.kind == .turn && item.role == .user && item.audioMs != nil {
            longest = max(longest, item.cost + overhead)
        }
        return longest == 0 ? 0 : max(room, longest)
    }

    /// The budget cost of a turn: its text tokens, or its audio tokens when it was spoken and the
    /// provider (one that deletes, so it holds what the budget holds) keeps it as audio — at the
    /// provider mirror's calibrated audio rate and framing, so that with `calibrate` the budget
    /// evicts for what the provider counts. (It counted the profile's rates: an OpenAI call whose
    /// report doubled the audio rate held 55,815 of its 28,224 tokens with no eviction, and a Gemini
    /// call whose framing calibrated to ~200 an item planned a seed over the re-seed threshold at
    /// every exchange; audit.) A session stored before `recostOnCalibration` keeps the profile's
    /// rates (its log must fold to its recorded hash).
    func cost(_ role: TurnRole, tokens: Int, audioMs: Int?) -> Int {
        guard let mirror = provider else { return tokens }
        guard mirror.policy.recostOnCalibration else {
            guard let audioMs, mirror.profile.canDelete else { return tokens }
            return mirror.profile.audioTokens(role, milliseconds: audioMs)
        }
        guard let audioMs, mirror.profile.canDelete else { return calibratedTextCost(tokens) }
        let audio = mirror.audioTokens(role, milliseconds: audioMs)
        // At least its text: what a re-seed's new connection holds of it (`budgetCoversHeld`).
        return max(0, (mirror.policy.budgetCoversHeld ? max(audio, tokens) : audio) + framingShift)
    }

    /// What calibration added to the framing per item, which the budget counts on every item: from
    /// the session's own framing (`budgetCoversHeld`), or from the profile's (sessions stored before,
    /// which counted a policy's other framing twice).
    var framingShift: Int {
        guard let mirror = provider else { return 0 }
        return mirror.policy.budgetCoversHeld ? mirror.overhead - overhead : mirror.framingShift
    }

    /// Whether the script and the summary cost their calibrated framing too (`budgetCoversHeld`, which
    /// `session.open` sets with `recostOnCalibration`).
    var framesFixedItems: Bool { provider?.policy.budgetCoversHeld == true }

    /// The budget cost of the script, framing included (`usage.script`).
    var scriptCost: Int { (framesFixedItems ? max(0, script.tokens + framingShift) : script.tokens) + overhead }

    /// The budget cost of a summary of `tokens`, framing excluded (its item's `cost`).
    func summaryCost(_ tokens: Int) -> Int { framesFixedItems ? calibratedTextCost(tokens) : tokens }

    /// The budget cost of an item the provider holds as text (a typed turn, an instruction): its
    /// tokens and what calibration added to the framing.
    func calibratedTextCost(_ tokens: Int) -> Int {
        guard let mirror = provider, mirror.policy.recostOnCalibration else { return tokens }
        return max(0, tokens + framingShift)
    }

    /// A usage report: the mirror reconciles it; when that calibrated (`recostOnCalibration`), every
    /// live turn and instruction is counted again at the new costs, and the oldest exchanges are
    /// evicted if they no longer fit, the one in progress and the active instruction's never — even
    /// if the rest does not fit then (a report is a fact, not a request to refuse).
    mutating func applyUsageReport(_ reported: Int, audio: Int?) -> EventOutcome {
        guard var mirror = provider.take() else { return finish([], []) }
        let before = (mirror.audioScale, mirror.overhead)
        mirror.reportedDrift = mirror.reconcile(reported, audio: audio)
        provider = mirror
        guard mirror.policy.recostOnCalibration, before != (mirror.audioScale, mirror.overhead) else { return finish([], []) }
        for slot in items.indices {
            guard let item = items[slot], item.kind == .turn || item.kind == .instruction else { continue }
            let cost = item.kind == .instruction
                ? calibratedTextCost(item.tokens) : self.cost(item.role == .model ? .model : .user, tokens: item.tokens, audioMs: item.audioMs)
            guard cost != item.cost else { continue }
            items[slot]!.cost = cost
            exchanges[item.exchange - exchangeBase].cost += cost - item.cost
            addToSegment(item.kind, cost - item.cost)
        }
        if framesFixedItems {
            usage.script = scriptCost
            if let old = summary, case let cost = summaryCost(old.tokens), cost != old.cost {
                usage.summary += cost - old.cost
                summary!.cost = cost
            }
        }
        var notes = [ContextNote]()
        if let note = evictOldest(exchangesToEvictWithinLimit(protectedFrom: currentExchange ?? exchangeBase + exchanges.count)) {
            notes.append(note)
        }
        return finish(notes, [])
    }

    /// Marks the last turn final if it was still arriving; returns its transcript record.
    mutating func finalizeLastTurn() -> TranscriptMessage? {
        guard let index = lastTurnIndex, let last = item(at: index), !last.final else { return nil }
        updateItem(at: index, text: last.text, tokens: last.tokens, cost: last.cost, audioMs: last.audioMs, final: true)
        lastTurnTextHash = nil
        return TranscriptMessage(
            id: last.id, kind: last.role == .user ? .user : .model, content: last.text, tokens: last.tokens, final: true)
    }

    mutating func finish(_ notes: [ContextNote], _ transcript: [TranscriptMessage]) -> EventOutcome {
        version += 1
        return EventOutcome(delta: takeDelta(), usage: usage, hash: hash, notes: notes, transcript: transcript)
    }
}
