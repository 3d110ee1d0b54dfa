import JSONWire

/// `providerPolicy` in `session.open`: `{planReseeds, reseedAt, reseedOnGoAwayStaleTokens, calibrate,
/// driftNotifyPercent, instructionDelivery, sendDeletes, providerTruncation, speechRoomMs,
/// recostOnCalibration, itemsAreTurns, budgetCoversHeld, setup}`, every key
/// optional (docs/providers.md).
extension ProviderPolicy {
    /// - Parameter stored: the policy a stored session was opened with. Only it may carry
    ///   `recostOnCalibration`, which `session.open` writes: which rules the session was opened with
    ///   is the engine's to say, not a request's (a `false` was taken and then overridden; review).
    public init(json: JSONValue, stored: Bool = false) throws {
        self.init()
        guard case .object(let object) = json else {
            throw ContextError(.invalidPolicy, "providerPolicy must be an object")
        }
        // The keys that say which rules a session was opened with are the engine's: a request is not
        // told it may set them.
        let engineKeys = ["recostOnCalibration", "itemsAreTurns", "budgetCoversHeld"]
        let known = [
            "planReseeds", "reseedAt", "reseedOnGoAwayStaleTokens", "calibrate", "driftNotifyPercent", "instructionDelivery",
            "sendDeletes", "providerTruncation", "speechRoomMs", "setup",
        ] + (stored ? engineKeys : [])
        for key in object.keys where !known.contains(key) && !engineKeys.contains(key) {
            throw ContextError(
                .invalidPolicy, "unknown key \"\(key)\" in providerPolicy; allowed: \(known.joined(separator: ", "))", field: key)
        }
        if let value = object["planReseeds"] {
            guard let flag = value.boolValue else {
                throw ContextError(.invalidPolicy, "providerPolicy.planReseeds must be true or false", field: "planReseeds")
            }
            planReseeds = flag
        }
        if let value = object["reseedAt"] {
            guard let fraction = value.doubleValue, fraction > 0, fraction <= 1 else {
                throw ContextError(.invalidPolicy, "providerPolicy.reseedAt must be a number in (0, 1]", field: "reseedAt")
            }
            reseedAt = fraction
        }
        if let value = object["reseedOnGoAwayStaleTokens"] {
            guard let tokens = value.intValue, tokens >= 0, tokens <= 1 << 40 else {
                throw ContextError(
                    .invalidPolicy, "providerPolicy.reseedOnGoAwayStaleTokens must be a whole number in 0...2^40",
                    field: "reseedOnGoAwayStaleTokens")
            }
            reseedOnGoAwayStaleTokens = tokens
        }
        if let value = object["calibrate"] {
            guard let flag = value.boolValue else {
                throw ContextError(.invalidPolicy, "providerPolicy.calibrate must be true or false", field: "calibrate")
            }
            calibrate = flag
        }
        if let value = object["driftNotifyPercent"] {
            guard let percent = value.doubleValue, percent >= 0, percent.isFinite else {
                throw ContextError(.invalidPolicy, "providerPolicy.driftNotifyPercent must be a number ≥ 0", field: "driftNotifyPercent")
            }
            driftNotifyPercent = percent
        }
        if let value = object["instructionDelivery"] {
            guard let name = value.stringValue, let delivery = ProviderProfile.InstructionDelivery(rawValue: name) else {
                throw ContextError(
                    .invalidPolicy,
                    "providerPolicy.instructionDelivery must be clientContent, realtimeInputText, systemInstruction, systemItem or userItem",
                    field: "instructionDelivery")
            }
            instructionDelivery = delivery
        }
        if let value = object["sendDeletes"] {
            guard let flag = value.boolValue else {
                throw ContextError(.invalidPolicy, "providerPolicy.sendDeletes must be true or false", field: "sendDeletes")
            }
            sendDeletes = flag
        }
        if let value = object["providerTruncation"], value != .null {
            guard let trigger = value["trigger"]?.intValue, let target = value["target"]?.intValue, target > 0,
                target <= trigger, trigger <= 10_000_000
            else {
                throw ContextError(
                    .invalidPolicy, "providerPolicy.providerTruncation must be {trigger, target} with 0 < target ≤ trigger ≤ 10,000,000",
                    field: "providerTruncation")
            }
            providerTruncation = (trigger, target)
        }
        if let value = object["speechRoomMs"] {
            guard let milliseconds = value.intValue, (0 ... 600_000).contains(milliseconds) else {
                throw ContextError(
                    .invalidPolicy, "providerPolicy.speechRoomMs must be a whole number in 0...600000 (10 minutes)", field: "speechRoomMs")
            }
            speechRoomMs = milliseconds
        }
        recostOnCalibration = try Self.engineFlag(object, "recostOnCalibration", stored: stored, documented: "Reconciliation")
        itemsAreTurns = try Self.engineFlag(object, "itemsAreTurns", stored: stored, documented: "Re-seeds")
        budgetCoversHeld = try Self.engineFlag(object, "budgetCoversHeld", stored: stored, documented: "What the ledger counts")
        if let value = object["setup"], value != .null {
            // Which keys the provider's setup has is checked by `session.open`, which knows the provider.
            guard value.objectValue != nil else {
                throw ContextError(.invalidPolicy, "providerPolicy.setup must be an object", field: "setup")
            }
            setup = value
        }
    }

    /// A flag `session.open` stores with the session (which rules it was opened with): refused in a
    /// request, read from a stored policy; false when absent (a session stored before it).
    private static func engineFlag(_ object: JSONObject, _ key: String, stored: Bool, documented section: String) throws -> Bool {
        guard let value = object[key] else { return false }
        guard stored else {
            throw ContextError(.invalidPolicy, "providerPolicy.\(key) is set by the engine (docs/providers.md, \(section))", field: key)
        }
        guard let flag = value.boolValue else {
            throw ContextError(.invalidPolicy, "providerPolicy.\(key) must be true or false", field: key)
        }
        return flag
    }

    public var json: JSONValue {
        var object: JSONObject = [
            "planReseeds": .bool(planReseeds), "reseedAt": .double(reseedAt), "reseedOnGoAwayStaleTokens": .int(Int64(reseedOnGoAwayStaleTokens)),
            "calibrate": .bool(calibrate), "driftNotifyPercent": .double(driftNotifyPercent),
        ]
        if let instructionDelivery { object["instructionDelivery"] = .string(instructionDelivery.rawValue) }
        if !sendDeletes { object["sendDeletes"] = false }
        if let speechRoomMs { object["speechRoomMs"] = .int(Int64(speechRoomMs)) }
        if recostOnCalibration { object["recostOnCalibration"] = true }
        if itemsAreTurns { object["itemsAreTurns"] = true }
        if budgetCoversHeld { object["budgetCoversHeld"] = true }
        if let setup { object["setup"] = setup }
        if let providerTruncation {
            object["providerTruncation"] = ["trigger": .int(Int64(providerTruncation.trigger)), "target": .int(Int64(providerTruncation.target))]
        }
        return .object(object)
    }
}

extension ProviderOutcome {
    /// `{held, stale, limit}`: what every state-changing result of a provider session carries.
    public var ledgerJSON: JSONValue {
        ["held": .int(Int64(held)), "stale": .int(Int64(stale)), "limit": .int(Int64(limit))]
    }
}

extension ReseedPlan {
    public var json: JSONValue {
        ["reason": .string(reason), "held": .int(Int64(held)), "send": .array(send)]
    }
}
