import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing

/// Bad input to a provider session is a clear error that changes nothing.
@Suite struct ProviderInputTests {
    static func opened(_ provider: String = "openai-realtime") -> Harness {
        let harness = Harness()
        let answer = harness.call("session.open", ["session": "p", "script": .string(script), "provider": .string(provider)])
        #expect(answer["result"]?["provider"]?["name"] == JSONValue.string(provider))
        return harness
    }

    @Test func anUnknownProviderOrModelIsRefused() {
        let harness = Harness()
        let provider = harness.call("session.open", ["session": "a", "script": .string(script), "provider": "claude-live"])
        #expect(Harness.code(provider) == -32602)
        #expect(provider["error"]?["data"]?["param"] == "provider")
        let model = harness.call("session.open", ["session": "a", "script": .string(script), "provider": "gemini-live", "model": "gemini-1.0-pro"])
        #expect(Harness.code(model) == -32602)
        #expect(model["error"]?["data"]?["param"] == "model")
        let orphan = harness.call("session.open", ["session": "a", "script": .string(script), "model": "gpt-realtime"])
        #expect(Harness.code(orphan) == -32602)
        let policy = harness.call("session.open", [
            "session": "a", "script": .string(script), "provider": "gemini-live", "providerPolicy": ["reseedAt": 3],
        ])
        #expect(Harness.code(policy) == -32007 && policy["error"]?["data"]?["param"] == "providerPolicy")
        // A bad policy names it even without a key out of range (an unknown preset had no data).
        let preset = harness.call("session.open", ["session": "a", "script": .string(script), "policy": ["preset": "keep-some"]])
        #expect(Harness.code(preset) == -32007 && preset["error"]?["data"]?["param"] == "policy")
        let named = harness.call("session.open", ["session": "a", "script": .string(script), "policy": "keep-some"])
        #expect(named["error"]?["data"]?["param"] == "policy" && named["error"]?["data"]?["key"] == nil)
        let range = harness.call("session.open", ["session": "a", "script": .string(script), "policy": ["keepLast": -1]])
        #expect(range["error"]?["data"]?["param"] == "policy" && range["error"]?["data"]?["key"] == "keepLast")
        // None of them opened anything.
        #expect(harness.call("session.open", ["session": "a", "script": .string(script)])["result"] != nil)
    }

    @Test func aNegativeAudioDurationIsRefused() {
        let harness = Self.opened()
        let answer = harness.call("turn.append", ["session": "p", "role": "user", "text": "hi", "audioMs": -1, "providerItemId": "item_1"])
        #expect(Harness.code(answer) == -32602)
        #expect(answer["error"]?["data"]?["param"] == "audioMs")
    }

    @Test func aReusedProviderItemIdIsRefusedAndChangesNothing() {
        let harness = Self.opened()
        let first = harness.call("turn.append", ["session": "p", "role": "user", "text": "hi", "audioMs": 900, "providerItemId": "item_1"])
        #expect(first["result"]?["version"] == 1)
        let held = first["result"]?["provider"]?["held"]
        let again = harness.call("turn.append", ["session": "p", "role": "model", "text": "hello", "audioMs": 900, "providerItemId": "item_1"])
        #expect(Harness.code(again) == -32602)
        #expect(again["error"]?["data"]?["param"] == "providerItemId")
        let report = harness.call("usage.report", ["session": "p", "inputTokens": 1])
        #expect(report["result"]?["version"] == 2)
        #expect(report["result"]?["provider"]?["held"] == held)
    }

    /// OpenAI can only delete what it can name: a turn it created needs its id.
    @Test func anOpenAITurnWithoutItsProviderIdIsRefused() {
        let harness = Self.opened()
        let answer = harness.call("turn.append", ["session": "p", "role": "model", "text": "hello"])
        #expect(Harness.code(answer) == -32602)
        #expect(answer["error"]?["data"]?["param"] == "providerItemId")
    }

    @Test func aUsageReportNeedsAnOpenProviderSession() {
        let harness = Self.opened("gemini-live")
        let missing = harness.call("usage.report", ["session": "p", "usageMetadata": ["totalTokenCount": 3]])
        #expect(Harness.code(missing) == -32602)
        harness.call("session.close", ["session": "p"])
        let closed = harness.call("usage.report", ["session": "p", "usageMetadata": ["promptTokenCount": 3]])
        #expect(Harness.code(closed) == -32002)
        harness.call("session.open", ["session": "plain", "script": .string(script)])
        let plain = harness.call("usage.report", ["session": "plain", "inputTokens": 3])
        #expect(Harness.code(plain) == -32602)
    }

    /// The ledger is part of the stored session: a rebuilt provider session holds what it held.
    @Test func aRebuiltProviderSessionHoldsWhatItHeld() throws {
        let folder = try TemporaryFolder()
        var before: JSONValue?
        do {
            let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
            harness.call("session.open", ["session": "g", "script": .string(script), "provider": "gemini-live"])
            harness.call("instruction.push", ["session": "g", "text": "Be brief."])
            harness.call("client.speechStarted", ["session": "g"])
            harness.call("turn.append", ["session": "g", "role": "user", "text": "Price?", "audioMs": 1200])
            harness.call("turn.append", ["session": "g", "role": "model", "text": "Nine thousand.", "audioMs": 1800])
            before = harness.call("model.turnComplete", ["session": "g"])["result"]?["provider"]
        }
        #expect(before?["stale"]?.intValue ?? 0 > 0)
        let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
        let after = harness.call("usage.report", ["session": "g", "inputTokens": 0])
        #expect(after["result"]?["provider"] == before)
    }
}
