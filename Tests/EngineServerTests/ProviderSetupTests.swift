import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing

/// Every setup the engine hands a relay turns transcripts on and carries the relay's own settings
/// (`providerPolicy.setup`), on the first connection and on every re-seed, also after a restart from
/// the store; what the engine keeps is refused. (That the merged messages are what the SDKs accept is
/// scripts/provider_e2e.py's part: it validates every setup with the SDK types.)
@Suite struct ProviderSetupTests {
    static let geminiRelay: JSONValue = [
        "generationConfig": ["speechConfig": ["voiceConfig": ["prebuiltVoiceConfig": ["voiceName": "Kore"]]]],
        "realtimeInputConfig": ["automaticActivityDetection": ["silenceDurationMs": 500]],
        "inputAudioTranscription": ["languageCodes": ["de-DE"]],
    ]
    static let openAIRelay: JSONValue = [
        "audio": ["output": ["voice": "marin"], "input": ["turn_detection": ["type": "semantic_vad"]]],
    ]

    /// The first message's setup object: Gemini's `setup`, OpenAI's `session.update` session.
    static func setup(_ send: JSONValue?) -> JSONValue? {
        guard let first = send?.arrayValue?.first else { return nil }
        return first["setup"] ?? first["session"]
    }

    static func open(_ harness: Harness, _ id: String, _ provider: String, setup: JSONValue?) -> JSONValue {
        var params: JSONObject = ["session": .string(id), "script": .string(script), "provider": .string(provider)]
        if let setup { params["providerPolicy"] = ["setup": setup] }
        return harness.call("session.open", params)
    }

    /// A goAway on OpenAI (always a re-seed) or a Gemini session without a handle: the plan's setup.
    static func reseedSetup(_ harness: Harness, _ id: String) -> JSONValue? {
        harness.call("turn.append", ["session": .string(id), "role": "user", "text": "Hello, who is this?"])
        let plan = harness.call("resume.goAway", ["session": .string(id), "timeLeftMs": 1_000])
        #expect(plan["result"]?["action"] == "reseed", "\(plan)")
        return setup(plan["result"]?["reseed"]?["send"])
    }

    @Test func transcriptsAreOnWithoutRelaySettings() {
        let harness = Harness()
        let gemini = Self.setup(Self.open(harness, "g", "gemini-live", setup: nil)["result"]?["send"])
        #expect(gemini?["inputAudioTranscription"] == [:] && gemini?["outputAudioTranscription"] == [:], "\(gemini ?? .null)")
        #expect(gemini?["generationConfig"] == ["responseModalities": ["AUDIO"]])
        let openAI = Self.setup(Self.open(harness, "o", "openai-realtime", setup: nil)["result"]?["send"])
        #expect(openAI?["audio"] == ["input": ["transcription": ["model": "gpt-4o-mini-transcribe"]]], "\(openAI ?? .null)")
        #expect(openAI?["truncation"] == "disabled" && openAI?["type"] == "realtime")
        #expect(Self.reseedSetup(harness, "g") == gemini)
        #expect(Self.reseedSetup(harness, "o") == openAI)
    }

    @Test func theRelaySettingsAreMergedIntoEverySetup() {
        let harness = Harness()
        let gemini = Self.setup(Self.open(harness, "g", "gemini-live", setup: Self.geminiRelay)["result"]?["send"])
        // Objects merge key by key: the engine's audio out stays beside the relay's voice.
        #expect(gemini?["generationConfig"] == [
            "responseModalities": ["AUDIO"], "speechConfig": ["voiceConfig": ["prebuiltVoiceConfig": ["voiceName": "Kore"]]],
        ], "\(gemini ?? .null)")
        #expect(gemini?["realtimeInputConfig"] == Self.geminiRelay["realtimeInputConfig"])
        #expect(gemini?["inputAudioTranscription"] == ["languageCodes": ["de-DE"]])
        #expect(gemini?["outputAudioTranscription"] == [:])
        #expect(gemini?["systemInstruction"]?["parts"]?.arrayValue?.first?["text"] == .string(script))
        let openAI = Self.setup(Self.open(harness, "o", "openai-realtime", setup: Self.openAIRelay)["result"]?["send"])
        #expect(openAI?["audio"] == [
            "input": ["transcription": ["model": "gpt-4o-mini-transcribe"], "turn_detection": ["type": "semantic_vad"]],
            "output": ["voice": "marin"],
        ], "\(openAI ?? .null)")
        #expect(Self.reseedSetup(harness, "g") == gemini)
        #expect(Self.reseedSetup(harness, "o") == openAI)
        // The relay may name another transcription model: a value that is no object replaces the engine's.
        let other = Self.setup(Self.open(harness, "n", "openai-realtime",
                                         setup: ["audio": ["input": ["transcription": ["model": "gpt-4o-transcribe", "language": "de"]]]])["result"]?["send"])
        #expect(other?["audio"] == ["input": ["transcription": ["model": "gpt-4o-transcribe", "language": "de"]]], "\(other ?? .null)")
    }

    @Test func whatTheEngineKeepsAndUnknownKeysAreRefused() {
        let harness = Harness()
        let refused: [(String, JSONValue, String)] = [
            ("gemini-live", ["tools": []], "tools"), ("gemini-live", ["systemInstruction": ["parts": []]], "systemInstruction"),
            ("gemini-live", ["generationConfig": ["responseModalities": ["TEXT"]]], "generationConfig.responseModalities"),
            ("gemini-live", ["model": "models/x"], "model"), ("gemini-live", ["contextWindowCompression": [:]], "contextWindowCompression"),
            ("gemini-live", ["voice": "Kore"], "unknown key \"voice\""), ("gemini-live", ["audio": [:]], "unknown key \"audio\""),
            ("openai-realtime", ["tools": []], "tools"), ("openai-realtime", ["instructions": "x"], "instructions"),
            ("openai-realtime", ["truncation": "auto"], "truncation"), ("openai-realtime", ["prompt": ["id": "p"]], "prompt"),
            ("openai-realtime", ["generationConfig": [:]], "unknown key \"generationConfig\""),
            ("openai-realtime", ["a", "b"], "must be an object"),
            // What would drop the engine's keys inside an object it writes, or turn the transcripts
            // off; snake_case, which the servers also read (audit).
            ("gemini-live", ["generationConfig": nil], "generationConfig must be an object"),
            ("gemini-live", ["generationConfig": "TEXT"], "generationConfig must be an object"),
            ("gemini-live", ["generationConfig": ["response_modalities": ["TEXT"]]], "generationConfig.responseModalities"),
            ("gemini-live", ["inputAudioTranscription": nil], "inputAudioTranscription must be an object"),
            ("gemini-live", ["outputAudioTranscription": []], "outputAudioTranscription must be an object"),
            ("openai-realtime", ["audio": nil], "audio must be an object"),
            ("openai-realtime", ["audio": ["input": []]], "audio.input must be an object"),
            ("openai-realtime", ["audio": ["input": ["transcription": nil]]], "audio.input.transcription must be an object"),
            ("openai-realtime", ["audio": ["input": ["transcription": ["model": nil]]]], "audio.input.transcription.model cannot be null"),
        ]
        for (provider, setup, words) in refused {
            let answer = Self.open(harness, "r", provider, setup: setup)
            #expect(Harness.code(answer) == -32007, "\(provider) \(setup): \(answer)")
            #expect(answer["error"]?["data"]?["key"] == "setup")
            #expect(answer["error"]?["message"]?.stringValue?.contains(words) == true, "\(answer)")
        }
        // None of them opened the session.
        #expect(Self.open(harness, "r", "gemini-live", setup: [:])["result"] != nil)
    }

    /// A Gemini connection resumed with its handle gets the session's own setup with the handle: the
    /// relay writes it as it is (it had to compose one, and could leave the transcripts out). With the
    /// instruction in the system instruction, the setup's system instruction is what the provider holds.
    @Test func aReconnectHandsTheResumedConnectionsSetup() {
        let harness = Harness()
        let opened = Self.setup(Self.open(harness, "g", "gemini-live", setup: Self.geminiRelay)["result"]?["send"])
        harness.call("resume.update", ["session": "g", "handle": "h-1", "resumable": true])
        let plan = harness.call("resume.goAway", ["session": "g", "timeLeftMs": 1_000])["result"]
        #expect(plan?["action"] == "reconnect", "\(plan ?? .null)")
        var expected = opened?.objectValue
        expected?["sessionResumption"] = ["handle": "h-1"]
        #expect(Self.setup(plan?["send"]) == expected.map(JSONValue.object), "\(plan ?? .null)")

        _ = harness.call("session.open", ["session": "s", "script": .string(script), "provider": "gemini-live",
                                          "providerPolicy": ["instructionDelivery": "systemInstruction"]])
        harness.call("instruction.push", ["session": "s", "text": "Mention the discount."])
        harness.call("client.speechStarted", ["session": "s"])
        harness.call("resume.update", ["session": "s", "handle": "h-2", "resumable": true])
        let resumed = Self.setup(harness.call("resume.goAway", ["session": "s", "timeLeftMs": 1_000])["result"]?["send"])
        #expect(resumed?["systemInstruction"]?["parts"]?.arrayValue?.first?["text"]
                    == .string(script + "\n\n[SALES_MANAGER_INSTRUCTION]\nMention the discount."), "\(resumed ?? .null)")
        #expect(resumed?["sessionResumption"] == ["handle": "h-2"])
    }

    /// The settings are stored with the session: a restarted engine's re-seed still carries them.
    @Test func aStoredSessionKeepsTheRelaySettings() throws {
        let folder = try TemporaryFolder()
        let opened: JSONValue?
        do {
            let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
            opened = Self.setup(Self.open(harness, "g", "gemini-live", setup: Self.geminiRelay)["result"]?["send"])
        }
        let restarted = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
        #expect(restarted.call("session.resume", ["session": "g"])["result"] != nil)
        #expect(Self.reseedSetup(restarted, "g") == opened)
        #expect(opened?["realtimeInputConfig"] != nil)
    }
}
