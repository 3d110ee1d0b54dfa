import ArgumentParser
import JSONWire
import Tokenizer

struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Print the text of token ids (whitespace- or comma-separated, or a JSON array).")

    enum Format: String, ExpressibleByArgument { case text, json }

    @OptionGroup var options: EncodingOptions

    @Option(help: "text (the exact bytes) or json ({\"text\", \"utf8\"}: invalid UTF-8 replaced, utf8 false).")
    var format: Format = .text

    func run() throws {
        let encoding = try options.loadEncoding()
        let ids = try Self.parseIDs(try options.readInput())
        let bytes: [UInt8]
        do { bytes = try encoding.decodeBytes(ids) } catch let error as TokenizerError { throw CLIError(error.message) }
        switch format {
        case .text: writeStandardOutput(bytes)
        case .json:
            let valid = String(validating: bytes, as: UTF8.self) != nil
            writeStandardOutput(
                JSONWriter.string(["text": .string(String(decoding: bytes, as: UTF8.self)), "utf8": .bool(valid)]) + "\n")
        }
    }

    /// Ids separated by whitespace or commas, optionally inside one pair of brackets (a JSON array):
    /// a bracket anywhere else, or a comma with no id before it, is refused.
    static func parseIDs(_ input: [UInt8]) throws -> [Rank] {
        var ids = [Rank]()
        var current: UInt64? = nil
        var opened = false, closed = false, sawComma = false
        for (offset, byte) in input.enumerated() {
            if closed && !(byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09) {
                throw CLIError("unexpected character at byte \(offset): nothing may follow the closing bracket")
            }
            switch byte {
            case UInt8(ascii: "0") ... UInt8(ascii: "9"):
                let value = (current ?? 0) * 10 + UInt64(byte - UInt8(ascii: "0"))
                guard value <= UInt64(UInt32.max) else { throw CLIError("id too large at byte \(offset)") }
                current = value
                sawComma = false
            case UInt8(ascii: "["):
                guard !opened, ids.isEmpty, current == nil else {
                    throw CLIError("unexpected \"[\" at byte \(offset): one pair of brackets around all the ids at most")
                }
                opened = true
            case UInt8(ascii: "]"):
                guard opened, !sawComma else { throw CLIError("unexpected \"]\" at byte \(offset)") }
                if let value = current { ids.append(Rank(value)) }
                current = nil
                closed = true
            case UInt8(ascii: ","):
                if let value = current {
                    ids.append(Rank(value))
                    current = nil
                } else if ids.isEmpty || sawComma {
                    throw CLIError("unexpected \",\" at byte \(offset): no id before it")
                }
                sawComma = true
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                if let value = current { ids.append(Rank(value)) }
                current = nil
            default:
                throw CLIError("unexpected character at byte \(offset): expected token ids")
            }
        }
        if let value = current { ids.append(Rank(value)) }
        if opened && !closed { throw CLIError("the \"[\" is never closed") }
        if sawComma { throw CLIError("a \",\" with no id after it") }
        return ids
    }
}
