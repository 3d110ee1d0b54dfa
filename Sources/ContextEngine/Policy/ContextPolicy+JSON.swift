import JSONWire

extension ContextPolicy {
    /// A policy from its JSON form. Unknown keys are errors, so a typo cannot silently fall back to
    /// a default.
    ///
    /// ```json
    /// {"preset": "keep-last-n", "keepLast": 2, "instructions": {"tag": "[COACH]", "maxTokens": 600,
    ///  "overLimit": "reject", "pending": "coalesce"}, "eviction": {"targetFraction": 0.6},
    ///  "overheadPerItem": {"gemini": 4, "openai": 5, "*": 4}}
    /// ```
    /// - Throws: `ContextError.invalidPolicy` naming the offending key.
    ///
    /// - Parameter stored: the policy a stored session was opened with (its configuration spells out
    ///   every key this build writes): a key it lacks takes the behaviour of the build that wrote it
    ///   (`instructions.coalescedOverLimit`: `cutEnd`), so that its log folds to its recorded hash.
    public init(json: JSONValue, stored: Bool = false) throws {
        guard let object = json.objectValue else {
            throw ContextError(.invalidPolicy, "policy must be an object or a preset name, got \(json.typeName)")
        }
        try Self.checkKeys(object, allowed: ["name", "preset", "keepLast", "instructions", "eviction", "overheadPerItem"], in: "policy")
        let preset = try Self.string(object["preset"], "preset") ?? "strip-after-response"
        self = try ContextPolicy.preset(named: preset, keepLast: try Self.int(object["keepLast"], "keepLast", min: 0, max: Bounds.maxKeepLast))
        if let name = try Self.string(object["name"], "name") { self.name = name }
        if let value = object["instructions"] {
            guard let instructions = value.objectValue else {
                throw ContextError(.invalidPolicy, "policy.instructions must be an object", field: "instructions")
            }
            try Self.checkKeys(
                instructions, allowed: ["tag", "maxTokens", "overLimit", "pending", "coalescedOverLimit"], in: "policy.instructions")
            if let raw = try Self.string(instructions["coalescedOverLimit"], "instructions.coalescedOverLimit") {
                guard let value = CoalescedOverLimit(rawValue: raw) else {
                    throw ContextError(.invalidPolicy, "policy.instructions.coalescedOverLimit must be \"dropOldest\" or \"cutEnd\"",
                        field: "instructions.coalescedOverLimit")
                }
                coalescedOverLimit = value
            } else if stored {
                coalescedOverLimit = .cutEnd
            }
            if let tag = try Self.string(instructions["tag"], "instructions.tag") { instructionTag = tag }
            if let max = try Self.int(instructions["maxTokens"], "instructions.maxTokens", min: 1, max: Bounds.maxPolicyTokens) {
                maxInstructionTokens = max
            }
            if let raw = try Self.string(instructions["overLimit"], "instructions.overLimit") {
                guard let value = OverLimit(rawValue: raw) else {
                    throw ContextError(
                        .invalidPolicy, "policy.instructions.overLimit must be \"truncate\" or \"reject\"", field: "instructions.overLimit")
                }
                overLimit = value
            }
            if let raw = try Self.string(instructions["pending"], "instructions.pending") {
                guard let value = PendingMode(rawValue: raw) else {
                    throw ContextError(
                        .invalidPolicy, "policy.instructions.pending must be \"replace\" or \"coalesce\"", field: "instructions.pending")
                }
                pending = value
            }
        }
        if let value = object["eviction"] {
            guard let eviction = value.objectValue else {
                throw ContextError(.invalidPolicy, "policy.eviction must be an object", field: "eviction")
            }
            try Self.checkKeys(eviction, allowed: ["targetFraction", "targetTokens"], in: "policy.eviction")
            if let raw = eviction["targetFraction"] {
                guard let fraction = raw.doubleValue, fraction > 0, fraction <= 1 else {
                    throw ContextError(
                        .invalidPolicy, "policy.eviction.targetFraction must be a number in (0, 1]", field: "eviction.targetFraction")
                }
                evictionTargetFraction = fraction
            }
            evictionTargetTokens = try Self.int(eviction["targetTokens"], "eviction.targetTokens", min: 1, max: Bounds.maxPolicyTokens)
        }
        if let value = object["overheadPerItem"] {
            let range = 0 ... Bounds.maxOverheadPerItem
            let rangeText = "a whole number in 0...\(Bounds.maxOverheadPerItem)"
            if value.objectValue == nil {
                guard let single = value.intValue, range.contains(single) else {
                    throw ContextError(
                        .invalidPolicy, "policy.overheadPerItem must be \(rangeText) or an object of them", field: "overheadPerItem")
                }
                overheadPerItem = ["*": single]
            } else if let perRenderer = value.objectValue {
                var table = ["*": 0]
                for member in perRenderer.members {
                    guard let tokens = member.value.intValue, range.contains(tokens) else {
                        throw ContextError(
                            .invalidPolicy, "policy.overheadPerItem.\(member.key) must be \(rangeText)",
                            field: "overheadPerItem.\(member.key)")
                    }
                    table[member.key] = tokens
                }
                overheadPerItem = table
            }
        }
    }

    /// A preset by name: `keep-all`, `strip-after-response`, `keep-last-n` (with `keepLast`, default 1).
    public static func preset(named name: String, keepLast: Int? = nil) throws -> ContextPolicy {
        switch name {
        case "keep-all": return .keepAll
        case "strip-after-response": return .stripAfterResponse
        case "keep-last-n": return .keepLast(keepLast ?? 1)
        default:
            throw ContextError(
                .invalidPolicy, "unknown policy preset \"\(name)\"; known: keep-all, strip-after-response, keep-last-n")
        }
    }

    /// A policy from a request parameter: a preset name or a policy object.
    public static func from(parameter: JSONValue) throws -> ContextPolicy {
        if let name = parameter.stringValue { return try preset(named: name) }
        return try ContextPolicy(json: parameter)
    }

    /// The JSON form, complete (every knob spelled out).
    public var json: JSONValue {
        var overhead = JSONObject()
        for key in overheadPerItem.keys.sorted() { overhead[key] = .int(Int64(overheadPerItem[key]!)) }
        var eviction: JSONObject = ["targetFraction": .double(evictionTargetFraction)]
        if let tokens = evictionTargetTokens { eviction["targetTokens"] = JSONValue(tokens) }
        let preset: String
        switch keepLastInstructions {
        case nil: preset = "keep-all"
        case 0: preset = "strip-after-response"
        default: preset = "keep-last-n"
        }
        return [
            "name": .string(name),
            "preset": .string(preset),
            "keepLast": keepLastInstructions.map { JSONValue($0) } ?? .null,
            "instructions": [
                "tag": .string(instructionTag), "maxTokens": JSONValue(maxInstructionTokens),
                "overLimit": .string(overLimit.rawValue), "pending": .string(pending.rawValue),
                "coalescedOverLimit": .string(coalescedOverLimit.rawValue),
            ],
            "eviction": .object(eviction),
            "overheadPerItem": .object(overhead),
        ]
    }

    private static func checkKeys(_ object: JSONObject, allowed: Set<String>, in path: String) throws {
        // `data.key` names it below the policy: "eviction.x" for `policy.eviction.x`.
        let prefix = path.hasPrefix("policy.") ? path.dropFirst("policy.".count) + "." : ""
        for key in object.keys where !allowed.contains(key) {
            throw ContextError(
                .invalidPolicy, "unknown key \"\(key)\" in \(path); allowed: \(allowed.sorted().joined(separator: ", "))",
                field: prefix + key)
        }
    }

    private static func string(_ value: JSONValue?, _ key: String) throws -> String? {
        guard let value, value != .null else { return nil }
        guard let string = value.stringValue else {
            throw ContextError(.invalidPolicy, "policy.\(key) must be a string, got \(value.typeName)", field: key)
        }
        return string
    }

    private static func int(_ value: JSONValue?, _ key: String, min: Int, max: Int) throws -> Int? {
        guard let value, value != .null else { return nil }
        guard let number = value.intValue, number >= min, number <= max else {
            throw ContextError(.invalidPolicy, "policy.\(key) must be a whole number in \(min)...\(max)", field: key)
        }
        return number
    }
}
