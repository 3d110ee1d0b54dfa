import Foundation
import JSONWire
import Testing

/// The command line as people expect it (issue 18): --version, --model picking the encoding as
/// tiktoken's encoding_for_model does, --format json, --allow-special all, malformed input refused,
/// shell completions. On the built binary.
@Suite struct CLIConventionsTests {
    /// Runs the binary with `arguments` and `input` on stdin; its status, stdout and stderr.
    static func run(_ arguments: [String], input: String = "") throws -> (status: Int32, out: String, err: String) {
        let process = Process()
        process.executableURL = ServeProcess.executable
        process.arguments = arguments
        let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        stdin.fileHandleForWriting.write(Data(input.utf8))
        try stdin.fileHandleForWriting.close()
        let out = stdout.fileHandleForReading.readDataToEndOfFile()
        let err = stderr.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }

    @Test func versionNamesTheReleaseAndTheProtocol() throws {
        let (status, out, _) = try Self.run(["--version"])
        #expect(status == 0 && out.hasPrefix("tokenbudget ") && out.contains("protocol 1"))
    }

    @Test(arguments: [("gpt-4o", "o200k_base"), ("gpt-realtime", "o200k_base"), ("gpt-4", "cl100k_base"),
                      ("gpt-3.5-turbo-0125", "cl100k_base"), ("gemini-2.5-flash-native-audio-preview-12-2025", "gemma3"),
                      ("gemini-3.8-live", "gemma4")])
    func modelPicksItsEncoding(model: String, encoding: String) throws {
        let text = "Voice agents count every token: 日本語も。"
        let byModel = try Self.run(["count", "--model", model, "--format", "json"], input: text)
        let byEncoding = try Self.run(["count", "--encoding", encoding], input: text)
        #expect(byModel.status == 0, "\(byModel.err)")
        let json = try JSONParser.parse(byModel.out)
        #expect(json["encoding"] == .string(encoding))
        #expect(json["tokens"]?.intValue == Int(byEncoding.out.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func anUnknownModelOrBothFlagsAreErrors() throws {
        let unknown = try Self.run(["count", "--model", "llama-3"], input: "x")
        #expect(unknown.status != 0 && unknown.err.contains("no encoding known for model \"llama-3\""))
        let both = try Self.run(["count", "--model", "gpt-4o", "--encoding", "cl100k_base"], input: "x")
        #expect(both.status != 0 && both.err.contains("not both"))
    }

    /// tiktoken: encode("hi<|endoftext|>", allowed_special="all") == [3686, 199999].
    @Test func allowSpecialAllAllowsEverySpecialToken() throws {
        let allowed = try Self.run(["encode", "--allow-special", "all", "--format", "json"], input: "hi<|endoftext|>")
        #expect(allowed.out.trimmingCharacters(in: .whitespacesAndNewlines) == "[3686,199999]")
        let refused = try Self.run(["encode", "--allow-special", "<|endofprompt|>"], input: "hi<|endoftext|>")
        #expect(refused.status != 0 && refused.err.contains("special token <|endoftext|>"))
    }

    @Test func decodeJSONAndMalformedIdsAreRefused() throws {
        let ids = try Self.run(["encode", "--format", "json"], input: "Hello world 𒀀𒀁").out
        let json = try JSONParser.parse(try Self.run(["decode", "--format", "json"], input: ids).out)
        #expect(json["text"] == .string("Hello world 𒀀𒀁") && json["utf8"] == .bool(true))
        // A prefix that ends inside a character (the cuneiform signs are several byte-level tokens).
        let list = try #require(try JSONParser.parse(ids).arrayValue).compactMap(\.intValue)
        let cut = try (1 ..< list.count).map { count in
            try JSONParser.parse(try Self.run(["decode", "--format", "json"], input: "\(list.prefix(count))").out)["utf8"]
        }
        #expect(cut.contains(.bool(false)))
        for bad in ["[1,2", "1,,2", "1,", "[1][2]", "1]", "1 x"] {
            let answer = try Self.run(["decode"], input: bad)
            #expect(answer.status != 0 && answer.err.hasPrefix("Error: "), "\(bad) was accepted")
        }
    }

    @Test func aMissingPolicyFileIsAMissingFile() throws {
        let answer = try Self.run(["capacity", "--policy", "policies/nope.json"])
        #expect(answer.status != 0 && answer.err.contains("no such policy file: policies/nope.json"))
    }

    @Test func shellCompletionsAreGenerated() throws {
        for shell in ["bash", "zsh", "fish"] {
            let answer = try Self.run(["--generate-completion-script", shell])
            #expect(answer.status == 0 && answer.out.contains("tokenbudget") && answer.out.contains("capacity"))
        }
    }
}
