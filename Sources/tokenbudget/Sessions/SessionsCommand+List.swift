import ArgumentParser
import EngineServer
import JSONWire
import SessionStore

extension SessionsCommand {
    /// `tokenbudget sessions list`: stored sessions matching the filters, newest first.
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sessions matching the filters, newest first (an omitted filter means any).",
            discussion: """
                Output: {"sessions": [record, ...]} (records as `sessions get` prints them), or with \
                --format jsonl one record per line.
                """)
        @OptionGroup var options: StoreOption
        @OptionGroup var filters: SessionFilterOptions
        @Option(help: "At most this many (1-10000).") var limit = 100
        @Option(help: "json (one document) or jsonl (one session per line).") var format: SessionsFormat = .json

        func validate() throws {
            guard (1 ... 10_000).contains(limit) else { throw ValidationError("--limit must be 1...10000, got \(limit)") }
        }

        func run() throws {
            let records = try options.openMaintenance().listSessions(filters.filter, limit: limit)
            switch format {
            case .json:
                SessionsCommand.print(["sessions": .array(records.map { .object(EngineService.json($0)) })])
            case .jsonl:
                writeStandardOutput(records.map { JSONWriter.string(.object(EngineService.json($0))) + "\n" }.joined())
            }
        }
    }
}
