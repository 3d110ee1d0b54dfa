import Foundation
import JSONWire
import Testing

/// The built `tokenbudget` executable, run as a child process on real pipes.
final class ServeProcess: @unchecked Sendable {
    static let executable: URL = {
        if let path = ProcessInfo.processInfo.environment["TOKENBUDGET_BIN"] { return URL(fileURLWithPath: path) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/tokenbudget")
    }()

    let process = Process()
    let input = Pipe()
    let output = Pipe()
    let errors = Pipe()
    private let lock = NSLock()
    private var collected = Data()
    private var outputDone = DispatchSemaphore(value: 0)
    private var readerStarted = false

    /// - Parameter stdinFile: a regular file to use as stdin instead of a pipe.
    /// - Parameter directory: the child's working directory (default: the runner's).
    init(_ arguments: [String] = ["serve", "--store", "none"], stdinFile: URL? = nil, readOutput: Bool = true,
         directory: URL? = nil) throws {
        signal(SIGPIPE, SIG_IGN)  // writing to a killed child must fail, not kill the test runner
        precondition(FileManager.default.isExecutableFile(atPath: Self.executable.path),
                     "build first: \(Self.executable.path) is missing (swift build)")
        process.executableURL = Self.executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let stdinFile {
            process.standardInput = try FileHandle(forReadingFrom: stdinFile)
        } else {
            process.standardInput = input
        }
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        if readOutput { startReader() }
    }

    private func startReader() {
        readerStarted = true
        let handle = output.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                lock.lock()
                collected.append(data)
                lock.unlock()
            }
            outputDone.signal()
        }
    }

    /// Writes to the child's stdin; a child that is gone (killed) makes this a no-op, not a crash.
    func send(_ line: String) { sendRaw(Data((line + "\n").utf8)) }
    func sendRaw(_ bytes: Data) { try? input.fileHandleForWriting.write(contentsOf: bytes) }
    func closeInput() { try? input.fileHandleForWriting.close() }

    /// Output lines so far, parsed: the complete ones (a line still being written is left for later;
    /// parsing it half-written crashed the test run).
    func lines() -> [JSONValue] {
        lock.lock()
        var data = collected
        lock.unlock()
        if let end = data.lastIndex(of: 0x0A) { data = data[..<end] } else { data = Data() }
        return data.split(separator: 0x0A).map { try! JSONParser.parse([UInt8]($0)) }
    }

    /// Waits until at least `count` output lines arrived (or `seconds` pass).
    func waitForLines(_ count: Int, seconds: Double = 30) -> [JSONValue] {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let current = lines()
            if current.count >= count { return current }
            usleep(5_000)
        }
        return lines()
    }

    /// Waits for exit (killing the child after `seconds`); returns its status and all output lines.
    func finish(seconds: Double = 60) -> (status: Int32, lines: [JSONValue], stderr: String) {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            process.terminate()
            Issue.record("serve did not exit within \(seconds) s")
        }
        process.waitUntilExit()
        if readerStarted { _ = outputDone.wait(timeout: .now() + 10) }
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, lines(), stderr)
    }
}

/// Builders for request lines.
enum RPC {
    static func request(_ id: Int, _ method: String, _ params: JSONValue) -> String {
        JSONWriter.string(["jsonrpc": "2.0", "id": .int(Int64(id)), "method": .string(method), "params": params])
    }

    static func open(_ id: Int, session: String, script: String = "You sell solar panels. Be brief.",
                     extra: JSONObject = [:]) -> String {
        var params: JSONObject = ["session": .string(session), "script": .string(script)]
        for member in extra.members { params[member.key] = member.value }
        return request(id, "session.open", .object(params))
    }
}

extension JSONValue {
    var errorCode: Int? { self["error"]?["code"]?.intValue }
    var result: JSONValue? { self["result"] }
}
