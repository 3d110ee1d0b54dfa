import ArgumentParser
import JSONWire
import Tokenizer

struct CountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count", abstract: "Print the number of tokens of a file or standard input.")

    enum Format: String, ExpressibleByArgument { case text, json }

    @OptionGroup var options: EncodingOptions

    @Option(help: "text (the count alone) or json ({\"encoding\", \"tokens\"}).")
    var format: Format = .text

    func run() throws {
        let encoding = try options.loadEncoding()
        let text = String(decoding: try options.readInput(), as: UTF8.self)
        let count = encoding.count(text)
        switch format {
        case .text: writeStandardOutput("\(count)\n")
        case .json: writeStandardOutput(JSONWriter.string(["encoding": .string(encoding.name), "tokens": .int(Int64(count))]) + "\n")
        }
    }
}
