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

    /// Refuses a setup that is no object, sets what the engine keeps, or names a key the provider's
    /// setup does not have.
    public static func check(_ setup: JSONValue, for kind: ProviderKind) throws(ContextError) {
        guard case .object(let object) = setup else {
            throw ContextError(.invalidPolicy, "providerPolicy.setup must be an object", field: "setup")
        }
        for (path, why) in kept(kind) {
            let parts = path.split(separator: ".").map(String.init)
            var value: JSONValue? = setup
            for part in parts { value = value?[part] }
            if value != nil {
                throw ContextError(
                    .invalidPolicy, "providerPolicy.setup cannot set \(path) (\(why))", field: "setup")
            }
        }
        let settable = settable(kind)
        for key in object.keys where !settable.contains(key) {
            throw ContextError(
                .invalidPolicy,
                "unknown key \"\(key)\" in providerPolicy.setup for \(kind.rawValue); allowed: \(settable.joined(separator: ", "))",
                field: "setup")
        }
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

    private static func merge(_ base: JSONObject, _ over: JSONObject) -> JSONObject {
        var result = base
        for (key, value) in over.members {
            if case .object(let inner) = value, case .object(let existing)? = result[key] {
                result[key] = .object(merge(existing, inner))
            } else {
                result[key] = value
            }
        }
        return result
    }
}
