import Tokenizer

/// A further chunk of the turn in progress, in time linear in the chunk. Each chunk used to build
/// the whole turn text anew (`last.text + chunk`) and hash all of it: O(turn) per chunk, a turn of n
/// chunks O(n²) — `serve_bounds.py chunks --chunks 80000` (5-byte chunks, no store) went from 5–6 µs
/// per chunk over the first 1,000 to 37–38 µs over the last 1,000; now 5–8 µs throughout.
extension ContextSession {
    /// The absolute index of the last turn when a turn of `role` continues it: not final, same role.
    func continuingTurnIndex(_ role: TurnRole) -> Int? {
        guard let index = lastTurnIndex, let last = item(at: index), !last.final,
            last.role == (role == .user ? .user : .model)
        else { return nil }
        return index
    }

    /// The chunk grows the turn's text in place, is counted after the settled prefix and hashed on
    /// from the turn's stream. `audioMs`, like `tokens`, is the whole turn's so far.
    ///
    /// - Throws: `.overBudget` when the grown turn cannot fit even after eviction; the text is taken
    ///   back to what it was and nothing else has changed.
    mutating func applyTurnChunk(
        at index: Int, _ role: TurnRole, text chunk: String, final: Bool, tokens: Int?, audioMs: Int?,
        providerItemID: String?
    ) throws -> EventOutcome {
        let id: String, exchange: Int, seed: UInt64
        let previousCost: Int, previousAudio: Int?, previousBytes: Int
        do {
            // Scoped: a copy of the item alive while the text grows would make the append copy it all.
            let last = items[index - itemBase]!
            try checkProviderItemID(providerItemID, role: role, audioMs: audioMs, continuing: last)
            (id, exchange, seed) = (last.id, last.exchange, last.textSeed)
            (previousCost, previousAudio, previousBytes) = (last.cost, last.audioMs, last.text.utf8.count)
        }
        items[index - itemBase]!.appendText(chunk)
        var settled: SettledPrefix?
        let newTokens: Int
        if let tokens {
            newTokens = tokens
        } else {
            (newTokens, settled) = tokenizer.countAppending(items[index - itemBase]!.text, settled: lastTurnSettled)
        }
        let newAudio = audioMs ?? previousAudio
        let newCost = cost(role, tokens: newTokens, audioMs: newAudio)
        let evict: Int
        do {
            evict = try exchangesToEvict(
                forExtra: newCost - previousCost, protectedFrom: exchange, what: "the \(role.rawValue) turn",
                bestEffort: heldWhateverTheBudget(role, audioMs: newAudio, providerItemID: providerItemID ?? items[index - itemBase]!.providerItemID))
        } catch {
            items[index - itemBase]!.truncateText(toBytes: previousBytes)
            throw error
        }
        // Nothing can fail from here on.
        var notes = [ContextNote]()
        if let note = evictOldest(evict) { notes.append(note) }
        // The id a chunk gives a turn that had none (a typed turn made spoken) names it from now on:
        // the ledger holds it under that id and deletes it by it (it was dropped, and the turn could
        // never be deleted; review).
        if let providerItemID, items[index - itemBase]!.providerItemID == nil { items[index - itemBase]!.providerItemID = providerItemID }
        let textHash = hashOn(chunk, ofTurnAt: index, seed: seed)
        updateGrownItem(
            at: index, tokens: newTokens, cost: newCost, audioMs: newAudio, final: final, textHash: textHash,
            previousCost: previousCost, previousBytes: previousBytes)
        lastTurnSettled = final ? nil : settled
        if final { lastTurnTextHash = nil }
        let record = TranscriptMessage(
            id: id, kind: role == .user ? .user : .model, content: items[index - itemBase]!.text, tokens: newTokens,
            final: final, appendedFrom: previousBytes)
        return finish(notes, [record])
    }

    /// The hash of the turn's text with `chunk` appended: the turn's stream goes on, or, when there
    /// is none yet (its second chunk, or the first after a restore), one is made from the whole text.
    private mutating func hashOn(_ chunk: String, ofTurnAt index: Int, seed: UInt64) -> UInt64 {
        guard var stream = lastTurnTextHash else {
            let stream = XXH3Stream(seed: seed)
            stream.update(items[index - itemBase]!.text)
            lastTurnTextHash = stream
            return stream.digest
        }
        lastTurnTextHash = nil  // so that a stream no other session copy holds is updated in place
        if !isKnownUniquelyReferenced(&stream) { stream = stream.copy() }
        stream.update(chunk)
        lastTurnTextHash = stream
        return stream.digest
    }
}
