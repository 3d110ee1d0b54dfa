import ContextEngine

/// A slow, obviously-correct model of the engine's rules: it recomputes every total from the item
/// list on each event and evicts by scanning. The property tests run both on the same events.
struct ReferenceModel {
    struct Item: Equatable {
        var id: String
        var kind: ItemKind
        var role: ItemRole
        var tokens: Int
        var final: Bool
        var exchange: Int
    }

    let scriptTokens: Int
    let limit: Int
    let keepLast: Int?
    let targetFraction: Double
    var items: [Item] = []
    var exchangeHasModel: [Bool] = []
    var pending: (id: String, tokens: Int)?
    var activeID: String?
    var kept: [String] = []
    var counter = 1

    init(scriptTokens: Int, limit: Int, policy: ContextPolicy) {
        self.scriptTokens = scriptTokens
        self.limit = limit
        self.keepLast = policy.keepLastInstructions
        self.targetFraction = policy.evictionTargetFraction
    }

    var total: Int { scriptTokens + items.reduce(0) { $0 + $1.tokens } }

    mutating func newID(_ prefix: String) -> String {
        defer { counter += 1 }
        return prefix + String(counter)
    }

    /// Exchanges to evict (oldest first) so that `extra` fits, or nil when impossible.
    func evictionCount(extra: Int, protectedFrom: Int) -> Int? {
        if total + extra <= limit { return 0 }
        var firstProtected = protectedFrom
        if let activeID, let active = items.first(where: { $0.id == activeID }) {
            firstProtected = min(firstProtected, active.exchange)
        }
        let target = scriptTokens + Int(Double(limit - scriptTokens) * targetFraction)
        let live = Set(items.map(\.exchange))
        let oldestExchange = items.map(\.exchange).min() ?? exchangeHasModel.count
        // Exchanges that still exist: every index from the oldest live one on (empty ones included).
        var remaining = total + extra
        var count = 0
        var exchange = firstEvictable
        while remaining > target && exchange < firstProtected {
            remaining -= items.filter { $0.exchange == exchange }.reduce(0) { $0 + $1.tokens }
            exchange += 1
            count += 1
        }
        _ = live
        _ = oldestExchange
        return remaining <= limit ? count : nil
    }

    /// Index of the oldest exchange not yet evicted.
    var firstEvictable = 0

    mutating func evict(_ count: Int) {
        let end = firstEvictable + count
        items.removeAll { $0.exchange < end }
        kept.removeAll { id in !items.contains { $0.id == id } }
        firstEvictable = end
    }

    mutating func finalizeLastTurn() {
        if let index = items.lastIndex(where: { $0.kind == .turn }), !items[index].final,
            index == items.lastIndex(where: { $0.kind == .turn })
        {
            items[index].final = true
        }
    }

    mutating func finishActive() {
        guard let id = activeID else { return }
        activeID = nil
        guard items.contains(where: { $0.id == id }) else { return }
        if keepLast == 0 {
            items.removeAll { $0.id == id }
            return
        }
        kept.append(id)
        if let keepLast, kept.count > keepLast {
            let drop = kept.prefix(kept.count - keepLast)
            items.removeAll { drop.contains($0.id) }
            kept.removeFirst(kept.count - keepLast)
        }
    }

    /// Returns false when the engine should reject the event.
    mutating func turn(_ role: ItemRole, tokens: Int, final: Bool) -> Bool {
        let lastTurn = items.lastIndex(where: { $0.kind == .turn })
        let lastTurnIsLatest = lastTurn != nil && lastTurnID == items[lastTurn!].id
        if let lastTurn, lastTurnIsLatest, !items[lastTurn].final, items[lastTurn].role == role {
            guard let count = evictionCount(extra: tokens - items[lastTurn].tokens, protectedFrom: items[lastTurn].exchange) else { return false }
            let id = items[lastTurn].id
            evict(count)
            let index = items.firstIndex { $0.id == id }!
            items[index].tokens = tokens
            items[index].final = final
            return true
        }
        let current = exchangeHasModel.count - 1
        let starts = current < firstEvictable ? true : (role == .user ? exchangeHasModel[current] : false)
        let startsNew = exchangeHasModel.isEmpty || starts
        guard let count = evictionCount(extra: tokens, protectedFrom: startsNew ? exchangeHasModel.count : current) else {
            return false
        }
        if lastTurnIsLatest, let lastTurn, !items[lastTurn].final { items[lastTurn].final = true }
        evict(count)
        if startsNew { exchangeHasModel.append(false) }
        let exchange = exchangeHasModel.count - 1
        let id = newID("t")
        items.append(Item(id: id, kind: .turn, role: role, tokens: tokens, final: final, exchange: exchange))
        lastTurnID = id
        if role == .model { exchangeHasModel[exchange] = true }
        return true
    }

    var lastTurnID: String?

    mutating func push(tokens: Int) {
        pending = (newID("i"), tokens)
    }

    mutating func speechStarted() -> Bool {
        guard let pending else {
            finalizeLatestTurn()
            return true
        }
        let current = exchangeHasModel.count - 1
        let startsNew = exchangeHasModel.isEmpty || current < firstEvictable || exchangeHasModel[current]
        var probe = self
        probe.finishActive()
        guard let count = probe.evictionCount(extra: pending.tokens, protectedFrom: startsNew ? exchangeHasModel.count : current) else {
            return false
        }
        finalizeLatestTurn()
        finishActive()
        evict(count)
        if startsNew { exchangeHasModel.append(false) }
        items.append(Item(id: pending.id, kind: .instruction, role: .user, tokens: pending.tokens, final: true,
                          exchange: exchangeHasModel.count - 1))
        activeID = pending.id
        self.pending = nil
        return true
    }

    mutating func finalizeLatestTurn() {
        if let lastTurnID, let index = items.firstIndex(where: { $0.id == lastTurnID }) { items[index].final = true }
    }

    mutating func modelTurnComplete() {
        finalizeLatestTurn()
        finishActive()
    }
}
