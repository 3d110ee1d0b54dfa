/// What must hold after every event, recomputed from the items themselves (as swift-collections'
/// `_checkInvariants`). `apply` checks it after each event in builds with `CONTEXT_INVARIANT_CHECKS`
/// (debug builds, so every test); `replay` calls it itself.
extension ContextSession {
    /// The first broken invariant, described, or nil when all hold:
    /// - usage by segment equals the sum of the live items' tokens plus overhead, and the item count;
    /// - the context is never over window − reserve;
    /// - exchanges are whole: each live item lies inside its exchange's range, ranges follow each other
    ///   from the first live item on, and each exchange's cost is the sum of its live items;
    /// - the content hash equals the one recomputed from the live items, and each item's hash the one
    ///   of its text in one pass;
    /// - the active instruction and the last turn point at live items of their kind.
    ///
    /// - Complexity: O(items and text bytes in the context).
    public func invariantViolation() -> String? {
        var expected = Usage(
            window: usage.window, reserve: usage.reserve, script: scriptCost, summary: 0, history: 0,
            instruction: 0, items: 1)
        var sum = ContextSession.scriptItem(script).contentHash
        if let summary {
            expected.summary = summary.cost + overhead
            expected.items += 1
            sum &+= summary.contentHash
        }
        var costs = [Int](repeating: 0, count: exchanges.count)
        for (local, slot) in items.enumerated() {
            guard let item = slot else { continue }
            let index = itemBase + local
            let cost = item.cost + overhead
            switch item.kind {
            case .turn: expected.history += cost
            case .instruction: expected.instruction += cost
            case .script, .summary: return "item \(item.id) of kind \(item.kind) among the turns"
            }
            expected.items += 1
            sum &+= item.contentHash
            if !item.hashMatchesContent { return "item \(item.id)'s hash is not the hash of its text" }
            let exchange = item.exchange - exchangeBase
            guard exchange >= 0, exchange < exchanges.count else {
                return "item \(item.id) belongs to exchange \(item.exchange), outside the live ones"
            }
            let end = exchange + 1 < exchanges.count ? exchanges[exchange + 1].firstItem : itemBase + items.count
            guard index >= exchanges[exchange].firstItem, index < end else {
                return "item \(item.id) at \(index) lies outside its exchange \(item.exchange)"
            }
            costs[exchange] += cost
        }
        if let first = exchanges.first, first.firstItem != itemBase {
            return "the first live exchange starts at \(first.firstItem), the items at \(itemBase): an exchange was split"
        }
        for (local, exchange) in exchanges.enumerated() where exchange.cost != costs[local] {
            return "exchange \(exchangeBase + local) costs \(exchange.cost) but its items sum to \(costs[local])"
        }
        if expected != usage { return "usage \(usage) but the items sum to \(expected)" }
        // Over the limit only when a calibration re-counted what is held past what eviction can free
        // (the exchange in progress, the active instruction): the provider holds that, and the next
        // exchange evicts the rest.
        let recounted = provider.map { $0.policy.calibrate && $0.policy.recostOnCalibration } ?? false
        if usage.total > usage.limit && !recounted { return "\(usage.total) tokens over the limit \(usage.limit)" }
        if sum != hashSum || liveItems != expected.items { return "the content hash does not match the live items" }
        if let activeIndex, item(at: activeIndex)?.kind != .instruction {
            return "the active instruction \(activeIndex) is not a live instruction"
        }
        if let lastTurnIndex, item(at: lastTurnIndex)?.kind != .turn {
            return "the last turn \(lastTurnIndex) is not a live turn"
        }
        return nil
    }
}
