import JSONWire
import Tokenizer

/// A session's whole state as a value, so that a restart rebuilds a long call from its last
/// checkpoint plus the events after it instead of folding its whole log (a 60,000-turn session
/// folded in 102–108 ms, every other call waiting; from a checkpoint, fewer than 1,000 events are).
///
/// The checkpoint is every stored property of the session that events change, the provider ledger
/// included; what the opening fixes (id, script, configuration, tokenizer) comes from the session
/// record as for a fold. `restore(checkpoint:)` on a freshly opened session gives a session equal to
/// the one checkpointed: same next ids, ordinals, hash, and the same answer to every later event
/// (ContextEngineTests.CheckpointTests folds random calls both ways). A checkpoint this build cannot
/// read throws, and the caller folds the whole log instead.
extension ContextSession {
    /// The version of the checkpoint's layout: a restore refuses any other.
    public static let checkpointFormat = 1

    /// The state now, as JSON. Taken between events (the delta is empty then).
    public func checkpoint() -> JSONValue {
        var object: JSONObject = [
            "format": JSONValue(Self.checkpointFormat),
            "items": .array(items.map { $0.map(Self.json) ?? .null }),
            "itemBase": JSONValue(itemBase),
            "exchanges": .array(exchanges.map { [JSONValue($0.firstItem), JSONValue($0.cost), .bool($0.hasModelTurn)] }),
            "exchangeBase": JSONValue(exchangeBase),
            "keptInstructions": .array(keptInstructions.map(JSONValue.init)),
            "usage": [
                "script": JSONValue(usage.script), "summary": JSONValue(usage.summary), "history": JSONValue(usage.history),
                "instruction": JSONValue(usage.instruction), "items": JSONValue(usage.items),
            ],
            "hashSum": .int(Int64(bitPattern: hashSum)),
            "liveItems": JSONValue(liveItems),
            "nextID": JSONValue(nextID),
            "nextOrdinal": .int(Int64(bitPattern: nextOrdinal)),
            "version": JSONValue(version),
        ]
        if let summary { object["summary"] = Self.json(summary) }
        if let pending {
            object["pending"] = [
                "id": .string(pending.id), "text": .string(pending.text), "rendered": .string(pending.rendered),
                "tokens": JSONValue(pending.tokens),
            ]
        }
        if let activeIndex { object["activeIndex"] = JSONValue(activeIndex) }
        if let lastTurnIndex { object["lastTurnIndex"] = JSONValue(lastTurnIndex) }
        if let lastTurnSettled {
            object["lastTurnSettled"] = [JSONValue(lastTurnSettled.bytes), JSONValue(lastTurnSettled.tokens)]
        }
        if let provider { object["provider"] = provider.checkpoint() }
        return .object(object)
    }

    /// Puts the state of `checkpoint` into this session, which must be freshly opened with the same
    /// script and configuration as the one checkpointed.
    ///
    /// - Throws: `CheckpointError` when the checkpoint is of another format, misses a field or breaks
    ///   an invariant of the session (ContextSession+Invariants.swift); the session is unchanged then.
    public mutating func restore(checkpoint: JSONValue) throws(CheckpointError) {
        let reader = try CheckpointReader(checkpoint)
        guard try reader.int("format") == Self.checkpointFormat else {
            throw CheckpointError("checkpoint format \(try reader.int("format")), this build reads \(Self.checkpointFormat)")
        }
        var restored = self
        restored.lastTurnTextHash = nil  // it hashed this session's text, not the checkpoint's
        restored.items = try reader.array("items").map { value throws(CheckpointError) -> ContextItem? in
            value == .null ? nil : try Self.item(value)
        }
        restored.itemBase = try reader.int("itemBase")
        restored.exchanges = try reader.array("exchanges").map { value throws(CheckpointError) in
            let fields = try CheckpointReader.fields(value, count: 3, what: "exchange")
            return Exchange(
                firstItem: try CheckpointReader.int(fields[0], "exchange.firstItem"),
                cost: try CheckpointReader.int(fields[1], "exchange.cost"),
                hasModelTurn: try CheckpointReader.bool(fields[2], "exchange.hasModelTurn"))
        }
        restored.exchangeBase = try reader.int("exchangeBase")
        restored.summary = try reader.optional("summary").map { value throws(CheckpointError) in try Self.item(value) }
        restored.pending = try reader.optional("pending").map { value throws(CheckpointError) in
            let pending = try CheckpointReader(value)
            return PendingInstruction(
                id: try pending.string("id"), text: try pending.string("text"), rendered: try pending.string("rendered"),
                tokens: try pending.int("tokens"))
        }
        restored.activeIndex = try reader.optional("activeIndex").map { value throws(CheckpointError) in
            try CheckpointReader.int(value, "activeIndex")
        }
        restored.keptInstructions = try reader.array("keptInstructions").map { value throws(CheckpointError) in
            try CheckpointReader.int(value, "keptInstructions")
        }
        restored.lastTurnIndex = try reader.optional("lastTurnIndex").map { value throws(CheckpointError) in
            try CheckpointReader.int(value, "lastTurnIndex")
        }
        restored.lastTurnSettled = try reader.optional("lastTurnSettled").map { value throws(CheckpointError) in
            let fields = try CheckpointReader.fields(value, count: 2, what: "lastTurnSettled")
            return SettledPrefix(
                bytes: try CheckpointReader.int(fields[0], "lastTurnSettled.bytes"),
                tokens: try CheckpointReader.int(fields[1], "lastTurnSettled.tokens"))
        }
        let usage = try CheckpointReader(try reader.value("usage"))
        restored.usage.script = try usage.int("script")
        restored.usage.summary = try usage.int("summary")
        restored.usage.history = try usage.int("history")
        restored.usage.instruction = try usage.int("instruction")
        restored.usage.items = try usage.int("items")
        restored.hashSum = UInt64(bitPattern: Int64(try reader.int("hashSum")))
        restored.liveItems = try reader.int("liveItems")
        restored.nextID = try reader.int("nextID")
        restored.nextOrdinal = UInt64(bitPattern: Int64(try reader.int("nextOrdinal")))
        restored.version = try reader.int("version")
        restored.delta = Delta()
        switch (restored.provider, try reader.optional("provider")) {
        case (nil, nil): break
        case (var mirror?, let value?):
            try mirror.restore(checkpoint: value)
            restored.provider = mirror
        default:
            throw CheckpointError("the checkpoint's provider ledger does not match the session's provider")
        }
        // O(items), once per rebuild: usage = the live items' costs, the hash = their contents, whole
        // exchanges. A checkpoint damaged in a way that still parses fails here, not at the next event.
        if let violation = restored.invariantViolation() {
            throw CheckpointError("the checkpoint's state is inconsistent: \(violation)")
        }
        self = restored
    }

    static func json(_ item: ContextItem) -> JSONValue {
        var object: JSONObject = [
            "id": .string(item.id), "kind": .string(item.kind.rawValue), "role": .string(item.role.rawValue),
            "text": .string(item.text), "tokens": JSONValue(item.tokens), "cost": JSONValue(item.cost),
            "final": .bool(item.final), "ordinal": .int(Int64(bitPattern: item.ordinal)), "exchange": JSONValue(item.exchange),
        ]
        if let audioMs = item.audioMs { object["audioMs"] = JSONValue(audioMs) }
        if let providerItemID = item.providerItemID { object["providerItemId"] = .string(providerItemID) }
        return .object(object)
    }

    static func item(_ value: JSONValue) throws(CheckpointError) -> ContextItem {
        let reader = try CheckpointReader(value)
        guard let kind = ItemKind(rawValue: try reader.string("kind")), let role = ItemRole(rawValue: try reader.string("role")) else {
            throw CheckpointError("an item of unknown kind or role")
        }
        return ContextItem(
            id: try reader.string("id"), kind: kind, role: role, text: try reader.string("text"), tokens: try reader.int("tokens"),
            final: try reader.bool("final"), ordinal: UInt64(bitPattern: Int64(try reader.int("ordinal"))),
            exchange: try reader.int("exchange"), cost: try reader.int("cost"),
            audioMs: try reader.optional("audioMs").map { value throws(CheckpointError) in try CheckpointReader.int(value, "audioMs") },
            providerItemID: try reader.optional("providerItemId").map { value throws(CheckpointError) in
                try CheckpointReader.string(value, "providerItemId")
            })
    }
}
