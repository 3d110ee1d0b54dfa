import JSONWire

/// The setup of a provider connection: what the engine always sets, and the relay's own settings
/// (`providerPolicy.setup`: voice, turn detection, transcription options…) merged into every setup
/// message the engine hands the relay — Gemini's `setup`, OpenAI's `session.update` session — so the
/// relay writes those messages as they are, on the first connection and on every re-seed.
///
/// The engine keeps what it counts or manages: the model, the script, resumption, the provider's own
/// window, history and truncation. Tools and stored prompts are refused: the provider counts them
/// in its context and the engine cannot count them.
public enum ProviderSetup {
    /// What the relay may set, per provider, at the top of the setup. Gemini: the `setup` keys that
    /// google-genai's converter writes (`_live_converters.py`, 3.6.1) but the engine's own. OpenAI:
    /// `RealtimeSessionCreateRequest`'s fields (openai 3.63) but the engine's own. scripts/provider_e2e.py
    /// checks both lists against the SDKs.
    public static func settable(_ kind: ProviderKind) -> [String] {
        switch kind {
        case .geminiLive:
            return [
                "generationConfig", "realtimeInputConfig", "inputAudioTranscription", "outputAudioTranscription", "proactivity",
                "safetySettings", "explicitVadSignal", "avatarConfig", "labels",
            ]
        case .openAIRealtime:
            return ["audio", "include", "max_output_tokens", "output_modalities", "reasoning", "tool_choice", "parallel_tool_calls", "tracing"]
        }
    }

    /// What the engine keeps, with why: named in the error that refuses one.
    static func kept(_ kind: ProviderKind) -> [(path: String, why: String)] {
        let tools = "the provider counts its declarations in the context and the engine cannot count them"
        switch kind {
        case .geminiLive:
            return [
                ("model", "the session's model"), ("systemInstruction", "the script"), ("sessionResumption", "the engine's resumption"),
                ("contextWindowCompression", "the provider's window, set from providerTruncation"),
                ("historyConfig", "how the engine seeds a connection"), ("tools", tools),
                ("generationConfig.responseModalities", "the engine counts the model's turns as audio"),
            ]
        case .openAIRealtime:
            return [
                ("type", "a realtime session"), ("model", "the session's model"), ("instructions", "the script"),
                ("truncation", "the engine's deletes, or providerTruncation"), ("tools", tools),
                ("prompt", "a stored prompt takes context tokens the engine cannot count"),
            ]
        }
    }

    /// Refuses a setup that is no object, sets what the engine keeps (in the wire's camelCase or in
    /// snake_case, which the servers also read), replaces an object the engine writes into with
    /// something else (null, a list: that would drop the engine's keys inside it, the transcripts
    /// among them) or one of its values with null, or names a key the provider's setup does not have.
    /// Values deeper down are the relay's and go as given: the provider checks them (and
    /// scripts/provider_e2e.py checks settings of every key against the SDK types).
    public static func check(_ setup: JSONValue, for kind: ProviderKind) throws(ContextError) {
        guard case .object(let object) = setup else {
            throw ContextError(.invalidPolicy, "providerPolicy.setup must be an object", field: "setup")
        }
        for (path, why) in kept(kind) {
            var values: [JSONValue] = [setup]
            for part in path.split(separator: ".").map(String.init) {
                values = values.flatMap { value in [value[part], value[snakeCase(part)]].compactMap { $0 } }
            }
            if !values.isEmpty {
                throw ContextError(.invalidPolicy, "providerPolicy.setup cannot set \(path) (\(why))", field: "setup")
            }
        }
        let settable = settable(kind)
        for key in object.keys where !settable.contains(key) {
            throw ContextError(
                .invalidPolicy,
                "unknown key \"\(key)\" in providerPolicy.setup for \(kind.rawValue); allowed: \(settable.joined(separator: ", "))",
                field: "setup")
        }
        try keepsTheEnginesShape(object, engine: engineSettable(kind), path: "providerPolicy.setup")
    }

    /// What the engine writes where the relay may write too: its objects must stay objects, its
    /// values must not become null.
    private static func engineSettable(_ kind: ProviderKind) -> JSONObject {
        var engine = transcription(kind)
        if kind == .geminiLive { engine["generationConfig"] = .object(GeminiMessages.generationConfig) }
        return engine
    }

    private static func keepsTheEnginesShape(_ relay: JSONObject, engine: JSONObject, path: String) throws(ContextError) {
        for (key, value) in relay.members {
            guard let mine = engine[key] else { continue }
            let place = path + "." + key
            if case .object(let inner) = mine {
                guard case .object(let theirs) = value else {
                    throw ContextError(
                        .invalidPolicy, "\(place) must be an object: the engine's setup has one there (\(JSONWriter.string(mine)))", field: "setup")
                }
                try keepsTheEnginesShape(theirs, engine: inner, path: place)
            } else if value == .null {
                throw ContextError(.invalidPolicy, "\(place) cannot be null: the engine sets it (\(JSONWriter.string(mine)))", field: "setup")
            }
        }
    }

    /// `responseModalities` → `response_modalities`.
    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    /// OpenAI's transcription model, unless the relay names one: without a transcription model the
    /// server sends no transcript of the caller's audio, and the engine holds spoken turns as text.
    public static let openAITranscriptionModel = "gpt-4o-mini-transcribe"

    /// What the engine always adds: transcripts of both sides. The engine counts and re-seeds turns
    /// from their text; without these a Gemini connection sends no transcript at all, and an OpenAI
    /// one none of the caller's audio.
    static func transcription(_ kind: ProviderKind) -> JSONObject {
        switch kind {
        case .geminiLive:
            return ["inputAudioTranscription": [:], "outputAudioTranscription": [:]]
        case .openAIRealtime:
            return ["audio": ["input": ["transcription": ["model": .string(openAITranscriptionModel)]]]]
        }
    }

    /// The engine's setup with the transcription and then the relay's settings merged in: objects
    /// key by key, any other value (null included) replacing the engine's.
    static func merged(_ engine: JSONObject, kind: ProviderKind, relay: JSONValue?) -> JSONObject {
        var result = merge(engine, transcription(kind))
        if let relay = relay?.objectValue { result = merge(result, relay) }
        return result
    }

    /// Linear in both: `JSONObject`'s lookups are linear, so a key at a time was quadratic (a relay
    /// `audio` of 20,000 keys took 34 s to open and re-seed, and stalled every other session; audit).
    private static func merge(_ base: JSONObject, _ over: JSONObject) -> JSONObject {
        var result = base
        var position = [String: Int](minimumCapacity: base.count)
        for (index, member) in base.members.enumerated() { position[member.key] = index }
        for (key, value) in over.members {
            guard let index = position[key] else {
                position[key] = result.members.count
                result.members.append((key, value))
                continue
            }
            if case .object(let inner) = value, case .object(let existing) = result.members[index].value {
                result.members[index].value = .object(merge(existing, inner))
            } else {
                result.members[index].value = value
            }
        }
        return result
    }
}
