import ArgumentParser
import Foundation
import Tokenizer

/// Options shared by `count`, `encode` and `decode`.
struct EncodingOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "Encoding: o200k_base (default), cl100k_base, gemma3 or gemma4.")
    var encoding: String?

    @Option(help: "A model name, whose encoding is used (as tiktoken's encoding_for_model): gpt-4o, gpt-realtime, gemini-3.8-live, …")
    var model: String?

    @Argument(help: "Input file, or - (the default) for standard input.")
    var input: String = "-"

    func loadEncoding() throws -> any TextTokenizer {
        if let model, encoding != nil {
            throw CLIError("give --encoding or --model (\(model)), not both")
        }
        let name = try model.map(ModelEncodings.encoding(forModel:)) ?? encoding ?? "o200k_base"
        do {
            return try Tokenizers.named(name)
        } catch let error as TokenizerError {
            throw CLIError(error.message)
        }
    }

    /// The whole input as bytes.
    func readInput() throws -> [UInt8] {
        if input == "-" {
            return [UInt8](FileHandle.standardInput.readDataToEndOfFile())
        }
        guard let data = FileManager.default.contents(atPath: input) else {
            throw CLIError("cannot read \(input): no such file or not readable")
        }
        return [UInt8](data)
    }
}

/// A user-facing failure: printed to stderr as `Error: <message>`, exit status 1.
struct CLIError: Error, CustomStringConvertible, Sendable {
    var description: String
    init(_ message: String) { description = message }
}

/// Writes `bytes` to standard output in one call: `decode` writes the exact bytes, valid UTF-8 or not.
func writeStandardOutput(_ bytes: [UInt8]) {
    writeStandardOutput(Data(bytes))
}

/// `FileHandle.write(_: Data)` traps when the write fails (`try!` inside Foundation): `capacity >
/// /dev/full` died with a fatal error. A failed write is a clear error and exit status 74 (EX_IOERR).
private func writeStandardOutput(_ data: Data) {
    do {
        try FileHandle.standardOutput.write(contentsOf: data)
    } catch {
        try? FileHandle.standardError.write(contentsOf: Data("tokenbudget: cannot write standard output: \(error.localizedDescription)\n".utf8))
        exit(74)
    }
}

/// Writes `text` to standard output in one call.
func writeStandardOutput(_ text: String) {
    writeStandardOutput(Data(text.utf8))
}
