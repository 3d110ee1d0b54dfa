// Pipes a recorded load through the real `tokenbudget serve` process and reports events/s and
// latency percentiles for `turn.append` with 50–500-byte texts across 1,000 sessions.
//
//   swift build -c release && .build/release/ServeLoad [--binary PATH] [--sessions 1000]
//       [--events 200000] [--rate 1000 --latency-events 20000] [--serve-arg ARG …]
//
// Throughput mode sends everything as fast as the pipe takes it (the engine is the bottleneck).
// Latency mode paces requests at --rate per second and timestamps each response.
import Foundation

// MARK: Options
struct Options: Sendable {
    var binary = ".build/release/tokenbudget"
    var sessions = 1_000
    var events = 200_000
    var rate = 1_000.0
    var latencyEvents = 20_000
    var serveArguments = ["serve"]

    static func parse() -> Options {
        var options = Options()
        var arguments = Array(CommandLine.arguments.dropFirst())
        while !arguments.isEmpty {
            let flag = arguments.removeFirst()
            let value = arguments.isEmpty ? "" : arguments.removeFirst()
            switch flag {
            case "--binary": options.binary = value
            case "--sessions": options.sessions = Int(value)!
            case "--events": options.events = Int(value)!
            case "--rate": options.rate = Double(value)!
            case "--latency-events": options.latencyEvents = Int(value)!
            case "--serve-arg": options.serveArguments.append(value)
            default: fatalError("unknown option \(flag)")
            }
        }
        return options
    }
}

/// State shared with the reader thread.
final class Shared: @unchecked Sendable {
    let lock = NSLock()
    var received = 0
    var latencies: [Double] = []
    var sentAt: [UInt64] = []
}

let options = Options.parse()
let sessions = options.sessions
let events = options.events
let rate = options.rate
let latencyEvents = options.latencyEvents

// MARK: Texts: real utterances of 50–500 bytes
func loadTexts() -> [String] {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    var directories = [root.appendingPathComponent("fixtures/sessions")]
    let shared = root.deletingLastPathComponent().appendingPathComponent("shared/sessions")
    for set in ["persuasion4good", "xpersona_it", "sgd"] { directories.append(shared.appendingPathComponent(set)) }
    var texts = [String]()
    for directory in directories {
        for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] where file.hasSuffix(".jsonl") {
            guard let data = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path) else { continue }
            for line in data.split(separator: 0x0A) {
                guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any],
                      let text = object["text"] as? String else { continue }
                var sized = text
                while sized.utf8.count < 50 { sized += " " + text }
                while sized.utf8.count > 500 { sized = String(sized.prefix(sized.count * 4 / 5)) }
                texts.append(sized)
            }
        }
    }
    precondition(!texts.isEmpty, "no session texts found")
    return texts
}

func escape(_ text: String) -> String {
    let data = try! JSONSerialization.data(withJSONObject: [text])
    return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
}

let texts = loadTexts().map(escape)
let script = escape(String(repeating: "Follow the call flow; acknowledge, then ask one question. ", count: 30))

func openLines() -> [String] {
    (0 ..< sessions).map { index in
        #"{"jsonrpc":"2.0","id":"o\#(index)","method":"session.open","params":{"session":"s\#(index)","script":\#(script)}}"#
    }
}

func appendLine(_ index: Int) -> String {
    let session = index % sessions
    let role = (index / sessions) % 2 == 0 ? "user" : "model"
    return #"{"jsonrpc":"2.0","id":\#(index),"method":"turn.append","params":{"session":"s\#(session)","role":"\#(role)","text":\#(texts[index % texts.count])}}"#
}

// MARK: Process
func startServe() throws -> (Process, FileHandle, FileHandle) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: options.binary)
    process.arguments = options.serveArguments
    let input = Pipe(), output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    try process.run()
    return (process, input.fileHandleForWriting, output.fileHandleForReading)
}

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

// MARK: Throughput
do {
    var payload = Data()
    for line in openLines() { payload.append(contentsOf: (line + "\n").utf8) }
    let opens = payload.count
    for index in 0 ..< events { payload.append(contentsOf: (appendLine(index) + "\n").utf8) }
    let (process, input, output) = try startServe()
    let shared = Shared()
    let finished = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        while true {
            let chunk = output.availableData
            if chunk.isEmpty { break }
            let lines = chunk.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            shared.lock.lock()
            shared.received += lines
            shared.lock.unlock()
        }
        finished.signal()
    }
    func received() -> Int {
        shared.lock.lock()
        defer { shared.lock.unlock() }
        return shared.received
    }
    // Opening (and the one-time vocabulary load) is not part of the measured events.
    input.write(payload.prefix(opens))
    while received() < sessions { usleep(1_000) }
    let start = now()
    input.write(payload.dropFirst(opens))
    try input.close()
    process.waitUntilExit()
    finished.wait()
    let seconds = Double(now() - start) / 1e9
    let errorsCheck = received() == sessions + events ? "all answered" : "ANSWERED \(received()) of \(sessions + events)"
    print(String(format: "throughput: %d turn.append over %d sessions in %.3f s = %.0f events/s (%@; %.1f MB in)",
                 events, sessions, seconds, Double(events) / seconds, errorsCheck, Double(payload.count - opens) / 1e6))
}

// MARK: Latency at a fixed rate
do {
    let (process, input, output) = try startServe()
    let shared = Shared()
    let lock = shared.lock
    shared.sentAt = [UInt64](repeating: 0, count: latencyEvents)
    shared.latencies.reserveCapacity(latencyEvents)
    let done = DispatchSemaphore(value: 0)
    Thread.detachNewThread {
        var buffer = Data()
        while true {
            let chunk = output.availableData
            let arrived = now()
            if chunk.isEmpty { break }
            buffer.append(chunk)
            while let newline = buffer.firstIndex(of: 0x0A) {
                let line = buffer[buffer.startIndex ..< newline]
                buffer.removeSubrange(buffer.startIndex ... newline)
                // ids of turn.append are integers: `"id":123,`
                if let range = line.range(of: Data(#""id":"#.utf8)) {
                    let digits = line[range.upperBound...].prefix { $0 >= 0x30 && $0 <= 0x39 }
                    if let id = Int(String(decoding: digits, as: UTF8.self)) {
                        lock.lock()
                        shared.latencies.append(Double(arrived - shared.sentAt[id]) / 1e3)
                        lock.unlock()
                        continue
                    }
                }
            }
        }
        done.signal()
    }
    for line in openLines() { input.write(Data((line + "\n").utf8)) }
    usleep(500_000)
    let interval = UInt64(1e9 / rate)
    var next = now()
    for index in 0 ..< latencyEvents {
        // Sleep most of the gap: a spinning client would take one of the machine's two cores.
        while true {
            let current = now()
            if current >= next { break }
            if next - current > 150_000 { usleep(UInt32((next - current - 100_000) / 1_000)) }
        }
        let line = Data((appendLine(index) + "\n").utf8)
        lock.lock()
        shared.sentAt[index] = now()
        lock.unlock()
        input.write(line)
        next += interval
    }
    try input.close()
    process.waitUntilExit()
    done.wait()
    let sorted = shared.latencies.sorted()
    func percentile(_ p: Double) -> Double { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
    print(String(format: "latency at %.0f events/s over %d turn.append: p50 %.0f µs, p90 %.0f µs, p99 %.0f µs, max %.0f µs (%d answered)",
                 rate, latencyEvents, percentile(0.5), percentile(0.9), percentile(0.99), sorted.last ?? 0, sorted.count))
}
