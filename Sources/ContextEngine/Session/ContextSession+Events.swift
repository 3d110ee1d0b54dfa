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

    /// A manager instruction: buffered as pending, not in the context until the client speaks.
    ///
    /// By default a newer pending instruction replaces an older one; with `pending: coalesce` they
    /// join. Over the policy's `maxTokens` it is truncated or rejected, as the policy says.
    ///
    /// - Parameter tokens: the rendered instruction's token count when the caller knows it.
    /// - Throws: `.instructionTooLong` when the policy rejects it; nothing changes.
    mutating func applyInstruction(_ text: String, tokens: Int?) throws -> EventOutcome {
        let policy = configuration.policy
        var notes = [ContextNote]()
        var transcript = [TranscriptMessage]()
        var body = text
        var replaced: PendingInstruction?
        if let pending, policy.pending == .coalesce {
            body = pending.text + "\n" + text
        } else {
            replaced = pending
        }
        var rendered = render(instruction: body)
        var count: Int
        var settled: SettledPrefix?
        if tokens != nil && body == text {
            count = tokens!
        } else if let pending, policy.pending == .coalesce {
            // The joined text is the pending one's rendered text, a line break and the new one:
            // counted on from what the pending count settled. Counted whole, a push cost O(pending)
            // and a long coalesced feed was quadratic (16,000 pushes with maxTokens raised: 11 s, audit).
            (count, settled) = tokenizer.countAppending(rendered, settled: pending.settled)
        } else if policy.pending == .coalesce {
            (count, settled) = tokenizer.countAppending(rendered, settled: nil)
        } else {
            count = tokenizer.count(rendered)
        }
        if count > policy.maxInstructionTokens {
            guard policy.overLimit == .truncate else {
                throw ContextError(
                    .instructionTooLong,
                    "the instruction needs \(count) tokens; the policy allows \(policy.maxInstructionTokens) "
                        + "and rejects longer ones; nothing was changed")
            }
            let original = count
            // Coalescing that drops the oldest: the pending text it may keep lines of.
            let older = policy.pending == .coalesce && policy.coalescedOverLimit == .dropOldest ? pending?.text : nil
            settled = nil  // the text is cut: counted whole at the next push
            if let older, let kept = newestLinesThatFit(of: older, before: text, limit: policy.maxInstructionTokens) {
                (body, rendered, count) = kept
            } else {
                // The newest instruction alone is over the limit: cut it, and nothing older is kept.
                (body, rendered, count) = truncate(older != nil ? text : body, toTokens: policy.maxInstructionTokens, precounted: tokens)
            }
            notes.append(.instructionTruncated(id: "", fromTokens: original, toTokens: count))
        }
        let id: String
        if let pending, policy.pending == .coalesce {
            id = pending.id
            notes.append(.instructionsCoalesced(id: id))
        } else {
            id = makeID("i")
        }
        if let replaced {
            notes.append(.instructionReplaced(id: replaced.id))
            transcript.append(
                TranscriptMessage(
                    id: replaced.id, kind: .instruction, content: replaced.text, tokens: replaced.tokens, final: true,
                    instructionState: .replaced))
        }
        notes = notes.map {
            if case .instructionTruncated(_, let from, let to) = $0 {
                return .instructionTruncated(id: id, fromTokens: from, toTokens: to)
            }
            return $0
        }
        pending = PendingInstruction(id: id, text: body, rendered: rendered, tokens: count, settled: settled)
        transcript.append(
            TranscriptMessage(id: id, kind: .instruction, content: body, tokens: count, final: true, instructionState: .pending))
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
        let oldCost = summary.map { $0.tokens + overhead } ?? 0
        let newCost = text == nil ? 0 : newTokens + overhead
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
                ordinal: 1, exchange: -1)
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
        return max(0, mirror.audioTokens(role, milliseconds: audioMs) + mirror.framingShift)
    }

    /// The budget cost of an item the provider holds as text (a typed turn, an instruction): its
    /// tokens and what calibration added to the framing.
    func calibratedTextCost(_ tokens: Int) -> Int {
        guard let mirror = provider, mirror.policy.recostOnCalibration else { return tokens }
        return max(0, tokens + mirror.framingShift)
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
        var notes = [ContextNote]()
        if let note = evictOldest(exchangesToEvictWithinLimit(protectedFrom: currentExchange ?? exchangeBase + exchanges.count)) {
            notes.append(note)
        }
        return finish(notes, [])
    }

    func render(instruction text: String) -> String {
        let tag = configuration.policy.instructionTag
        return tag.isEmpty ? text : tag + "\n" + text
    }

    /// Coalescing over the limit keeps the newest: `text` whole after as many of the last lines of
    /// `older` as fit (the oldest dropped first, whole lines), or nil when `text` alone is over it.
    /// Cutting the joined text's end instead dropped the newest instruction — the one the manager
    /// sent last — and every later push added an empty line to what was kept (audit). O(log lines)
    /// counts (the count of a tail grows with it: lines are pieces apart).
    func newestLinesThatFit(of older: String, before text: String, limit: Int) -> (String, String, Int)? {
        let alone = render(instruction: text), aloneCount = tokenizer.count(alone)
        guard aloneCount <= limit else { return nil }
        // Where each tail of `older` starts: after each line break, oldest first.
        var starts = [older.startIndex]
        var index = older.startIndex
        while let newline = older[index...].firstIndex(of: "\n") {
            index = older.index(after: newline)
            starts.append(index)
        }
        func joined(_ start: String.Index) -> (String, String, Int) {
            guard start < older.endIndex else { return (text, alone, aloneCount) }
            let body = older[start...] + "\n" + text
            let rendered = render(instruction: body)
            return (body, rendered, tokenizer.count(rendered))
        }
        // The longest tail that fits: the first start whose tail fits (tails shrink as starts grow).
        var low = 0, high = starts.count  // starts[high...] fit, or none: text alone
        while low < high {
            let middle = (low + high) / 2
            if joined(starts[middle]).2 <= limit { high = middle } else { low = middle + 1 }
        }
        while low < starts.count {
            let candidate = joined(starts[low])
            if candidate.2 <= limit { return candidate }
            low += 1
        }
        return (text, alone, aloneCount)
    }

    /// Cuts `body` so that the rendered instruction has at most `limit` tokens, at a token boundary
    /// and never inside a UTF-8 sequence.
    func truncate(_ body: String, toTokens limit: Int, precounted: Int?) -> (String, String, Int) {
        let ids = tokenizer.encodeOrdinary(body)
        let tagTokens = tokenizer.count(render(instruction: ""))
        var keep = max(0, min(ids.count, limit - tagTokens))
        while true {
            var bytes = (try? tokenizer.decodeBytes(Array(ids.prefix(keep)))) ?? []
            while !bytes.isEmpty, String(validating: bytes, as: UTF8.self) == nil { bytes.removeLast() }
            let text = String(decoding: bytes, as: UTF8.self)
            let rendered = render(instruction: text)
            let count = tokenizer.count(rendered)
            if count <= limit || keep == 0 { return (text, rendered, count) }
            keep -= max(1, count - limit)
        }
    }

    /// Marks the last turn final if it was still arriving; returns its transcript record.
    mutating func finalizeLastTurn() -> TranscriptMessage? {
        guard let index = lastTurnIndex, let last = item(at: index), !last.final else { return nil }
        updateItem(at: index, text: last.text, tokens: last.tokens, cost: last.cost, audioMs: last.audioMs, final: true)
        lastTurnTextHash = nil
        return TranscriptMessage(
            id: last.id, kind: last.role == .user ? .user : .model, content: last.text, tokens: last.tokens, final: true)
    }

    /// The active instruction has been answered: strip it, or keep it as the policy says.
    mutating func finishActiveInstruction(_ notes: inout [ContextNote]) -> [TranscriptMessage] {
        guard let index = activeIndex, let active = item(at: index) else {
            activeIndex = nil
            return []
        }
        activeIndex = nil
        var records = [TranscriptMessage]()
        let keep = configuration.policy.keepLastInstructions
        if keep == 0 {
            removeItem(at: index)
            notes.append(.instructionStripped(id: active.id))
            records.append(stateRecord(active, .stripped))
            return records
        }
        keptInstructions.append(index)
        notes.append(.instructionKept(id: active.id))
        records.append(stateRecord(active, .kept))
        if let keep, keptInstructions.count > keep {
            for old in keptInstructions.prefix(keptInstructions.count - keep) {
                guard let item = item(at: old) else { continue }
                removeItem(at: old)
                notes.append(.instructionStripped(id: item.id))
                records.append(stateRecord(item, .stripped))
            }
            keptInstructions.removeFirst(keptInstructions.count - keep)
        }
        return records
    }

    private func stateRecord(_ item: ContextItem, _ state: TranscriptMessage.InstructionState) -> TranscriptMessage {
        let tag = configuration.policy.instructionTag
        let content = !tag.isEmpty && item.text.hasPrefix(tag + "\n") ? String(item.text.dropFirst(tag.count + 1)) : item.text
        return TranscriptMessage(
            id: item.id, kind: .instruction, content: content, tokens: item.tokens, final: true, instructionState: state)
    }

    mutating func finish(_ notes: [ContextNote], _ transcript: [TranscriptMessage]) -> EventOutcome {
        version += 1
        return EventOutcome(delta: takeDelta(), usage: usage, hash: hash, notes: notes, transcript: transcript)
    }
}

extension ContextSession {
    /// Whether a chunk with `providerItemID` for the turn in progress at `index` names another
    /// provider item: on a provider that deletes (OpenAI) an item is a turn, so the turn in progress
    /// ends as it stands and the chunk starts a turn of its own. Refused, as it was, the new item's
    /// text was lost and the item was never held nor deleted: after a re-seed that left the turn out,
    /// the provider makes a new item of the audio that follows (audit N5; the mirror then sends the
    /// ended turn to the new connection as text), and a turn reopened by a late chunk (below) is
    /// still in progress when the caller's next item comes.
    func namesAnotherItem(at index: Int, _ providerItemID: String?) -> Bool {
        guard let provider, provider.profile.canDelete, provider.policy.itemsAreTurns, let id = providerItemID,
            let turn = item(at: index), let old = turn.providerItemID
        else { return false }
        return id != old
    }

    /// The last turn, when a chunk of `role` names its provider item after it ended: a transcript
    /// that lags behind its audio (OpenAI's transcription is asynchronous) ended by the caller's next
    /// speech start, or the model's turn ended by `model.turnComplete`. The chunk grows it again, as
    /// the provider's item grew; it was refused ("already names another item") and its text lost.
    /// A turn with a later turn after it does not grow (`checkProviderItemID` says so), nor one the
    /// provider holds as text, not as its item (sent to a new connection after a re-seed), nor one a
    /// planned re-seed holds: the new connection gets it as planned (grown, the ledger held more than
    /// the seed created; audit).
    func reopenedTurnIndex(_ role: TurnRole, _ providerItemID: String?) -> Int? {
        guard let id = providerItemID, let index = lastTurnIndex, let last = item(at: index), last.final,
            last.role == (role == .user ? .user : .model), last.providerItemID == id, let provider, provider.profile.canDelete,
            provider.policy.itemsAreTurns, provider.entries[last.id]?.providerID == id, provider.pendingSeed?.items.contains(last.id) != true
        else { return nil }
        return index
    }

    /// A provider item id names one item for good: a new turn may not reuse one, a chunk may repeat
    /// its turn's. On a provider that deletes, a turn it created itself (spoken, or the model's) needs
    /// its id, or the engine could not delete it when it leaves the context.
    ///
    /// - Throws: `.invalidInput` naming the id or what is missing; nothing changes.
    func checkProviderItemID(_ id: String?, role: TurnRole, audioMs: Int?, continuing turn: ContextItem?) throws {
        if let audioMs, audioMs < 0 {
            throw ContextError(.invalidInput, "audioMs must be 0 or more, got \(audioMs)", field: "audioMs")
        }
        if let turn {
            if let id, turn.providerItemID != nil, id != turn.providerItemID {
                throw ContextError(
                    .invalidInput, "providerItemId \"\(id)\" differs from \"\(turn.providerItemID!)\" of the turn this chunk continues",
                    field: "providerItemId")
            }
            // An id a chunk gives a turn that had none names this turn from now on: not another's.
            if let id, turn.providerItemID == nil, provider?.providerItemIDs.contains(id) == true {
                throw ContextError(.invalidInput, "providerItemId \"\(id)\" already names another item of this session", field: "providerItemId")
            }
            // A turn begun typed that a chunk makes spoken is the provider's from then on: it needs
            // the id too (it was held as audio with none, so it could never be deleted; audit L1).
            if id == nil, turn.providerItemID == nil, audioMs != nil, let provider, provider.profile.canDelete {
                throw ContextError(
                    .invalidInput,
                    "\(provider.profile.kind.rawValue): this chunk makes the turn spoken (audioMs), so the provider created it: "
                        + "give providerItemId, the provider's id for it, so that it can be deleted when it leaves the context",
                    field: "providerItemId")
            }
            return
        }
        if let id, provider?.providerItemIDs.contains(id) == true {
            if let ended = items.last(where: { $0?.providerItemID == id }), let ended {
                let why: String
                if ended.id != item(at: lastTurnIndex ?? -1)?.id {
                    why = "a later turn follows it"
                } else if ended.role != (role == .user ? .user : .model) {
                    why = "it is a \(ended.role.rawValue) turn, this chunk a \(role.rawValue) one"
                } else if provider?.pendingSeed?.items.contains(ended.id) == true {
                    why = "a planned re-seed holds it as it was"
                } else if provider?.entries[ended.id]?.providerID != id {
                    why = "a re-seed's new connection holds it as text"
                } else {
                    why = "the session was opened before ended turns could grow"
                }
                throw ContextError(
                    .invalidInput,
                    "providerItemId \"\(id)\" names turn \(ended.id), which has ended and does not grow (\(why)): this chunk's text is not taken",
                    field: "providerItemId")
            }
            throw ContextError(.invalidInput, "providerItemId \"\(id)\" already names another item of this session", field: "providerItemId")
        }
        if id == nil, let provider, provider.profile.canDelete, audioMs != nil || role == .model {
            throw ContextError(
                .invalidInput,
                "\(provider.profile.kind.rawValue): a turn the provider created (spoken, or the model's) needs "
                    + "providerItemId, the provider's id for it, so that it can be deleted when it leaves the context",
                field: "providerItemId")
        }
    }
}
