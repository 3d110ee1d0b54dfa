import Foundation
import JSONWire
import Testing

/// Every method over real pipes, in a realistic order.
@Suite struct ServeMethodsTests {
    @Test func everyMethodOnOneCall() throws {
        let serve = try ServeProcess()
        let requests = [
            RPC.open(1, session: "c1", extra: ["renderer": "openai", "business": "acme", "user": "u1", "window": 8000,
                                               "reserve": 500, "policy": "strip-after-response",
                                               "metadata": ["channel": "phone"]]),
            RPC.request(2, "turn.append", ["session": "c1", "role": "model", "text": "Hello! How can I help?"]),
            RPC.request(3, "model.turnComplete", ["session": "c1"]),
            RPC.request(4, "instruction.push", ["session": "c1", "text": "Ask about their roof size."]),
            RPC.request(5, "client.speechStarted", ["session": "c1"]),
            RPC.request(6, "turn.append", ["session": "c1", "role": "user", "text": "I want", "final": false]),
            RPC.request(7, "turn.append", ["session": "c1", "role": "user", "text": " panels.", "final": true]),
            RPC.request(8, "turn.append", ["session": "c1", "role": "model", "text": "How big is your roof?"]),
            RPC.request(9, "model.turnComplete", ["session": "c1"]),
            RPC.request(10, "summary.set", ["session": "c1", "text": "Client wants panels."]),
            RPC.request(11, "context.snapshot", ["session": "c1", "renderer": "gemini"]),
            RPC.request(12, "session.ping", ["session": "c1"]),
            RPC.request(13, "session.close", ["session": "c1", "status": "resolved"]),
            RPC.request(14, "turn.append", ["session": "c1", "role": "user", "text": "late"]),
            #"{"jsonrpc":"2.0","method":"session.ping","params":{"session":"c1"}}"#,  // a notification: no answer
        ]
        for line in requests { serve.send(line) }
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count == 14)
        #expect(lines.map { $0["id"]?.intValue } == Array(1 ... 14))
        let open = try #require(lines[0].result)
        #expect(open["usage"]?["limit"]?.intValue == 7500)
        #expect(open["snapshot"]?["instructions"]?.stringValue == "You sell solar panels. Be brief.")
        #expect(open["capacity"]?["room"]?.intValue == 7500 - (open["script"]?["tokens"]?.intValue ?? 0))
        // Every state-changing result carries usage, delta and hash.
        for line in lines[1 ... 9] {
            let result = try #require(line.result, "\(line)")
            #expect(result["usage"] != nil && result["delta"] != nil && result["hash"]?.stringValue?.count == 16)
        }
        #expect(lines[4].result?["delta"]?["added"]?.arrayValue?.first?["kind"]?.stringValue == "instruction")
        // A chunk's answer carries what it appended, not the whole turn (docs/protocol.md, `turn.append`).
        #expect(lines[6].result?["delta"]?["updated"]?.arrayValue?.first?["appended"]?.stringValue == " panels.")
        #expect(lines[6].result?["delta"]?["updated"]?.arrayValue?.first?["text"] == nil)
        let strippedID = lines[4].result?["delta"]?["added"]?.arrayValue?.first?["id"]?.stringValue
        #expect(lines[8].result?["delta"]?["removed"]?.arrayValue == [.string(strippedID!)])
        let snapshot = try #require(lines[10].result?["snapshot"])
        #expect(snapshot["turns"]?.arrayValue?.map { $0["role"]!.stringValue! } == ["user", "model", "user", "model"])
        #expect(lines[10].result?["hash"] == lines[9].result?["hash"])
        #expect(lines[11].result?["status"]?.stringValue == "active")
        #expect(lines[12].result?["status"]?.stringValue == "resolved")
        #expect(lines[12].result?["figures"]?["messages"]?.intValue ?? 0 >= 5)
        #expect(lines[13].errorCode == -32002)
    }

    @Test func regularFileAsStdin() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tb-e2e-\(UUID()).jsonl")
        let lines = [RPC.open(1, session: "f"), RPC.request(2, "session.ping", ["session": "f"])]
        try Data(lines.joined(separator: "\n").utf8).write(to: file)  // no final newline: EOF mid-line
        defer { try? FileManager.default.removeItem(at: file) }
        let serve = try ServeProcess(stdinFile: file)
        let (status, output, _) = serve.finish()
        #expect(status == 0)
        #expect(output.map { $0["id"]?.intValue } == [1, 2])
        #expect(output[1].result?["status"]?.stringValue == "active")
    }

    @Test func manySessionsInterleavedAnswerInOrder() throws {
        let serve = try ServeProcess()
        var id = 0
        for session in 0 ..< 50 {
            id += 1
            serve.send(RPC.open(id, session: "s\(session)"))
        }
        for round in 0 ..< 20 {
            for session in 0 ..< 50 {
                id += 1
                serve.send(RPC.request(id, "turn.append", ["session": .string("s\(session)"), "role": round % 2 == 0 ? "user" : "model",
                                                           "text": .string("turn \(round) of \(session)")]))
            }
        }
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.map { $0["id"]!.intValue! } == Array(1 ... id))
        #expect(lines.allSatisfy { $0.result != nil })
    }

    /// Gemini sessions count with the Gemma tokenizer: digits are one token each there, so the same
    /// script costs 21 tokens under gemma3 and 13 under o200k_base (both checked against sentencepiece
    /// and tiktoken), and a turn likewise (12 and 10).
    @Test func geminiSessionsCountWithGemma() throws {
        let serve = try ServeProcess()
        let script = "Order 1234567890 costs 42.50 dollars."
        let turn: JSONObject = ["role": "user", "text": "I paid 19.99 for 3 items"]
        serve.send(RPC.open(1, session: "g", script: script, extra: ["encoding": "gemma3", "renderer": "gemini"]))
        serve.send(RPC.open(2, session: "o", script: script, extra: ["encoding": "o200k_base"]))
        var gemmaTurn = turn, openAITurn = turn
        gemmaTurn["session"] = "g"
        openAITurn["session"] = "o"
        serve.send(RPC.request(3, "turn.append", .object(gemmaTurn)))
        serve.send(RPC.request(4, "turn.append", .object(openAITurn)))
        serve.send(RPC.open(5, session: "x", extra: ["encoding": "gemma2"]))
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines[0].result?["encoding"]?.stringValue == "gemma3")
        #expect(lines[0].result?["script"]?["tokens"]?.intValue == 21)
        #expect(lines[1].result?["script"]?["tokens"]?.intValue == 13)
        #expect(lines[2].result?["usage"]?["history"]?.intValue == 12)
        #expect(lines[3].result?["usage"]?["history"]?.intValue == 10)
        #expect(lines[4].errorCode == -32008)
    }
}
