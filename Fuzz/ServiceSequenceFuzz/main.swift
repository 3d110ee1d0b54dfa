// libFuzzer target for the service behind `serve`: the fuzzer's bytes choose a sequence of valid
// requests over three sessions (one with a provider), fed to `EngineService` in process, as the
// server does, in batches the bytes also choose. Built and run by scripts/fuzz-service-sequence.sh
// (ENABLE_FUZZ=1, -sanitize=fuzzer,address).
//
// Oracles, beyond "no crash, no sanitizer report" (a trap is a crash): every request is answered
// exactly once, in order, with its id; and the same sequence with bad requests inserted between
// the valid ones (mistyped and out-of-range parameters, a policy overhead near Int64.max, ids that
// cannot be echoed, duplicate keys, garbage) gives every valid request the same answer, byte for
// byte, while each bad one gets an error.
import EngineServer
import Foundation
import JSONWire

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

struct Line {
    var text: [UInt8]
    var id: JSONValue
    var bad: Bool
}

/// Valid requests from the bytes; a byte with the top bit set also asks for a bad request there.
func sequence(_ input: UnsafeBufferPointer<UInt8>, withBad: Bool) -> [Line] {
    var position = 0
    func byte() -> UInt8 {
        defer { position += 1 }
        return position < input.count ? input[position] : 0
    }
    let sessions = ["s0", "s1", "p0"], words = ["solar", "price", "€9,000", "é😀", "roof", "\"q\"", "a\nb"]
    var lines = [Line]()
    var id = 0
    func request(_ method: String, _ params: JSONObject, bad: Bool = false) {
        id += 1
        let line = JSONWriter.string(["jsonrpc": "2.0", "id": .int(Int64(id)), "method": .string(method), "params": .object(params)])
        lines.append(Line(text: Array(line.utf8), id: .int(Int64(id)), bad: bad))
    }
    func raw(_ text: String) { lines.append(Line(text: Array(text.utf8), id: .null, bad: true)) }
    var opened = Set<String>()
    while position < input.count {
        let choice = byte()
        let session = sessions[Int(byte()) % sessions.count]
        let name = JSONValue.string(session)
        let text = JSONValue.string((0 ... Int(byte() % 4)).map { _ in words[Int(byte()) % words.count] }.joined(separator: " "))
        if choice & 0x80 != 0 && withBad {
            let max = JSONValue.int(.max)
            switch choice % 9 {
            case 0: request("turn.append", ["session": name, "role": "user", "text": 7], bad: true)
            case 1: request("turn.append", ["session": name, "role": "user", "text": text, "audioMs": max], bad: true)
            case 2: request("session.open", ["session": .string("bad\(id)"), "script": "x", "policy": ["overheadPerItem": max]], bad: true)
            case 3: request("session.open", ["session": .string("bad\(id)"), "script": "x", "window": max], bad: true)
            case 4: request("usage.report", ["session": name, "inputTokens": max], bad: true)
            case 5: raw(#"{"jsonrpc":"2.0","id":1e400,"method":"session.close","params":{"session":"s0"}}"#)
            case 6: raw(#"{"jsonrpc":"2.0","id":1,"method":"session.close","params":{"session":"s0","session":"s1"}}"#)
            case 7: request("session.open", ["session": .string("bad\(id)"), "scriptFile": "/etc/passwd"], bad: true)
            default: raw("{garbage")
            }
        }
        if !opened.contains(session) {
            opened.insert(session)
            var params: JSONObject = ["session": name, "script": "You sell solar panels.", "window": 200]
            if session.hasPrefix("p") { params["provider"] = "gemini-live"; params["window"] = 600 }
            request("session.open", params)
            continue
        }
        switch choice & 0x7F % 12 {
        case 0, 1, 2: request("turn.append", ["session": name, "role": choice % 2 == 0 ? "user" : "model", "text": text,
                                              "final": .bool(choice % 3 != 0)])
        case 3: request("instruction.push", ["session": name, "text": text])
        case 4: request("client.speechStarted", ["session": name])
        case 5: request("model.turnComplete", ["session": name])
        case 6: request("summary.set", ["session": name, "text": choice % 5 == 0 ? .null : text])
        case 7: request("context.snapshot", ["session": name])
        case 8: request("resume.update", ["session": name, "handle": .string("h\(id)")])
        case 9: request("resume.goAway", ["session": name, "timeLeftMs": .int(Int64(choice) * 100)])
        case 10: request("usage.report", ["session": name, "inputTokens": .int(Int64(byte()) * 4)])
        default: request("session.ping", ["session": name])
        }
    }
    return lines
}

func run(_ lines: [Line], batchBytes: UInt8) -> [[UInt8]] {
    let service = EngineService(monotonicNow: { 1_000 }, wallNow: { 1_800_000_000 })
    var answers = [[UInt8]]()
    var index = 0
    let batch = Int(batchBytes % 8) + 1
    while index < lines.count {
        service.beginBatch()
        let end = min(lines.count, index + batch)
        for number in index ..< end { lines[number].text.withUnsafeBufferPointer { service.receive($0, number: number + 1) } }
        answers += service.endBatch()
        index = end
    }
    return answers
}

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: min(size, 600))
    // The oracle run is the same lines without the bad ones (same ids, same bytes).
    let mixed = sequence(input, withBad: true), good = mixed.filter { !$0.bad }
    precondition(good.count == sequence(input, withBad: false).count)
    let goodAnswers = run(good, batchBytes: input[0]), mixedAnswers = run(mixed, batchBytes: input[input.count - 1])
    precondition(goodAnswers.count == good.count, "\(good.count) requests, \(goodAnswers.count) answers")
    precondition(mixedAnswers.count == mixed.count, "\(mixed.count) lines, \(mixedAnswers.count) answers")
    for (line, answer) in zip(mixed, mixedAnswers) {
        guard let parsed = try? JSONParser.parse(answer) else { preconditionFailure("an answer is not JSON") }
        precondition(parsed["id"] == line.id, "answer out of order: \(String(decoding: answer, as: UTF8.self))")
        if line.bad { precondition(parsed["error"] != nil, "a bad request succeeded: \(String(decoding: answer, as: UTF8.self))") }
    }
    let kept = zip(mixed, mixedAnswers).filter { !$0.0.bad }.map(\.1)
    precondition(kept.count == goodAnswers.count)
    for (a, b) in zip(kept, goodAnswers) where a != b {
        preconditionFailure("a bad request changed an answer: \(String(decoding: a, as: UTF8.self)) vs \(String(decoding: b, as: UTF8.self))")
    }
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, { data, size in fuzzOneInput(data, size) }))
