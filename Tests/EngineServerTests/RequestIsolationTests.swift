import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing

/// A request sequence over a few sessions, drawn from a byte source: valid requests (every method,
/// sessions opened, used, closed, some with a provider) and, when `bad` is on, bad ones between them
/// (garbage, duplicate keys, ids that cannot be echoed, unknown methods, mistyped or out-of-range
/// parameters, a scriptFile outside any folder). A bad request must change nothing, so each good
/// answer must be the same with or without them.
struct RequestSequence {
    struct Line {
        var text: [UInt8]
        /// The id its answer must carry: its own, or null when it cannot be read (parse errors).
        var answerID: JSONValue
        var bad: Bool
    }

    var lines: [Line] = []
    private var nextID = 0
    private var opened: Set<String> = []

    static let sessions = ["s0", "s1", "s2", "p0"]
    static let words = ["solar", "panel", "price", "€9,000", "roof", "yes", "no", "é😀", "quote\"d", "line\nbreak"]

    /// - Parameter byte: the source (a seeded generator in tests, the fuzzer's input in the fuzz target).
    init(count: Int, bad: Bool, byte: () -> UInt8) {
        for _ in 0 ..< count {
            let choice = byte()
            if bad && choice % 4 == 0 { appendBad(byte()) } else { appendGood(byte, choice: byte()) }
        }
    }

    private mutating func request(_ method: String, _ params: JSONObject, bad: Bool = false) {
        nextID += 1
        let id = JSONValue.int(Int64(nextID))
        let line = JSONWriter.string(["jsonrpc": "2.0", "id": id, "method": .string(method), "params": .object(params)])
        lines.append(Line(text: Array(line.utf8), answerID: id, bad: bad))
    }

    private static func text(_ byte: () -> UInt8) -> String {
        (0 ..< Int(byte() % 6) + 1).map { _ in words[Int(byte()) % words.count] }.joined(separator: " ")
    }

    private mutating func appendGood(_ byte: () -> UInt8, choice: UInt8) {
        let session = Self.sessions[Int(byte()) % Self.sessions.count]
        let name = JSONValue.string(session)
        if !opened.contains(session) || choice % 29 == 0 {
            opened.insert(session)  // a second open of an id is a good request answered -32003
            var params: JSONObject = ["session": name, "script": "You sell solar panels. Be brief.", "window": 400]
            if session.hasPrefix("p") { params["provider"] = "openai-realtime"; params["window"] = 2_000 }
            if choice % 3 == 0 { params["policy"] = ["preset": "keep-last-n", "keepLast": 1, "overheadPerItem": 3] }
            request("session.open", params)
            return
        }
        switch choice % 16 {
        case 0, 1, 2, 3:
            var params: JSONObject = ["session": name, "role": choice % 2 == 0 ? "user" : "model", "text": .string(Self.text(byte))]
            if choice % 5 == 0 { params["final"] = false }
            if session.hasPrefix("p") { params["providerItemId"] = .string("item_\(nextID)") }
            request("turn.append", params)
        case 4: request("instruction.push", ["session": name, "text": .string(Self.text(byte))])
        case 5: request("client.speechStarted", ["session": name])
        case 6: request("model.turnComplete", ["session": name])
        case 7: request("summary.set", ["session": name, "text": choice % 3 == 0 ? .null : .string(Self.text(byte))])
        case 8: request("context.snapshot", ["session": name, "renderer": choice % 2 == 0 ? "openai" : "gemini"])
        case 9: request("session.ping", ["session": name])
        case 10: request("resume.update", ["session": name, "handle": .string("h-\(nextID)")])
        case 11: request("resume.goAway", ["session": name, "timeLeftMs": .int(Int64(byte()) * 100)])
        case 12: request("resume.connected", ["session": name])
        case 13: request("usage.report", ["session": name, "inputTokens": .int(Int64(byte()) * 3)])
        case 14: request("session.get", ["session": name])
        default:
            if choice % 64 == 15 && nextID > 300 { request("session.close", ["session": name]) } else { request("session.ping", ["session": name]) }
        }
    }

    private mutating func appendBad(_ kind: UInt8) {
        let session = JSONValue.string(Self.sessions[Int(kind / 16) % Self.sessions.count])
        let max = JSONValue.int(.max)
        func raw(_ text: String) { lines.append(Line(text: Array(text.utf8), answerID: .null, bad: true)) }
        switch kind % 14 {
        case 0: raw("{not json \(kind)")
        case 1: raw(#"{"jsonrpc":"2.0","id":7,"method":"turn.append","params":{"session":"s0","role":"user","text":"a","text":"b"}}"#)
        case 2: raw(#"{"jsonrpc":"2.0","id":1e400,"method":"session.close","params":{"session":"s0"}}"#)
        case 3: raw(#"{"jsonrpc":"2.0","id":12345678901234567890,"method":"turn.append","params":{"session":"s1","role":"user","text":"x"}}"#)
        case 4: request("no.such.method", ["session": session], bad: true)
        case 5: request("turn.append", ["session": session, "role": "user", "text": 5], bad: true)
        case 6: request("turn.append", ["session": session, "role": "robot", "text": "x"], bad: true)
        case 7: request("turn.append", ["session": session, "role": "user", "text": "x", "audioMs": max], bad: true)
        case 8: request("session.open", ["session": .string("bad-\(nextID)"), "script": "x", "policy": ["overheadPerItem": max]], bad: true)
        case 9: request("session.open", ["session": .string("bad-\(nextID)"), "script": "x", "window": max], bad: true)
        case 10: request("session.open", ["session": .string("bad-\(nextID)"), "scriptFile": "/etc/passwd"], bad: true)
        case 11: request("usage.report", ["session": session, "inputTokens": max], bad: true)
        case 12: request("resume.goAway", ["session": session, "timeLeftMs": max], bad: true)
        default: raw("[1,2,3]")
        }
    }

    var good: RequestSequence {
        var copy = self
        copy.lines.removeAll { $0.bad }
        return copy
    }
}

/// A seeded SplitMix64: the same seed, the same sequence, on every machine.
struct SplitMix64 {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next() >> 24) }
}

/// The property (issue 15): for random sequences of valid and invalid requests over several
/// sessions, the service never dies, answers every request exactly once and in order, and a bad
/// request never changes another request's answer: each good request gets, byte for byte, the answer
/// it gets when the bad requests are removed from the sequence (the oracle).
@Suite struct RequestIsolationTests {
    /// Runs `sequence` through a fresh service in random batches; the answers, in order.
    static func run(_ sequence: RequestSequence, store: SessionStore?, batches seed: UInt64) -> [[UInt8]] {
        let service = EngineService(store: store, monotonicNow: { 1_000 }, wallNow: { 1_800_000_000 })
        var random = SplitMix64(state: seed)
        var answers = [[UInt8]]()
        var index = 0
        while index < sequence.lines.count {
            service.beginBatch()
            let end = min(sequence.lines.count, index + 1 + Int(random.next() % 12))
            for number in index ..< end {
                sequence.lines[number].text.withUnsafeBufferPointer { service.receive($0, number: number + 1) }
            }
            answers += service.endBatch()
            index = end
        }
        return answers
    }

    static func check(seed: UInt64, store: () throws -> SessionStore?) throws {
        var random = SplitMix64(state: seed)
        let full = RequestSequence(count: 400, bad: true, byte: { random.byte() })
        let good = full.good
        #expect(full.lines.count > good.lines.count + 40, "seed \(seed): too few bad requests to say anything")
        let fullAnswers = run(full, store: try store(), batches: seed)
        let goodAnswers = run(good, store: try store(), batches: seed &+ 1)
        // Exactly once, in order: one answer per line, carrying that line's id.
        #expect(fullAnswers.count == full.lines.count, "seed \(seed)")
        #expect(goodAnswers.count == good.lines.count, "seed \(seed)")
        let parsed = fullAnswers.map { try? JSONParser.parse($0) }
        for (number, line) in full.lines.enumerated() where number < parsed.count {
            #expect(parsed[number]?["id"] == line.answerID, "seed \(seed), line \(number + 1): \(String(decoding: fullAnswers[number], as: UTF8.self))")
            if line.bad {
                #expect(parsed[number]?["error"] != nil, "seed \(seed), line \(number + 1) is bad but succeeded")
            }
        }
        // Isolation: the good requests' answers, with and without the bad ones between them.
        let withBad = zip(full.lines, fullAnswers).filter { !$0.0.bad }.map(\.1)
        #expect(withBad.count == goodAnswers.count)
        for (index, (a, b)) in zip(withBad, goodAnswers).enumerated() where a != b {
            Issue.record("seed \(seed), good request \(index + 1): \(String(decoding: a, as: UTF8.self)) != \(String(decoding: b, as: UTF8.self))")
            break
        }
        // Not vacuous: the good requests did change state and also met errors of their own.
        let goodParsed = goodAnswers.compactMap { try? JSONParser.parse($0) }
        #expect(goodParsed.filter { $0["result"]?["delta"] != nil }.count > 50, "seed \(seed)")
    }

    @Test(arguments: 1 ... 12 as ClosedRange<UInt64>)
    func badRequestsChangeNoOtherAnswerWithoutAStore(_ seed: UInt64) throws {
        try Self.check(seed: seed, store: { nil })
    }

    @Test(arguments: 101 ... 103 as ClosedRange<UInt64>)
    func badRequestsChangeNoOtherAnswerWithSQLite(_ seed: UInt64) throws {
        let folder = try TemporaryFolder()
        var count = 0
        try Self.check(seed: seed, store: {
            count += 1
            return try SQLiteSessionStore(path: folder.path("s\(count).db"))
        })
    }
}
