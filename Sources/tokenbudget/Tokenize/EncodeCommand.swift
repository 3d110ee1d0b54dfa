import ArgumentParser
import Tokenizer

struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode", abstract: "Print the token ids of a file or standard input.")

    enum Format: String, ExpressibleByArgument { case lines, json }

    @OptionGroup var options: EncodingOptions

    @Option(help: "lines (one id per line) or json (one array).")
    var format: Format = .lines

    @Option(name: .customLong("allow-special"), help: "A special token to encode as its id (repeatable), or all.")
    var allowedSpecial: [String] = []

    func run() throws {
        let encoding = try options.loadEncoding()
        let text = String(decoding: try options.readInput(), as: UTF8.self)
        let ids: [Rank]
        do {
            if allowedSpecial.isEmpty {
                ids = encoding.encodeOrdinary(text)
            } else if let tiktoken = encoding as? BPEEncoding {
                let allowed = allowedSpecial.contains("all") ? Set(tiktoken.spec.specialTokens.keys) : Set(allowedSpecial)
                ids = try tiktoken.encode(text, allowedSpecial: allowed)
            } else {
                throw CLIError("--allow-special applies to tiktoken encodings; \(encoding.name) matches its user-defined pieces in the text itself")
            }
        } catch let error as TokenizerError {
            throw CLIError(error.message)
        }
        var output = ""
        output.reserveCapacity(ids.count * 7)
        switch format {
        case .lines:
            for id in ids {
                output += String(id)
                output += "\n"
            }
        case .json:
            output = "[" + ids.map(String.init).joined(separator: ",") + "]\n"
        }
        writeStandardOutput(output)
    }
}
