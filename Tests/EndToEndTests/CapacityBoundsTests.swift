import Foundation
import JSONWire
import Testing

/// `capacity` and `replay` refuse numbers no call has, with a message, where they used to crash:
/// a negative `--instruction-tokens` trapped in `prefix`, `--user-tokens` near Int.max overflowed
/// a sum, 1e300 seconds or 1e-300 words a minute made a Double no Int holds, `--exchanges 1e11`
/// aborted allocating 6.4 TB, and a failed write to stdout was a fatal `try!` (audit).
@Suite struct CapacityBoundsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Runs the binary; its termination reason and status, and stderr. Stdout goes to `output`.
    static func run(_ arguments: [String], output: FileHandle? = nil) throws -> (signaled: Bool, status: Int32, err: String) {
        let process = Process()
        process.executableURL = ServeProcess.executable
        process.arguments = arguments
        process.currentDirectoryURL = root
        let stderr = Pipe()
        process.standardOutput = output ?? FileHandle.nullDevice
        process.standardError = stderr
        try process.run()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationReason == .uncaughtSignal, process.terminationStatus, String(decoding: err, as: UTF8.self))
    }

    static let session = "fixtures/sessions/xpersona_it-0001.jsonl", script = "fixtures/scripts/donation-agent.md"

    @Test(arguments: [
        (["capacity", "--user-tokens", "9223372036854775807"], "at most"),
        (["capacity", "--exchanges", "100000000000"], "--exchanges must be at most"),
        (["capacity", "--script-tokens=-100"], "positive"),
        (["capacity", "--provider", "gemini-live", "--user-seconds", "1e300"], "--user-seconds"),
        (["capacity", "--provider", "gemini-live", "--history-at=-5"], "--history-at must be at least 1"),
        (["capacity", "--provider", "gemini-live", "--model-seconds", "inf"], "--model-seconds"),
        (["replay", session, "--script", script, "--provider", "gemini-live", "--wpm", "1e-300"], "--wpm"),
        (["replay", session, "--script", script, "--instruction-every", "1", "--instruction-tokens=-1"], "--instruction-tokens"),
        (["replay", session, "--script", script, "--window", "0"], "--window must be"),
        (["replay", session, "--script", script, "--instruction-every", "0"], "--instruction-every must be at least 1"),
        // With both providers an empty or folder --plot wrote next to the folder (`../x-gemini-live.svg`).
        (["capacity", "--provider", "both", "--exchanges", "3", "--plot", ""], "names a folder or nothing"),
        (["capacity", "--provider", "both", "--exchanges", "3", "--plot", "fixtures"], "names a folder or nothing"),
        (["replay", session, "--script", script, "--provider", "both", "--plot", "fixtures/"], "names a folder or nothing"),
    ])
    func outOfRangeNumbersAreErrors(arguments: [String], message: String) throws {
        let result = try Self.run(arguments)
        // A bad number is a usage error (exit 64, as ArgumentParser's own), naming the option, with the
        // command's usage; a bad --plot path is an error of the run (exit 1). The timing bounds were
        // exit 1 naming every option at once (re-audit N8).
        let usage = !arguments.contains("--plot")
        #expect(!result.signaled && result.status == (usage ? 64 : 1), "\(arguments): status \(result.status)")
        #expect(result.err.contains(message), "\(arguments): \(result.err)")
        if usage { #expect(result.err.contains("Usage: tokenbudget \(arguments[0])"), "\(arguments): \(result.err)") }
    }

    /// A blank instructions file made tag-only instructions of 7 tokens, quietly.
    @Test func aBlankInstructionsFileIsAnError() throws {
        let blank = FileManager.default.temporaryDirectory.appendingPathComponent("blank-\(UUID().uuidString).txt")
        try Data("\n  \n\t\n".utf8).write(to: blank)
        defer { try? FileManager.default.removeItem(at: blank) }
        let result = try Self.run(["replay", Self.session, "--script", Self.script, "--instruction-every", "1", "--instructions-file", blank.path])
        #expect(!result.signaled && result.status != 0 && result.err.contains("no line with text"), "\(result.err)")
    }

    @Test func aFailedWriteToStandardOutputIsAnError() throws {
        let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
        let result = try Self.run(["capacity", "--exchanges", "3"], output: full)
        #expect(!result.signaled && result.status == 74, "status \(result.status): \(result.err)")
        #expect(result.err.contains("cannot write standard output"))
    }

    /// The bounds themselves are accepted: a day of audio a turn is refused by the engine (it does
    /// not fit the window), with a message, not a crash.
    @Test func theBoundsThemselvesRunOrAreRefusedByTheEngine() throws {
        let fits = try Self.run(["capacity", "--exchanges", "3", "--instruction-tokens", "100000000"])
        #expect(!fits.signaled && fits.status == 0, "\(fits.err)")
        let day = try Self.run(["capacity", "--provider", "openai-realtime", "--user-seconds", "86400", "--exchanges", "3"])
        #expect(!day.signaled && day.status == 1 && day.err.contains("needs"), "\(day.err)")
    }

    /// With `--provider`, an option typed equal to its plain default still counts as given: `--window
    /// 32000` was taken for "the profile's" (OpenAI's 32,320), and `-e o200k_base` for Gemma's.
    @Test func anOptionTypedAsItsDefaultIsGiven() throws {
        func peakHeld(_ extra: [String]) throws -> Int? {
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("capacity-\(UUID().uuidString).json")
            FileManager.default.createFile(atPath: out.path, contents: nil)
            defer { try? FileManager.default.removeItem(at: out) }
            let handle = try FileHandle(forWritingTo: out)
            let result = try Self.run(["capacity", "--provider", "openai-realtime", "--text-turns", "--exchanges", "100",
                                       "--strategy", "deletes", "--json"] + extra, output: handle)
            try handle.close()
            #expect(!result.signaled && result.status == 0, "\(result.err)")
            let json = try JSONParser.parse(String(decoding: try Data(contentsOf: out), as: UTF8.self))
            return json["strategies"]?.arrayValue?.first { $0["strategy"] == "deletes" }?["peakHeld"]?.intValue
        }
        let given = try #require(try peakHeld(["--window", "32000"])), profile = try #require(try peakHeld([]))
        #expect(given <= 32_000 - 4_096, "peak \(given)")
        #expect(profile > 32_000 - 4_096 && profile <= 28_224, "peak \(profile)")
    }

    /// history@N past the last exchange is clamped to it, as `--at` is (it read 0.0 "at exchange 50"
    /// of a 40-exchange run).
    @Test func historyAtIsClampedToTheRun() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID().uuidString).json")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        let result = try Self.run(["capacity", "--provider", "gemini-live", "--text-turns", "--exchanges", "40", "--json"], output: handle)
        try handle.close()
        #expect(result.status == 0, "\(result.err)")
        let json = try JSONParser.parse(String(decoding: try Data(contentsOf: out), as: UTF8.self))
        let resume = try #require(json["strategies"]?.arrayValue?.first { $0["strategy"] == "resume-only" })
        #expect(resume["historyAtExchange"] == 40)
        // Resume-only holds every exchange: all 40 at exchange 40.
        #expect(resume["historySeen"]?.intValue == 40)
    }
}
