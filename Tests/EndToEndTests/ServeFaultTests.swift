import Foundation
import JSONWire
import Testing

/// Bad input and faults: a clear error, the stream goes on, nothing accepted is lost.
@Suite struct ServeFaultTests {
    @Test func everyProtocolErrorIsAnsweredAndTheStreamGoesOn() throws {
        let serve = try ServeProcess()
        serve.send(RPC.open(1, session: "a"))
        serve.send("{not json")                                                        // line 2: -32700
        serve.sendRaw(Data([0x7B, 0x22, 0x61, 0x22, 0x3A, 0x22, 0xFF, 0x22, 0x7D, 0x0A]))  // line 3: invalid UTF-8
        serve.send("42")                                                               // -32600
        serve.send(#"{"jsonrpc":"1.0","id":5,"method":"session.ping"}"#)                // -32600
        serve.send(#"{"jsonrpc":"2.0","id":6,"method":"no.such"}"#)                     // -32601
        serve.send(RPC.request(7, "turn.append", ["session": "a", "role": "user"]))   // -32602 text missing
        serve.send(RPC.request(8, "turn.append", ["session": "a", "role": "user", "text": 5]))  // -32602 mistyped
        serve.send(RPC.request(9, "session.ping", ["session": "ghost"]))              // -32001
        serve.send(RPC.open(10, session: "big", script: String(repeating: "word ", count: 3000), extra: ["window": 1000]))  // -32004
        serve.send(RPC.open(11, session: "a"))                                        // -32003
        serve.send(RPC.open(12, session: "p", extra: ["policy": ["preset": "keep-some"]]))  // -32007
        serve.send(RPC.open(13, session: "e", extra: ["encoding": "p50k_base"]))     // -32008
        serve.send(#"{"jsonrpc":"2.0","id":14,"method":"session.open","params":{"session":"f","scriptFile":"/no/such/file"}}"#)  // -32009
        serve.send(RPC.request(15, "session.close", ["session": "a"]))
        serve.send(RPC.request(16, "turn.append", ["session": "a", "role": "user", "text": "x"]))  // -32002
        serve.send(RPC.open(17, session: "tiny", extra: ["window": 30]))
        serve.send(RPC.request(18, "turn.append", ["session": "tiny", "role": "user", "text": .string(String(repeating: "many words ", count: 40))]))  // -32005
        serve.send(RPC.open(19, session: "strict", extra: ["policy": ["instructions": ["maxTokens": 5, "overLimit": "reject"]]]))
        serve.send(RPC.request(20, "instruction.push", ["session": "strict", "text": "a long instruction that has many tokens"]))  // -32006
        serve.send(#"{"jsonrpc":"2.0","id":21,"method":"session.ping","params":[1]}"#)   // -32602 params not an object
        serve.send(RPC.request(22, "session.ping", ["session": "strict"]))
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        let byID = Dictionary(lines.compactMap { line in line["id"]?.intValue.map { ($0, line) } }, uniquingKeysWith: { a, _ in a })
        let nullIDErrors = lines.filter { $0["id"] == .null }.map { $0.errorCode }
        #expect(nullIDErrors == [-32700, -32700, -32600])
        #expect(lines[1]["error"]?["message"]?.stringValue?.hasPrefix("line 2:") == true)
        #expect(lines[2]["error"]?["message"]?.stringValue?.contains("invalid UTF-8") == true)
        let expected: [Int: Int] = [
            5: -32600, 6: -32601, 7: -32602, 8: -32602, 9: -32001, 10: -32004, 11: -32003, 12: -32007, 13: -32008,
            14: -32009, 16: -32002, 18: -32005, 20: -32006, 21: -32602,
        ]
        for (id, code) in expected { #expect(byID[id]?.errorCode == code, "id \(id): \(String(describing: byID[id]))") }
        #expect(byID[7]?["error"]?["message"]?.stringValue?.contains("\"text\"") == true)
        #expect(byID[8]?["error"]?["message"]?.stringValue?.contains("got number") == true)
        for id in [1, 15, 17, 19, 22] { #expect(byID[id]?.result != nil, "id \(id)") }
    }

    @Test func tenThousandGarbageLinesThenValidRequestsSucceed() throws {
        let serve = try ServeProcess()
        var generator = SystemRandomNumberGenerator()
        var garbage = Data()
        var answered = [Int]()  // the garbage lines that must be answered: all but the blank ones
        for index in 0 ..< 10_000 {
            var line: [UInt8]
            // Garbage must not be a JSON object by chance: `{"jsonrpc":"2.0","id":` + "2}" is a
            // request with an id and no method (it happened once in CI: line 9430 got id 2).
            repeat {
                line = (0 ..< Int.random(in: 0 ... 80, using: &generator)).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
                line.removeAll { $0 == 0x0A }
                if index % 7 == 0 { line = Array(#"{"jsonrpc":"2.0","id":"#.utf8) + line }
            } while (try? JSONSerialization.jsonObject(with: Data(line), options: [.fragmentsAllowed])) is [String: Any]
            garbage.append(contentsOf: line)
            garbage.append(0x0A)
            // Blank (spaces, tabs, CR only) lines are ignored (docs/protocol.md).
            if !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { answered.append(index + 1) }
        }
        serve.sendRaw(garbage)
        serve.send(RPC.open(1, session: "after"))
        serve.send(RPC.request(2, "turn.append", ["session": "after", "role": "user", "text": "still here"]))
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        // Exactly one answer per line, in input order: one error for each garbage line that is not
        // blank, then the two results.
        #expect(lines.count == answered.count + 2)
        #expect(lines.filter { $0["error"] != nil }.count == answered.count)
        #expect(lines.filter { $0.result != nil }.map { $0["id"]?.intValue } == [1, 2])
        #expect(lines.suffix(2).map { $0["id"]?.intValue } == [1, 2])
        // No garbage line carries an id the parser could trust, so each error has id null and names
        // its line (in the message; -32700 also in `data.line`).
        for (number, answer) in zip(answered, lines) {
            let code = answer.errorCode
            guard answer["id"] == .null, code == -32700 || code == -32600,
                answer["error"]?["message"]?.stringValue?.hasPrefix("line \(number):") == true,
                code != -32700 || answer["error"]?["data"]?["line"]?.intValue == number
            else {
                Issue.record("garbage line \(number) got \(JSONWriter.string(answer))")
                break
            }
        }
    }

    @Test func overlongLinesAreSkippedWithoutBeingHeld() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("tb-long-\(UUID()).jsonl")
        var data = Data(RPC.open(1, session: "l").utf8 + [0x0A])
        data.append(Data(#"{"jsonrpc":"2.0","id":2,"method":"turn.append","params":{"session":"l","role":"user","text":""#.utf8))
        data.append(Data(repeating: UInt8(ascii: "a"), count: 50 * 1024 * 1024))  // a 50 MB line
        data.append(Data(#""}}"#.utf8 + [0x0A]))
        data.append(Data(RPC.request(3, "session.ping", ["session": "l"]).utf8 + [0x0A]))
        try data.write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let serve = try ServeProcess(["serve", "--store", "none", "--max-line-bytes", "1048576"], stdinFile: file)
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count == 3)
        #expect(lines[1]["id"] == .null && lines[1].errorCode == -32600)
        #expect(lines[1]["error"]?["message"]?.stringValue?.contains("line 2") == true)
        #expect(lines[2]["id"]?.intValue == 3 && lines[2].result != nil)
    }

    @Test func eofMidLineStillAnswersTheLastRequest() throws {
        let serve = try ServeProcess()
        serve.send(RPC.open(1, session: "m"))
        serve.sendRaw(Data(RPC.request(2, "session.ping", ["session": "m"]).utf8))  // no newline
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.map { $0["id"]?.intValue } == [1, 2])

        let truncated = try ServeProcess()
        truncated.send(RPC.open(1, session: "m"))
        truncated.sendRaw(Data(#"{"jsonrpc":"2.0","id":2,"meth"#.utf8))  // cut mid-object
        truncated.closeInput()
        let (status2, lines2, _) = truncated.finish()
        #expect(status2 == 0)
        #expect(lines2.count == 2 && lines2[1].errorCode == -32700)
    }

    @Test func sigtermFinishesAcceptedWorkAndExitsZero() throws {
        let serve = try ServeProcess()
        for id in 1 ... 50 {
            serve.send(id == 1 ? RPC.open(1, session: "t") : RPC.request(id, "turn.append", ["session": "t", "role": "user", "text": .string("turn \(id)")]))
        }
        let seen = serve.waitForLines(50)
        #expect(seen.count == 50)
        serve.sendRaw(Data(#"{"jsonrpc":"2.0","id":99"#.utf8))  // a partial line: never accepted
        usleep(50_000)
        kill(serve.process.processIdentifier, SIGTERM)
        let (status, lines, _) = serve.finish(seconds: 10)
        #expect(status == 0)
        #expect(lines.count == 50)
        #expect(lines.map { $0["id"]!.intValue! } == Array(1 ... 50))
    }

    @Test func closedStdoutEndsWithTheDocumentedCode() throws {
        let serve = try ServeProcess(readOutput: false)
        try serve.output.fileHandleForReading.close()
        for id in 1 ... 200 { serve.send(RPC.open(id, session: "x\(id)")) }
        let (status, _, _) = serve.finish(seconds: 20)
        #expect(status == 3)
    }

    @Test func idleSessionsAreAbandonedWithANotification() throws {
        let serve = try ServeProcess(["serve", "--store", "none", "--idle-timeout", "0.3"])
        serve.send(RPC.open(1, session: "idle"))
        let lines = serve.waitForLines(2, seconds: 10)
        serve.send(RPC.request(2, "session.ping", ["session": "idle"]))
        serve.closeInput()
        let (status, all, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count >= 2)
        let notification = try #require(all.first { $0["method"] != nil })
        #expect(notification["method"]?.stringValue == "session.abandoned")
        #expect(notification["id"] == nil)
        #expect(notification["params"]?["session"]?.stringValue == "idle")
        #expect(all.last?.errorCode == -32002)
    }

    @Test func slowReaderLosesNothingAndKeepsOrder() throws {
        let serve = try ServeProcess(readOutput: false)
        let count = 3_000
        let big = String(repeating: "x", count: 400)
        Thread.detachNewThread {
            serve.send(RPC.open(0, session: "slow"))
            for id in 1 ... count {
                serve.send(RPC.request(id, "context.snapshot", ["session": "slow"]))
                _ = big
            }
            serve.closeInput()
        }
        // Read slowly: small reads with pauses, while the engine produces ~3 MB.
        let handle = serve.output.fileHandleForReading
        var data = Data()
        while true {
            let chunk = try handle.read(upToCount: 4096) ?? Data()
            if chunk.isEmpty { break }
            data.append(chunk)
            if data.count % 16 == 0 { usleep(200) }
        }
        let (status, _, _) = serve.finish()
        #expect(status == 0)
        let ids = data.split(separator: 0x0A).map { try! JSONParser.parse([UInt8]($0))["id"]!.intValue! }
        #expect(ids == Array(0 ... count))
    }
}
