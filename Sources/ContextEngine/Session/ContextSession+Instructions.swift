import Tokenizer

/// Manager instructions: how one is buffered, rendered, fitted to the policy's limit, and finished
/// once answered (stripped or kept). Called from `ContextSession+Events.swift`.
extension ContextSession {
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
}
