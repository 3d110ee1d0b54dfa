/// Adding, changing and removing items while keeping usage, exchange costs, the hash and the
/// pending delta in step.
extension ContextSession {
    /// Appends a turn or instruction item to exchange `exchange`; returns its absolute index.
    mutating func appendItem(_ item: ContextItem) -> Int {
        items.append(item)
        let index = itemBase + items.count - 1
        let cost = item.cost + overhead
        exchanges[item.exchange - exchangeBase].cost += cost
        addToSegment(item.kind, cost)
        hashSum &+= item.contentHash
        liveItems += 1
        usage.items += 1
        delta.added.append(item)
        return index
    }

    /// Replaces the text of the live item at `index` (a turn becoming final).
    mutating func updateItem(at index: Int, text: String, tokens: Int, cost: Int, audioMs: Int?, final: Bool) {
        let slot = index - itemBase
        let previousCost = items[slot]!.cost, previousBytes = items[slot]!.text.utf8.count
        hashSum &-= items[slot]!.contentHash
        items[slot]!.update(text: text, tokens: tokens, cost: cost, audioMs: audioMs, final: final)
        recordUpdate(at: slot, previousCost: previousCost, previousBytes: previousBytes)
    }

    /// The live item at `index` whose text grew in place (`ContextItem.appendText`) from
    /// `previousBytes`: its new counts, and its text's hash from the turn's stream.
    mutating func updateGrownItem(
        at index: Int, tokens: Int, cost: Int, audioMs: Int?, final: Bool, textHash: UInt64, previousCost: Int,
        previousBytes: Int
    ) {
        let slot = index - itemBase
        hashSum &-= items[slot]!.contentHash
        items[slot]!.update(tokens: tokens, cost: cost, audioMs: audioMs, final: final, textHash: textHash)
        recordUpdate(at: slot, previousCost: previousCost, previousBytes: previousBytes)
    }

    /// Usage, the exchange's cost, the hash and the delta after the item at `slot` changed in place.
    private mutating func recordUpdate(at slot: Int, previousCost: Int, previousBytes: Int) {
        let item = items[slot]!
        let change = item.cost - previousCost
        hashSum &+= item.contentHash
        exchanges[item.exchange - exchangeBase].cost += change
        addToSegment(item.kind, change)
        if let added = delta.added.lastIndex(where: { $0.id == item.id }) {
            delta.added[added] = item
        } else if let updated = delta.updated.lastIndex(where: { $0.id == item.id }) {
            delta.updated[updated] = item
        } else {
            delta.updated.append(item)
            delta.updatedFrom.append(previousBytes)
        }
    }

    /// Removes the live item at `index` from the context (it stays in the transcript).
    mutating func removeItem(at index: Int) {
        guard let item = items[index - itemBase] else { return }
        items[index - itemBase] = nil
        let cost = item.cost + overhead
        exchanges[item.exchange - exchangeBase].cost -= cost
        addToSegment(item.kind, -cost)
        recordRemoval(item)
    }

    mutating func recordRemoval(_ item: ContextItem) {
        hashSum &-= item.contentHash
        liveItems -= 1
        usage.items -= 1
        if let updated = delta.updated.firstIndex(where: { $0.id == item.id }) {
            delta.updated.remove(at: updated)
            delta.updatedFrom.remove(at: updated)
        }
        if let added = delta.added.firstIndex(where: { $0.id == item.id }) {
            delta.added.remove(at: added)  // added and removed within one delta: never seen
        } else {
            delta.removed.append(item.id)
        }
    }

    mutating func addToSegment(_ kind: ItemKind, _ tokens: Int) {
        switch kind {
        case .turn: usage.history += tokens
        case .instruction: usage.instruction += tokens
        case .summary: usage.summary += tokens
        case .script: usage.script += tokens
        }
    }

    /// Starts a new exchange at the next item.
    mutating func startExchange() -> Int {
        exchanges.append(Exchange(firstItem: itemBase + items.count, cost: 0, hasModelTurn: false))
        return exchangeBase + exchanges.count - 1
    }

    mutating func makeID(_ prefix: String) -> String {
        defer { nextID += 1 }
        return prefix + String(nextID)
    }

    mutating func takeOrdinal() -> UInt64 {
        defer { nextOrdinal += 1 }
        return nextOrdinal
    }
}
