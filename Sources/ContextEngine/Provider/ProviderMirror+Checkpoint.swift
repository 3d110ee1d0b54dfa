import JSONWire

/// The provider ledger's part of a session checkpoint (ContextSession+Checkpoint.swift). Profile and
/// policy come from the session's configuration; everything events change is here, in a fixed order
/// (entries and item ids sorted) so that equal ledgers give equal checkpoints.
extension ProviderMirror {
    func checkpoint() -> JSONValue {
        var object: JSONObject = [
            "entries": .array(entries.keys.sorted().map { id in
                let entry = entries[id]!
                var fields: [JSONValue] = [
                    .string(id), entry.providerID.map(JSONValue.string) ?? .null, JSONValue(entry.tokens), JSONValue(entry.audio),
                    .bool(entry.live), entry.exchange.map(JSONValue.init) ?? .null,
                ]
                // A seventh field only for audio: a ledger that holds none checkpoints as before.
                if entry.audioBase != 0 { fields.append(JSONValue(entry.audioBase)) }
                return .array(fields)
            }),
            "order": .array(order.map(JSONValue.string)),
            "held": JSONValue(held),
            "stale": JSONValue(stale),
            "audioHeld": JSONValue(audioHeld),
            "overhead": JSONValue(overhead),
            // The bit pattern: a calibrated scale comes back exactly.
            "audioScale": .int(Int64(bitPattern: audioScale.bitPattern)),
            "providerItemIds": .array(providerItemIDs.sorted().map(JSONValue.string)),
        ]
        // One instruction in the system instruction is written as before (`systemExtra`), so that the
        // build before reads it; several, which that build never held, as a list.
        if systemExtras.count == 1 {
            object["systemExtra"] = Self.checkpointPair(systemExtras[0])
        } else if systemExtras.count > 1 {
            object["systemExtras"] = .array(systemExtras.map(Self.checkpointPair))
        }
        if let pendingSeed {
            var fields: [JSONValue] = [.array(pendingSeed.items.map(JSONValue.string)), JSONValue(pendingSeed.held)]
            if !pendingSeed.system.isEmpty { fields.append(.array(pendingSeed.system.map(Self.checkpointPair))) }
            object["pendingSeed"] = .array(fields)
        }
        if let answerStart {
            object["answerStart"] = [JSONValue(answerStart.held), JSONValue(answerStart.audio), JSONValue(answerStart.items)]
        }
        if deletedSinceAnswer != (0, 0, 0) {
            object["deletedSinceAnswer"] = [
                JSONValue(deletedSinceAnswer.held), JSONValue(deletedSinceAnswer.audio), JSONValue(deletedSinceAnswer.items),
            ]
        }
        return .object(object)
    }

    mutating func restore(checkpoint value: JSONValue) throws(CheckpointError) {
        let reader = try CheckpointReader(value)
        var entries = [String: Entry]()
        for entry in try reader.array("entries") {
            // Six fields, or seven with the audio's uncalibrated base: checkpoints before it have six,
            // and their sessions never re-count (`recostOnCalibration` is newer), so no base is needed.
            let long = entry.arrayValue?.count == 7
            let fields = try CheckpointReader.fields(entry, count: long ? 7 : 6, what: "provider entry")
            let audio = try CheckpointReader.int(fields[3], "provider entry audio")
            entries[try CheckpointReader.string(fields[0], "provider entry id")] = Entry(
                providerID: fields[1] == .null ? nil : try CheckpointReader.string(fields[1], "provider entry providerID"),
                tokens: try CheckpointReader.int(fields[2], "provider entry tokens"),
                audio: audio,
                audioBase: long ? try CheckpointReader.int(fields[6], "provider entry audioBase") : 0,
                live: try CheckpointReader.bool(fields[4], "provider entry live"),
                exchange: fields[5] == .null ? nil : try CheckpointReader.int(fields[5], "provider entry exchange"))
        }
        self.entries = entries
        order = try reader.array("order").map { value throws(CheckpointError) in try CheckpointReader.string(value, "order") }
        unchangedPrefix = 0  // not state: the next prompt after a restore counts as uncached
        held = try reader.int("held")
        stale = try reader.int("stale")
        audioHeld = try reader.int("audioHeld")
        overhead = try reader.int("overhead")
        audioScale = Double(bitPattern: UInt64(bitPattern: Int64(try reader.int("audioScale"))))
        providerItemIDs = Set(try reader.array("providerItemIds").map { value throws(CheckpointError) in
            try CheckpointReader.string(value, "providerItemIds")
        })
        if let one = try reader.optional("systemExtra") {
            systemExtras = [try Self.pair(one, "systemExtra")]
        } else {
            systemExtras = try (reader.optional("systemExtras")?.arrayValue ?? []).map { value throws(CheckpointError) in
                try Self.pair(value, "systemExtras")
            }
        }
        answerStart = try reader.optional("answerStart").map { value throws(CheckpointError) in
            let fields = try CheckpointReader.fields(value, count: 3, what: "answerStart")
            return (try CheckpointReader.int(fields[0], "answerStart.held"), try CheckpointReader.int(fields[1], "answerStart.audio"),
                    try CheckpointReader.int(fields[2], "answerStart.items"))
        }
        deletedSinceAnswer = try reader.optional("deletedSinceAnswer").map { value throws(CheckpointError) in
            let fields = try CheckpointReader.fields(value, count: 3, what: "deletedSinceAnswer")
            return (try CheckpointReader.int(fields[0], "deletedSinceAnswer.held"),
                    try CheckpointReader.int(fields[1], "deletedSinceAnswer.audio"),
                    try CheckpointReader.int(fields[2], "deletedSinceAnswer.items"))
        } ?? (0, 0, 0)
        pendingSeed = try reader.optional("pendingSeed").map { value throws(CheckpointError) in
            // Two fields, or three with the system instruction's instructions (a seed without any,
            // and every seed planned before them, has two).
            let long = value.arrayValue?.count == 3
            let fields = try CheckpointReader.fields(value, count: long ? 3 : 2, what: "pendingSeed")
            guard let items = fields[0].arrayValue else { throw CheckpointError("the checkpoint's pendingSeed items are not an array") }
            guard !long || fields[2].arrayValue != nil else { throw CheckpointError("the checkpoint's pendingSeed system is not an array") }
            return (
                try items.map { item throws(CheckpointError) in try CheckpointReader.string(item, "pendingSeed item") },
                try CheckpointReader.int(fields[1], "pendingSeed.held"),
                try (long ? fields[2].arrayValue! : []).map { value throws(CheckpointError) in try Self.pair(value, "pendingSeed system") }
            )
        }
    }

    static func checkpointPair(_ extra: (id: String, tokens: Int)) -> JSONValue { [.string(extra.id), JSONValue(extra.tokens)] }

    static func pair(_ value: JSONValue, _ what: String) throws(CheckpointError) -> (id: String, tokens: Int) {
        let fields = try CheckpointReader.fields(value, count: 2, what: what)
        return (try CheckpointReader.string(fields[0], "\(what) id"), try CheckpointReader.int(fields[1], "\(what) tokens"))
    }
}
