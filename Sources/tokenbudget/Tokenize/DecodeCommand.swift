import ArgumentParser
import Tokenizer

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Print the text of token ids (whitespace- or comma-separated, or a JSON array).")

    @OptionGroup var options: EncodingOptions

    func run() throws {
        let encoding = try options.loadEncoding()
        let ids = try Self.parseIDs(try options.readInput())
        do {
            writeStandardOutput(try encoding.decodeBytes(ids))
        } catch let error as TokenizerError {
            throw CLIError(error.message)
        }
    }

    /// Ids separated by whitespace or commas, optionally inside one pair of brackets.
    static func parseIDs(_ input: [UInt8]) throws -> [Rank] {
        var ids = [Rank]()
        var current: UInt64? = nil
        for (offset, byte) in input.enumerated() {
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"):
                let value = (current ?? 0) * 10 + UInt64(byte - UInt8(ascii: "0"))
                guard value <= UInt64(UInt32.max) else { throw CLIError("id too large at byte \(offset)") }
                current = value
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"),
                UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"):
                if let value = current { ids.append(Rank(value)) }
                current = nil
            default:
                throw CLIError("unexpected character at byte \(offset): expected token ids")
            }
        }
        if let value = current { ids.append(Rank(value)) }
        return ids
    }
}
