import ArgumentParser
import Tokenizer

struct CountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count", abstract: "Print the number of tokens of a file or standard input.")

    @OptionGroup var options: EncodingOptions

    func run() throws {
        let encoding = try options.loadEncoding()
        let text = String(decoding: try options.readInput(), as: UTF8.self)
        writeStandardOutput("\(encoding.count(text))\n")
    }
}
