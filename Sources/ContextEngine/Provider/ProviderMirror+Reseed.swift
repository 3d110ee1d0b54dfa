import Foundation
import JSONWire

/// Re-seeds: the plan of a new connection seeded with the compacted context as text, what the ledger
/// holds once the relay confirms it, and the setups of the first and of a resumed connection.
extension ProviderMirror {
    /// Plans a new connection seeded with the compacted context as text; the ledger changes when the
    /// relay confirms it (`resume.connected {reseeded: true}`).
    mutating func plan(_ reason: String, _ context: ContextSession) -> ReseedPlan {
        var snapshot = context.snapshot()
        // A turn still arriving is left out: the provider creates it on the new connection from the
        // audio that follows (or the engine sends it once final, if it was typed).
        snapshot.items.removeAll { !$0.final }
        let items = snapshot.items.filter { $0.kind != .script }
        let seedHeld = context.script.tokens + overhead + items.reduce(0) { $0 + seedCost($1) }
        pendingSeed = (items.map(\.id), seedHeld, items.filter { inSystemInstruction($0) }.map { ($0.id, $0.tokens) })
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
    mutating func confirmSeed(_ context: ContextSession) -> [JSONValue] {
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
                systemExtras.append((id, item.tokens))
            } else {
                hold(id, providerID: Self.ourID(item), tokens: textCost(item), exchange: item.exchange)
            }
            seedTokens -= seedCost(item)
        }
        // An instruction of the seed's system instruction that left the context meanwhile is not
        // stale: the `contextUpdate` below replaces the system instruction without it.
        for extra in seed.system where live[extra.id] == nil { seedTokens -= extra.tokens }
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
        updateSystemInstruction(from: seed.system.map(\.id), context, &send)
        return send
    }

    /// The messages that open the first connection (the script, and the summary if any).
    func openingSend(_ context: ContextSession) -> [JSONValue] { seed(context.snapshot()) }

    /// Gemini: the `setup` of a connection resumed with `handle` — the session's own (transcripts, the
    /// relay's settings, the system instruction as the provider holds it: the script, and the
    /// instructions inside it) with the handle, so the relay writes it as it is rather than composing
    /// one. The provider restores what it held; nil on OpenAI, which has no resumption.
    public func resumeSetup(handle: String, _ context: ContextSession) -> JSONValue? {
        guard profile.kind == .geminiLive else { return nil }
        return GeminiMessages.setup(profile: profile, policy: policy, systemInstruction: systemInstruction(context), resumeHandle: handle)
    }

    /// `0.9` → "90 %", `0.015` → "1.5 %": as many digits as the policy gave.
    static func percent(_ fraction: Double) -> String { String(format: "%g %%", fraction * 100) }
}
