import Foundation
import JSONWire
import Testing

/// Issue 15 (#14): an operator's mistakes on the command line, and wire details (BOM, ids, CRLF,
/// SIGTERM with a stalled reader), each answered with a clear message instead of a raw error, a
/// wrong answer or a hang.
@Suite struct RoughEdgesTests {
    private static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-hostile-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    // MARK: - #14 rough edges: the command line

    @Test func aBareStoreFileNameOpensInTheWorkingDirectory() throws {
        let base = try Self.folder()
        defer { try? FileManager.default.removeItem(at: base) }
        let serve = try ServeProcess(["serve", "--store", "s.db"], directory: base)
        serve.send(RPC.open(1, session: "a"))
        serve.closeInput()
        let (status, lines, stderr) = serve.finish()
        #expect(status == 0, "\(stderr)")
        #expect(lines.first?.result != nil)
        #expect(FileManager.default.fileExists(atPath: base.appendingPathComponent("s.db").path))
    }

    @Test(arguments: [
        (["--encoding", "bogus"], "unknown encoding \"bogus\""),
        (["--idle-timeout", "-1"], "--idle-timeout must be positive"),
        (["--max-line-bytes", "-5"], "--max-line-bytes must be in"),
        (["--lease-seconds", "-1"], "--lease-seconds must be positive"),
        (["--handle-validity", "1e300"], "--handle-validity must be positive"),
        (["--max-line-bytes", "9223372036854775807"], "--max-line-bytes must be in"),
        (["--sqlite-cache-mib", "0"], "--sqlite-cache-mib must be in 1...4096"),
    ])
    func badOptionsAreRefusedAtStartSayingWhy(_ options: [String], _ message: String) throws {
        let serve = try ServeProcess(["serve", "--store", "none"] + options)
        serve.closeInput()
        let (status, _, stderr) = serve.finish()
        #expect(status == 64, "\(options): \(stderr)")
        #expect(stderr.contains(message), "\(options): \(stderr)")
        #expect(!stderr.contains("Missing value"), "\(options): \(stderr)")
    }

    // MARK: - #14 rough edges: the wire

    @Test func aByteOrderMarkBeforeTheFirstLineIsSkipped() throws {
        let serve = try ServeProcess()
        serve.sendRaw(Data([0xEF, 0xBB, 0xBF]) + Data((RPC.open(1, session: "a") + "\n").utf8))
        serve.sendRaw(Data([0xEF, 0xBB, 0xBF]) + Data((RPC.request(2, "session.ping", ["session": "a"]) + "\n").utf8))
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count == 2)
        #expect(lines.first?.result?["status"] == "active", "\(lines)")
        // Only the first line may carry one; later a BOM is not JSON.
        #expect(lines.last?.errorCode == -32700)
    }

    /// An id the answer could not echo as sent is refused before the request runs.
    @Test func idsThatCannotBeEchoedAreRefusedBeforeRunning() throws {
        let serve = try ServeProcess()
        serve.send(#"{"jsonrpc":"2.0","id":1e400,"method":"session.open","params":{"session":"a","script":"x"}}"#)
        serve.send(#"{"jsonrpc":"2.0","id":12345678901234567890,"method":"session.open","params":{"session":"a","script":"x"}}"#)
        serve.send(#"{"jsonrpc":"2.0","id":1.5,"method":"session.open","params":{"session":"a","script":"x"}}"#)
        serve.send(#"{"jsonrpc":"2.0","id":9223372036854775807,"method":"session.open","params":{"session":"a","script":"x"}}"#)
        serve.send(#"{"jsonrpc":"2.0","id":-9223372036854775808,"method":"session.ping","params":{"session":"a"}}"#)
        serve.send(#"{"jsonrpc":"2.0","id":"12345678901234567890","method":"session.ping","params":{"session":"a"}}"#)
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count == 6)
        guard lines.count == 6 else { return }
        // 1e400 is no number JSON can carry back (infinity): the line is not read (-32700).
        for index in 0 ..< 3 {
            #expect(lines[index].errorCode == (index == 0 ? -32700 : -32600), "\(lines[index])")
            #expect(lines[index]["id"] == .null)
        }
        // None of them ran: the open with a representable id is the first to open "a".
        #expect(lines[3]["id"] == .int(.max) && lines[3].result?["status"] == "active", "\(lines[3])")
        #expect(lines[4]["id"] == .int(.min) && lines[4].result != nil)
        #expect(lines[5]["id"] == "12345678901234567890" && lines[5].result != nil)
    }

    /// `--max-line-bytes` counts a line's bytes without its terminator, CRLF as well as LF.
    @Test func theCROfCRLFDoesNotCountTowardTheLineLimit() throws {
        let limit = 200
        let serve = try ServeProcess(["serve", "--store", "none", "--max-line-bytes", String(limit)])
        func line(id: Int, length: Int) -> String {
            let head = RPC.open(id, session: "s\(id)", script: "")
            let padding = length - head.utf8.count
            return String(head.dropLast()) + ",\"pad\":\"" + String(repeating: "x", count: padding - 9) + "\"}"
        }
        let exact = line(id: 1, length: limit), over = line(id: 2, length: limit + 1)
        #expect(exact.utf8.count == limit && over.utf8.count == limit + 1)
        serve.sendRaw(Data((exact + "\r\n").utf8))  // accepted with LF or CRLF alike
        serve.sendRaw(Data((over + "\r\n").utf8))   // over the limit either way
        serve.sendRaw(Data((line(id: 3, length: limit) + "\n").utf8))
        serve.sendRaw(Data((over + "\n").utf8))
        serve.sendRaw(Data(line(id: 5, length: limit).utf8) + Data([0x0D]))  // unterminated last line with its CR
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count == 5)
        guard lines.count == 5 else { return }
        // The opens fail on "pad" being unknown? No: open ignores unknown params; the script is empty.
        #expect(lines[0]["id"] == 1 && lines[0].errorCode != -32600, "\(lines[0])")
        #expect(lines[1].errorCode == -32600 && lines[1]["id"] == .null)
        // The size reported is the line's, without its terminator, CRLF or LF (it counted the CR).
        #expect(lines[1]["error"]?["message"]?.stringValue?.contains("\(limit + 1) bytes") == true, "\(lines[1])")
        #expect(lines[2]["id"] == 3 && lines[2].errorCode != -32600)
        #expect(lines[3].errorCode == -32600)
        #expect(lines[3]["error"]?["message"]?.stringValue?.contains("\(limit + 1) bytes") == true, "\(lines[3])")
        #expect(lines[4]["id"] == 5 && lines[4].errorCode != -32600, "\(lines[4])")
    }

    /// SIGTERM while the reader has stopped reading: the final flush is bounded (5 s without
    /// progress), then the engine exits 5 instead of blocking in write(2) forever.
    @Test func sigtermWithAStalledReaderExitsWithinTheGracePeriod() throws {
        let serve = try ServeProcess(readOutput: false)
        serve.send(RPC.open(1, session: "a", script: String(repeating: "You sell solar panels. ", count: 400)))
        // Each snapshot answer is ~10 KB: 300 of them overflow the 64 KiB pipe many times over.
        for id in 2 ..< 300 { serve.send(RPC.request(id, "context.snapshot", ["session": "a"])) }
        usleep(1_500_000)  // the engine is now blocked writing
        let start = Date()
        serve.process.terminate()
        let deadline = Date().addingTimeInterval(30)
        while serve.process.isRunning && Date() < deadline { usleep(20_000) }
        let stillRunning = serve.process.isRunning
        if stillRunning { kill(serve.process.processIdentifier, SIGKILL) }
        serve.process.waitUntilExit()
        let elapsed = Date().timeIntervalSince(start)
        #expect(!stillRunning, "serve ignored SIGTERM with a stalled reader")
        #expect(serve.process.terminationStatus == 5)
        #expect(elapsed >= 4 && elapsed < 15, "exited after \(elapsed) s")
    }
}
