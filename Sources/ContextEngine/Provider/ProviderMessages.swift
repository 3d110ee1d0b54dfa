import JSONWire

/// Gemini Live client messages (`LiveClientMessage` in google-genai; camelCase on the wire), exactly as
/// the relay writes them to its WebSocket. Checked against the SDK types by scripts/provider_oracle.py.
enum GeminiMessages {
    /// The model answers in audio: the engine counts its turns from their audio (`ProviderSetup`
    /// keeps the relay from changing it).
    static let generationConfig: JSONObject = ["responseModalities": ["AUDIO"]]

    /// The first message of a connection: model, audio out, the script as system instruction,
    /// resumption handles on, history sent as `clientContent`, and Gemini's own sliding window as a
    /// backstop at the limit (the engine re-seeds before it, so it should never fire); transcripts
    /// of both sides and the relay's settings (`ProviderSetup`).
    /// With `resumeHandle`, the setup of a connection resumed with it.
    static func setup(profile: ProviderProfile, policy: ProviderPolicy, systemInstruction: String, resumeHandle: String? = nil) -> JSONValue {
        let engine: JSONObject = [
            "model": .string("models/" + profile.model),
            "generationConfig": .object(generationConfig),
            "systemInstruction": ["parts": [["text": .string(systemInstruction)]]],
            "sessionResumption": resumeHandle.map { ["handle": .string($0)] } ?? [:],
            "contextWindowCompression": [
                "triggerTokens": .int(Int64(policy.providerTruncation?.trigger ?? profile.heldLimit)),
                "slidingWindow": [
                    "targetTokens": .int(Int64(policy.providerTruncation?.target ?? Int(Double(profile.heldLimit) * policy.reseedAt * 0.5)))
                ],
            ],
            "historyConfig": ["initialHistoryInClientContent": true],
        ]
        return ["setup": .object(ProviderSetup.merged(engine, kind: .geminiLive, relay: policy.setup))]
    }

    /// `clientContent` with `items` as text turns (instructions and summaries as user turns).
    static func clientContent(_ items: [ContextItem], turnComplete: Bool) -> JSONValue {
        let turns = items.map { item -> JSONValue in
            ["role": .string(item.role == .model ? "model" : "user"), "parts": [["text": .string(item.text)]]]
        }
        return ["clientContent": ["turns": .array(turns), "turnComplete": .bool(turnComplete)]]
    }

    /// `contextUpdate.systemInstruction`: replaces the system instruction in the running session.
    static func contextUpdate(systemInstruction: String) -> JSONValue {
        ["contextUpdate": ["systemInstruction": ["parts": [["text": .string(systemInstruction)]]]]]
    }

    /// `realtimeInput.text`: for models that refuse `clientContent` once the conversation runs.
    static func realtimeText(_ text: String) -> JSONValue {
        ["realtimeInput": ["text": .string(text)]]
    }
}

/// OpenAI Realtime client events (`openai.types.realtime`), exactly as the relay writes them.
enum OpenAIMessages {
    /// The script as the session's instructions. When the engine deletes what leaves the context the
    /// provider's own truncation is `disabled`; `auto` when the provider truncates (a strategy). The
    /// caller's transcription and the relay's settings (`ProviderSetup`) are merged in.
    static func sessionUpdate(instructions: String, truncation: String, relay: JSONValue?) -> JSONValue {
        let engine: JSONObject = ["type": "realtime", "instructions": .string(instructions), "truncation": .string(truncation)]
        return ["type": "session.update", "session": .object(ProviderSetup.merged(engine, kind: .openAIRealtime, relay: relay))]
    }

    /// `conversation.item.create` of an item as text, after `previous` (`root`: at the start).
    static func create(_ item: ContextItem, id: String, previous: String, delivery: ProviderProfile.InstructionDelivery)
        -> JSONValue
    {
        let role: String
        switch item.kind {
        case .instruction: role = delivery == .userItem ? "user" : "system"
        case .summary: role = "system"
        case .turn, .script: role = item.role == .model ? "assistant" : "user"
        }
        let contentType = role == "assistant" ? "output_text" : "input_text"
        return [
            "type": "conversation.item.create",
            "previous_item_id": .string(previous),
            "item": [
                "id": .string(id), "type": "message", "role": .string(role),
                "content": [["type": .string(contentType), "text": .string(item.text)]],
            ],
        ]
    }

    static func delete(_ providerID: String) -> JSONValue {
        ["type": "conversation.item.delete", "item_id": .string(providerID)]
    }
}
