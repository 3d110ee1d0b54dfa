/// Provider item ids on a provider that deletes (OpenAI): which turn a chunk naming an item belongs
/// to, and which ids a turn may take.
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
