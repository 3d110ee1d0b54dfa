import Foundation
import JSONWire
import Testing

/// Issue 15, finding 8, on the real `serve` process: ended calls leave memory (with a store they are
/// read again on demand; without one only a tombstone of id and status stays), and a long call's
/// memory does not grow with its turns when its context does not. RSS is read from /proc.
@Suite(.serialized) struct BoundedMemoryTests {
    /// `serve` on pipes, counting answer lines without keeping them.
    final class Counted: @unchecked Sendable {
        let process = Process()
        let input = Pipe()
        let output = Pipe()
        private let lock = NSLock()
        private var lineCount = 0
        private var errorLines = 0
        private var tail = Data()

        init(_ arguments: [String]) throws {
            process.executableURL = ServeProcess.executable
            process.arguments = arguments
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            let handle = output.fileHandleForReading
            Thread.detachNewThread { [self] in
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    let newlines = data.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
                    let errors = data.count > 9 ? Self.occurrences(of: Array(#""error":"#.utf8), in: data) : 0
                    lock.lock()
                    lineCount += newlines
                    errorLines += errors
                    lock.unlock()
                }
            }
        }

        static func occurrences(of needle: [UInt8], in data: Data) -> Int {
            var count = 0
            let bytes = [UInt8](data)
            var index = 0
            while index + needle.count <= bytes.count {
                if bytes[index] == needle[0] && Array(bytes[index ..< index + needle.count]) == needle {
                    count += 1
                    index += needle.count
                } else {
                    index += 1
                }
            }
            return count
        }

        func send(_ lines: [String]) {
            try? input.fileHandleForWriting.write(contentsOf: Data((lines.joined(separator: "\n") + "\n").utf8))
        }

        /// Waits until `count` answers arrived; the number of error answers so far.
        @discardableResult
        func wait(_ count: Int, seconds: Double = 300) -> Int {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                lock.lock()
                let (lines, errors) = (lineCount, errorLines)
                lock.unlock()
                if lines >= count { return errors }
                usleep(2_000)
            }
            Issue.record("only \(lineCount) of \(count) answers")
            return errorLines
        }

        /// VmRSS of the process, in KiB.
        var residentKiB: Int {
            let status = (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }

        func finish() {
            try? input.fileHandleForWriting.close()
            process.waitUntilExit()
        }
    }

    /// 16,000 calls (open, two turns, close) after 2,000 to warm up: before, each ended call stayed
    /// in memory (~3 KB each: +50 MB here); now only its tombstone does (id and status), and with
    /// SQLite nothing but what the page cache holds (2 MiB by default; with the earlier 64 MiB cache
    /// RSS grew by 16 MB over these calls). Bound: 6 MB.
    @Test(arguments: ["none", "sqlite"])
    func endedCallsLeaveMemory(store: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-bounded-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let serve = try Counted(["serve", "--store", store == "none" ? "none" : folder.appendingPathComponent("s.db").path])
        var sent = 0
        func calls(_ range: Range<Int>) -> Int {
            for start in stride(from: range.lowerBound, to: range.upperBound, by: 500) {
                var lines = [String]()
                for call in start ..< min(range.upperBound, start + 500) {
                    let session = JSONValue.string("call-\(call)")
                    lines.append(RPC.open(4 * call, session: "call-\(call)"))
                    lines.append(RPC.request(4 * call + 1, "turn.append", ["session": session, "role": "user", "text": "How much is it for 120 square metres?"]))
                    lines.append(RPC.request(4 * call + 2, "turn.append", ["session": session, "role": "model", "text": "About nine thousand euros, installed."]))
                    lines.append(RPC.request(4 * call + 3, "session.close", ["session": session, "status": "resolved"]))
                }
                serve.send(lines)
                sent += lines.count
                serve.wait(sent)
            }
            return serve.wait(sent)
        }
        #expect(calls(0 ..< 2_000) == 0)
        let before = serve.residentKiB
        #expect(calls(2_000 ..< 18_000) == 0)
        let after = serve.residentKiB
        // The ended calls still answer: their status, and their ids are not reused.
        serve.send([
            RPC.request(-1, "session.get", ["session": "call-7"]),
            RPC.open(-2, session: "call-7"),
        ])
        let errors = serve.wait(sent + 2)
        serve.finish()
        #expect(errors == 1)
        #expect(after - before < 6 * 1024, "RSS \(before / 1024) → \(after / 1024) MiB over 16,000 ended calls (store \(store))")
    }

    /// One call of 100,000 turns whose context stays ~2,000 tokens (it evicts): before, every message
    /// id stayed in a map of the session (+8 MB here); bound: 2 MB of growth. Without a store, so that
    /// SQLite's page cache (bounded, filling as the file grows) is not what is measured.
    @Test func aLongCallDoesNotGrowWithItsTurns() throws {
        let serve = try Counted(["serve", "--store", "none"])
        serve.send([RPC.open(0, session: "long", extra: ["window": 2_000])])
        var sent = 1
        func turns(_ range: Range<Int>) -> Int {
            for start in stride(from: range.lowerBound, to: range.upperBound, by: 1_000) {
                var lines = [String]()
                for turn in start ..< min(range.upperBound, start + 1_000) {
                    lines.append(RPC.request(turn + 1, "turn.append", [
                        "session": "long", "role": turn % 2 == 0 ? "user" : "model",
                        "text": .string("turn \(turn): a sentence of about sixty bytes, give or take."),
                    ]))
                }
                serve.send(lines)
                sent += lines.count
                serve.wait(sent)
            }
            return serve.wait(sent)
        }
        #expect(turns(0 ..< 5_000) == 0)
        let before = serve.residentKiB
        #expect(turns(5_000 ..< 105_000) == 0)
        let after = serve.residentKiB
        serve.finish()
        #expect(after - before < 2 * 1024, "RSS \(before / 1024) → \(after / 1024) MiB over 100,000 turns")
    }
}
