/// Eviction: whole exchanges, oldest first, never the one in progress, never the one holding the
/// active instruction, down to the policy's target so that evictions do not churn every turn.
extension ContextSession {
    /// The context size that eviction brings the context down to.
    var evictionTarget: Int {
        let policy = configuration.policy
        if let tokens = policy.evictionTargetTokens { return min(tokens, usage.limit) }
        let room = usage.limit - usage.script - usage.summary
        return usage.script + usage.summary + Int(Double(room) * policy.evictionTargetFraction)
    }

    /// How many of the oldest exchanges must go so that `extra` more tokens fit; 0 when they fit.
    ///
    /// - Parameter protectedFrom: exchanges at this index and after are not evictable (the one in
    ///   progress, the new one about to start).
    /// - Parameter bestEffort: when even evicting every evictable exchange is not enough, evict them
    ///   all instead of throwing (what the provider already holds, in a calibrating session).
    /// - Throws: `.overBudget` when even evicting every evictable exchange is not enough.
    func exchangesToEvict(forExtra extra: Int, protectedFrom: Int, what: @autoclosure () -> String, bestEffort: Bool = false) throws
        -> Int
    {
        let needed = usage.total + extra
        if needed <= usage.limit { return 0 }
        var firstProtected = protectedFrom
        if let activeIndex, let active = item(at: activeIndex) { firstProtected = min(firstProtected, active.exchange) }
        let target = evictionTarget
        var remaining = needed
        var count = 0
        var exchange = exchangeBase
        // Evict to the target when possible; the limit is what must hold.
        while remaining > target && exchange < firstProtected {
            remaining -= self.exchange(exchange).cost
            exchange += 1
            count += 1
        }
        guard remaining <= usage.limit || bestEffort else {
            throw ContextError(
                .overBudget,
                "\(what()) needs \(extra) tokens; \(usage.free) are free and evicting every older exchange frees "
                    + "\(needed - remaining) more (window − reserve = \(usage.limit)); nothing was changed")
        }
        return count
    }

    /// The oldest exchanges to evict so that the context is back within its limit, as far as
    /// evicting can bring it there (a context a calibration re-counted past it).
    func exchangesToEvictWithinLimit(protectedFrom: Int) -> Int {
        // Cannot throw: best effort.
        try! exchangesToEvict(forExtra: 0, protectedFrom: protectedFrom, what: "", bestEffort: true)
    }

    /// A turn the provider created (spoken, the model's, or named by its id) in a session whose
    /// calibration re-counts what is held: the provider holds it whatever the budget says, so it is
    /// never refused for room — refused, the ledger never held it nor deleted it, and the provider
    /// grew past any limit (a 200 s answer at twice the rate; audit).
    func heldWhateverTheBudget(_ role: TurnRole, audioMs: Int?, providerItemID: String?) -> Bool {
        guard let policy = provider?.policy, policy.calibrate, policy.recostOnCalibration else { return false }
        return audioMs != nil || role == .model || providerItemID != nil
    }

    /// Evicts the `count` oldest exchanges and returns the note describing it.
    ///
    /// - Complexity: O(items evicted + items kept): the arrays are shifted once per eviction, and the
    ///   hysteresis target makes evictions rare (one per ~25 % of the history room by default).
    mutating func evictOldest(_ count: Int) -> ContextNote? {
        guard count > 0 else { return nil }
        var evictedItems = 0
        var evictedTokens = 0
        let end = count < exchanges.count ? exchanges[count].firstItem : itemBase + items.count
        for local in 0 ..< count { evictedTokens += exchanges[local].cost }
        for index in itemBase ..< end {
            guard let item = items[index - itemBase] else { continue }
            addToSegment(item.kind, -(item.cost + overhead))
            recordRemoval(item)
            evictedItems += 1
        }
        items.removeFirst(end - itemBase)
        itemBase = end
        exchanges.removeFirst(count)
        exchangeBase += count
        keptInstructions.removeAll { $0 < itemBase }
        if let last = lastTurnIndex, last < itemBase { lastTurnIndex = nil }
        return .evicted(exchanges: count, items: evictedItems, tokens: evictedTokens)
    }
}
