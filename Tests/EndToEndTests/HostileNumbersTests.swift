import Foundation
import JSONWire
import Testing

/// Issue 15 (#1, #12): numbers and shapes a hostile relay may send. The engine must answer every
/// request (never trap), refuse what it cannot honour naming the culprit, and stay fast.
@Suite struct HostileNumbersTests {
    // MARK: - #1 numbers from requests

    /// Every number a request carries is range-checked: past its bound it is refused naming it, and
    /// the engine goes on (it used to trap on `overheadPerItem` near Int64.max, or a huge window
    /// with a large overhead after two turns).
    @Test func outOfRangeNumbersAreRefusedNamingThemAndTheEngineLives() throws {
        let serve = try ServeProcess()
        let max = Int64.max
        let policyCases: [(Int, JSONValue, String)] = [
            (1, ["overheadPerItem": .int(max)], "overheadPerItem"),
            (2, ["overheadPerItem": ["gemini": .int(max - 1)]], "overheadPerItem.gemini"),
            (3, ["overheadPerItem": 100_001], "overheadPerItem"),
            (4, ["keepLast": .int(max), "preset": "keep-last-n"], "keepLast"),
            (5, ["instructions": ["maxTokens": .int(max)]], "instructions.maxTokens"),
            (6, ["eviction": ["targetTokens": .int(max)]], "eviction.targetTokens"),
        ]
        for (id, policy, _) in policyCases { serve.send(RPC.open(id, session: "p\(id)", extra: ["policy": policy])) }
        let paramCases: [(Int, String, JSONValue, String)] = [
            (11, "session.open", ["session": "w", "script": "x", "window": .int(max)], "window"),
            (12, "session.open", ["session": "w", "script": "x", "window": 100_000_001], "window"),
            (13, "session.open", ["session": "w", "script": "x", "reserve": .int(max)], "reserve"),
        ]
        for (id, method, params, _) in paramCases { serve.send(RPC.request(id, method, params)) }
        // The largest accepted values, then turns: every sum stays exact.
        serve.send(RPC.open(20, session: "big", extra: [
            "window": 100_000_000, "reserve": .int(100_000_000 - 1_000_000),
            "policy": ["overheadPerItem": 100_000, "instructions": ["maxTokens": 100_000_000],
                       "eviction": ["targetTokens": 100_000_000], "keepLast": 1_000_000, "preset": "keep-last-n"],
        ]))
        serve.send(RPC.request(21, "turn.append", ["session": "big", "role": "user", "text": "one"]))
        serve.send(RPC.request(22, "turn.append", ["session": "big", "role": "model", "text": "two"]))
        serve.send(RPC.request(23, "turn.append", ["session": "big", "role": "user", "text": "three"]))
        serve.send(RPC.request(24, "turn.append", ["session": "big", "role": "user", "text": "x", "audioMs": .int(max)]))
        serve.send(RPC.request(25, "resume.goAway", ["session": "big", "timeLeftMs": .int(max)]))
        serve.send(RPC.request(26, "session.messages", ["session": "big", "limit": .int(max)]))
        serve.send(RPC.request(27, "sessions.history", ["limit": .int(max)]))
        serve.send(RPC.open(30, session: "prov", extra: ["provider": "openai-realtime"]))
        serve.send(RPC.request(31, "usage.report", ["session": "prov", "inputTokens": .int(max)]))
        serve.send(RPC.request(32, "usage.report", ["session": "prov", "usage": ["input_tokens": .int(max)]]))
        serve.send(RPC.request(33, "usage.report", ["session": "prov", "usageMetadata": ["promptTokenCount": .int(max)]]))
        serve.send(RPC.request(40, "session.ping", ["session": "big"]))
        serve.closeInput()
        let (status, lines, stderr) = serve.finish()
        #expect(status == 0, "\(stderr)")
        let byID = Dictionary(lines.compactMap { line in line["id"]?.intValue.map { ($0, line) } }, uniquingKeysWith: { a, _ in a })
        for (id, _, key) in policyCases {
            #expect(byID[id]?.errorCode == -32007, "id \(id): \(String(describing: byID[id]))")
            #expect(byID[id]?["error"]?["data"]?["key"]?.stringValue == key, "id \(id)")
            #expect(byID[id]?["error"]?["message"]?.stringValue?.contains(key) == true, "id \(id)")
        }
        for (id, _, _, param) in paramCases {
            #expect(byID[id]?.errorCode == -32602, "id \(id): \(String(describing: byID[id]))")
            #expect(byID[id]?["error"]?["data"]?["param"]?.stringValue == param, "id \(id)")
        }
        for id in [20, 21, 22, 23, 40] { #expect(byID[id]?.result != nil, "id \(id): \(String(describing: byID[id]))") }
        // Oracle for the sums: the script and three turns, each its tokens plus 100,000 of overhead.
        let total: Int? = byID[23]?.result?["usage"]?["total"]?.intValue
        let script: Int = byID[20]?.result?["script"]?["tokens"]?.intValue ?? -1
        var turns: [Int] = []
        for id in [21, 22, 23] {
            if let tokens = byID[id]?.result?["delta"]?["added"]?.arrayValue?.first?["tokens"]?.intValue { turns.append(tokens) }
        }
        let expected: Int = script + turns.reduce(0, +) + 4 * 100_000
        #expect(turns.count == 3)
        #expect(total == expected)
        for (id, param) in [(24, "audioMs"), (25, "timeLeftMs"), (31, "inputTokens")] {
            #expect(byID[id]?.errorCode == -32602, "id \(id): \(String(describing: byID[id]))")
            #expect(byID[id]?["error"]?["data"]?["param"]?.stringValue == param, "id \(id)")
        }
        for (id, param) in [(26, "limit"), (27, "limit")] {
            // --store none: the store check comes first for these; the limit is checked either way.
            #expect(byID[id]?.errorCode == -32012 || byID[id]?["error"]?["data"]?["param"]?.stringValue == param, "id \(id)")
        }
        for id in [32, 33] { #expect(byID[id]?.errorCode == -32602, "id \(id): \(String(describing: byID[id]))") }
        #expect(lines.count == 22, "every request answered exactly once: \(lines.count)")
    }

    // MARK: - #12 a line of 60,000 keys

    /// A 1 MiB line of 60,000 keys used to stall every call for 9.8 s (quadratic parse). The answer
    /// to it, and to the ping after it, must come fast; a repeated key is refused naming it.
    @Test func aLineOfSixtyThousandKeysIsAnsweredFast() throws {
        let serve = try ServeProcess()
        serve.send(RPC.open(1, session: "a"))
        #expect(serve.waitForLines(1).count == 1)
        var params = (0 ..< 60_000).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        params = "{\"session\":\"a\"," + params + "}"
        let line = #"{"jsonrpc":"2.0","id":2,"method":"session.ping","params":"# + params + "}"
        #expect(line.utf8.count < 1 << 20)
        let start = Date()
        serve.send(line)
        serve.send(RPC.request(3, "session.ping", ["session": "a"]))
        let lines = serve.waitForLines(3, seconds: 30)
        let elapsed = Date().timeIntervalSince(start)
        #expect(lines.count == 3)
        #expect(elapsed < 4.0, "the 60,000-key line took \(elapsed) s (a debug build)")
        // The line parses; its 60,000 keys are parameters session.ping does not take (docs/openrpc.json),
        // so it is refused naming the first, and the ping after it is answered.
        #expect(lines.count == 3 && lines[1].errorCode == -32602 && lines[1]["error"]?["data"]?["param"] == "k0")
        #expect(lines.count == 3 && lines[2].result?["status"] == "active")
        serve.send(#"{"jsonrpc":"2.0","id":4,"method":"session.ping","params":{"session":"a","session":"b"}}"#)
        serve.closeInput()
        let (status, all, _) = serve.finish()
        #expect(status == 0)
        #expect(all.last?.errorCode == -32700)
        #expect(all.last?["error"]?["message"]?.stringValue?.contains("duplicate key \"session\"") == true)
    }
}
