import Foundation
import JSONWire

/// How each applied event changes what the provider holds, and what the relay must send for it.
extension ProviderMirror {
    /// Follows one applied event: `delta` is what it changed in the compacted context.
    ///
    /// - Complexity: O(items the event changed), plus O(context) for a re-seed plan or confirmation.
    mutating func follow(_ event: ContextEvent, _ delta: Delta, context: ContextSession) -> ProviderOutcome {
        switch event {
        case .connected(let reseeded):
            if reseeded {
                // Confirmed first: `outcome(confirmSeed(context))` would read the ledger before it.
                let send = confirmSeed(context)
                return outcome(send)
            }
            // Resumed with a handle, the provider restored everything: the ledger stands. A plan
            // the relay did not carry out is void, and is made again while the threshold is still
            // passed: kept, it blocked every later plan, and a Gemini call resumed past one grew
            // to 38,405 held tokens of its 32,000 with no plan again (audit).
            pendingSeed = nil
            let reseed = planIfOverThreshold(context)
            return outcome(reseed: reseed)
        case .reseedPlanned(let reason):
            let plan = plan(reason, context)
            return outcome(reseed: plan)
        case .usageReported(let reported, let audio):
            // Reconciled by `ContextSession.applyUsageReport`, which applies every report (its
            // evictions follow below).
            let drift = reportedDrift ?? reconcile(reported, audio: audio)
            reportedDrift = nil
            var send = [JSONValue]()
            let extras = systemExtras.map(\.id)
            for id in delta.removed { remove(id, context, &send) }
            updateSystemInstruction(from: extras, context, &send)
            return outcome(send, drift: drift)
        case .turn, .instruction, .speechStarted, .turnComplete, .summary:
            break
        }
        var send = [JSONValue]()
        let extras = systemExtras.map(\.id)
        let beforeRemovals = (held: held, audio: audioHeld, items: entries.count)
        for id in delta.removed { remove(id, context, &send) }
        if case .turn = event {
            deletedSinceAnswer.held += beforeRemovals.held - held
            deletedSinceAnswer.audio += beforeRemovals.audio - audioHeld
            deletedSinceAnswer.items += beforeRemovals.items - entries.count
        }
        for item in delta.added { add(item, context, &send) }
        for item in delta.updated { update(item, context, &send) }
        updateSystemInstruction(from: extras, context, &send)
        truncateAtProvider()
        let reseed = planIfOverThreshold(context)
        return outcome(send, reseed: reseed)
    }

    /// A re-seed plan when the policy plans them, the provider cannot delete, none is pending and
    /// what it holds is past the policy's share of its limit.
    private mutating func planIfOverThreshold(_ context: ContextSession) -> ReseedPlan? {
        guard policy.planReseeds, !profile.canDelete, pendingSeed == nil, Double(held) > policy.reseedAt * Double(limit) else {
            return nil
        }
        return plan(
            "the provider holds \(held) tokens, over \(Self.percent(policy.reseedAt)) of its limit \(limit) (\(stale) stale)", context)
    }

    private mutating func remove(_ id: String, _ context: ContextSession, _ send: inout [JSONValue]) {
        if let index = systemExtras.firstIndex(where: { $0.id == id }) {
            // The instruction leaves the system instruction (`updateSystemInstruction` sends it
            // without): nothing of it stays at the provider.
            resize("script", tokens: entries["script"]!.tokens - systemExtras[index].tokens, audio: 0)
            systemExtras.remove(at: index)
            return
        }
        guard let entry = entries[id] else { return }
        if profile.canDelete, policy.sendDeletes, let providerID = entry.providerID {
            send.append(OpenAIMessages.delete(providerID))
            drop(id)
        } else {
            markStale(id)
        }
    }

    private mutating func add(_ item: ContextItem, _ context: ContextSession, _ send: inout [JSONValue]) {
        if providerCreated(item) {
            holdCreated(item)
        } else if item.kind != .turn || item.final {
            create(item, context, &send)
        }
    }

    /// A turn the provider created, first held: what its answer's report will be matched against is
    /// taken just before a model turn, and its id is registered (a reuse is refused).
    private mutating func holdCreated(_ item: ContextItem) {
        if item.role == .model {
            let deleted = deletedSinceAnswer
            answerStart = (held + deleted.held, audioHeld + deleted.audio, entries.count + deleted.items)
            deletedSinceAnswer = (0, 0, 0)
        }
        let cost = createdCost(item)
        hold(item.id, providerID: item.providerItemID, tokens: cost.tokens, audio: cost.audio, audioBase: cost.audioBase,
             exchange: item.exchange)
        if let providerID = item.providerItemID { providerItemIDs.insert(providerID) }
    }

    private mutating func update(_ item: ContextItem, _ context: ContextSession, _ send: inout [JSONValue]) {
        if entries[item.id] != nil {
            if providerCreated(item) {
                let cost = createdCost(item)
                resize(item.id, tokens: cost.tokens, audio: cost.audio, audioBase: cost.audioBase)
            }
        } else if providerCreated(item) {
            if profile.canDelete, policy.itemsAreTurns, let providerID = item.providerItemID, providerItemIDs.contains(providerID) {
                // Its item was on a connection a re-seed replaced (seeds hold final items only): the
                // new connection has none of it, and the provider makes another item of the audio
                // that follows (a turn of its own: `namesAnotherItem`). Once final it is
                // sent as text; held under the old id, it was deleted by an id the new connection
                // does not know.
                if item.final { create(item, context, &send) }
                return
            }
            // A turn still arriving when a new connection was seeded (seeds hold final items only):
            // Gemini creates it anew from the audio that follows. Or a typed turn that a chunk made
            // spoken, with the id it gave.
            holdCreated(item)
        } else if item.final {
            create(item, context, &send)  // a typed turn that arrived in chunks, now whole
        }
    }

    /// Sends an item the provider does not have (an instruction, a typed turn, the summary) as text.
    mutating func create(_ item: ContextItem, _ context: ContextSession, _ send: inout [JSONValue]) {
        switch profile.kind {
        case .openAIRealtime:
            let id = Self.ourID(item)
            let previous = item.kind == .summary ? "root" : context.previousProviderID(before: item.id, in: self)
            send.append(OpenAIMessages.create(item, id: id, previous: previous, delivery: delivery))
            hold(item.id, providerID: id, tokens: textCost(item), exchange: item.exchange)
        case .geminiLive:
            // Gemini cannot insert: a summary reaches it only in a seed.
            guard item.kind != .summary else { return }
            if inSystemInstruction(item) {
                // Sent by `updateSystemInstruction`, with the instructions already inside.
                resize("script", tokens: entries["script"]!.tokens + item.tokens, audio: 0)
                systemExtras.append((item.id, item.tokens))
                return
            }
            if item.kind == .instruction && delivery == .realtimeInputText {
                send.append(GeminiMessages.realtimeText(item.text))
            } else {
                send.append(GeminiMessages.clientContent([item], turnComplete: item.kind == .turn))
            }
            hold(item.id, providerID: nil, tokens: textCost(item), exchange: item.exchange)
        }
    }

    /// Gemini `systemInstruction` delivery: when the instructions inside the system instruction
    /// changed (`before`: their ids then), one `contextUpdate` replaces it with the script and every
    /// one of them — once per event, however many came and went in it (a barge-in finishes one and
    /// brings the next).
    ///
    /// - Complexity: O(context) when they changed (the instructions' texts are read from it).
    mutating func updateSystemInstruction(from before: [String], _ context: ContextSession, _ send: inout [JSONValue]) {
        guard !systemExtras.lazy.map(\.id).elementsEqual(before) else { return }
        send.append(GeminiMessages.contextUpdate(systemInstruction: systemInstruction(context)))
    }

    /// The system instruction the provider holds: the script, then each instruction inside it.
    func systemInstruction(_ context: ContextSession) -> String {
        guard !systemExtras.isEmpty else { return context.script.text }
        var texts = [String: String]()
        for case let item? in context.items where item.kind == .instruction { texts[item.id] = item.text }
        return systemExtras.reduce(context.script.text) { composed, extra in
            texts[extra.id].map { composed + "\n\n" + $0 } ?? composed
        }
    }

    /// The provider's own truncation, when the policy models it: the oldest items go (never the
    /// script), from `trigger` down to `target`.
    private mutating func truncateAtProvider() {
        guard let truncation = policy.providerTruncation, held > truncation.trigger else { return }
        var index = 0
        while held > truncation.target, index < order.count {
            let id = order[index]
            if id == "script" {
                index += 1
                continue
            }
            drop(id)
        }
    }
}

extension ContextSession {
    /// The provider id of the nearest item before `id` (in context order) that the provider holds, or
    /// `root` when there is none: where OpenAI inserts a new item.
    func previousProviderID(before id: String, in mirror: ProviderMirror) -> String {
        var index = items.count - 1
        while index >= 0, items[index]?.id != id { index -= 1 }
        index -= 1
        while index >= 0 {
            if let item = items[index], let providerID = mirror.entries[item.id]?.providerID { return providerID }
            index -= 1
        }
        if let summary, let providerID = mirror.entries[summary.id]?.providerID { return providerID }
        return "root"
    }
}
