import Foundation
import JSONWire
import Testing

/// The isolation property of `RequestIsolationTests`, once on the real binary and real pipes (issue
/// 15): a seeded sequence of valid and bad requests over three sessions, then the same sequence
/// without the bad ones, each through its own `serve`. Every line is answered exactly once, in order,
/// with its id; each good request's answer is byte for byte the same in both runs. Methods whose
/// answers carry wall-clock times (`session.get`, `session.close` figures) are left out: two
/// processes cannot agree on the clock.
@Suite struct RequestIsolationEndToEndTests {
    struct Line {
        var bytes: Data
        var answerID: JSONValue
        var bad: Bool
    }

    static func sequence(seed: UInt64, count: Int) -> [Line] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        let sessions = ["a", "b", "c"], words = ["solar", "price", "roof", "é😀", "ok\"", "tab\t"]
        var lines = [Line]()
        var opened = Set<String>()
        var id = 0
        func request(_ method: String, _ params: JSONObject, bad: Bool = false, crlf: Bool = false) {
            id += 1
            let text = RPC.request(id, method, .object(params)) + (crlf ? "\r\n" : "\n")
            lines.append(Line(bytes: Data(text.utf8), answerID: .int(Int64(id)), bad: bad))
        }
        func raw(_ bytes: Data) { lines.append(Line(bytes: bytes + Data([0x0A]), answerID: .null, bad: true)) }
        for _ in 0 ..< count {
            let roll = next()
            let session = sessions[Int(roll >> 8) % sessions.count]
            let name = JSONValue.string(session)
            let text = JSONValue.string((0 ... (roll >> 16) % 4).map { _ in words[Int(next() % 6)] }.joined(separator: " "))
            if roll % 5 == 0 {
                switch (roll >> 20) % 10 {
                case 0: raw(Data((0 ..< 40).map { _ in UInt8(truncatingIfNeeded: next() | 0x80) }))  // not UTF-8
                case 1: raw(Data(repeating: UInt8(ascii: "x"), count: 5_000))                      // over the limit
                case 2: raw(Data(#"{"jsonrpc":"2.0","id":1e400,"method":"session.close","params":{"session":"a"}}"#.utf8))
                case 3: raw(Data(#"{"jsonrpc":"2.0","id":3,"method":"turn.append","params":{"session":"a","role":"user","text":"x","role":"model"}}"#.utf8))
                case 4: request("turn.append", ["session": name, "role": "user", "text": text, "audioMs": .int(.max)], bad: true)
                case 5: request("session.open", ["session": .string("x\(id)"), "script": "s", "policy": ["overheadPerItem": .int(.max - 7)]], bad: true)
                case 6: request("session.open", ["session": .string("x\(id)"), "scriptFile": "/etc/passwd"], bad: true)
                case 7: request("instruction.push", ["session": name, "text": ["nested": true]], bad: true)
                case 8: request("session.open", ["session": .string("x\(id)"), "script": "s", "window": .int(.max)], bad: true)
                default: request("no.such", ["session": name], bad: true)
                }
                continue
            }
            if !opened.contains(session) {
                opened.insert(session)
                request("session.open", ["session": name, "script": "You sell solar panels.", "window": 300, "policy": "keep-last-n"])
                continue
            }
            let crlf = roll % 7 == 0
            switch (roll >> 24) % 9 {
            case 0, 1, 2: request("turn.append", ["session": name, "role": roll % 2 == 0 ? "user" : "model", "text": text, "final": .bool(roll % 3 != 0)], crlf: crlf)
            case 3: request("instruction.push", ["session": name, "text": text], crlf: crlf)
            case 4: request("client.speechStarted", ["session": name])
            case 5: request("model.turnComplete", ["session": name])
            case 6: request("summary.set", ["session": name, "text": text])
            case 7: request("context.snapshot", ["session": name])
            default: request("session.ping", ["session": name])
            }
        }
        return lines
    }

    static func serve(_ lines: [Line]) throws -> [Data] {
        let serve = try ServeProcess(["serve", "--store", "none", "--max-line-bytes", "4096"])
        var joined = Data()
        for line in lines { joined.append(line.bytes) }
        let all = joined
        // A writer thread: the answers are read while the requests are still being written.
        Thread.detachNewThread {
            serve.sendRaw(all)
            serve.closeInput()
        }
        let (status, parsed, stderr) = serve.finish()
        #expect(status == 0, "\(stderr)")
        return parsed.map { Data(JSONWriter.string($0).utf8) }
    }

    @Test func badRequestsChangeNoOtherAnswerOnTheBinary() throws {
        let full = Self.sequence(seed: 15, count: 1_500)
        let good = full.filter { !$0.bad }
        #expect(full.count - good.count > 200)
        let fullAnswers = try Self.serve(full), goodAnswers = try Self.serve(good)
        #expect(fullAnswers.count == full.count)
        #expect(goodAnswers.count == good.count)
        guard fullAnswers.count == full.count, goodAnswers.count == good.count else { return }
        for (line, answer) in zip(full, fullAnswers) {
            let parsed = try JSONParser.parse([UInt8](answer))
            #expect(parsed["id"] == line.answerID, "\(String(decoding: answer, as: UTF8.self))")
            if line.bad { #expect(parsed["error"] != nil, "a bad request succeeded: \(String(decoding: answer, as: UTF8.self))") }
        }
        let withBad = zip(full, fullAnswers).filter { !$0.0.bad }.map(\.1)
        var differences = 0
        for (a, b) in zip(withBad, goodAnswers) where a != b {
            differences += 1
            if differences <= 3 { Issue.record("\(String(decoding: a, as: UTF8.self)) != \(String(decoding: b, as: UTF8.self))") }
        }
        #expect(differences == 0)
        // Not vacuous: the sessions lived and evicted.
        let changed = goodAnswers.filter { String(decoding: $0, as: UTF8.self).contains("\"delta\"") }.count
        #expect(changed > 300)
        #expect(goodAnswers.contains { String(decoding: $0, as: UTF8.self).contains("\"evicted\"") })
    }
}
