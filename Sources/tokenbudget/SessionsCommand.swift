import ArgumentParser
import EngineServer
import Foundation
import JSONWire
import SessionStore

/// `tokenbudget sessions active|history|messages|get|stats`: the protocol's queries, read straight
/// from the store (read-only, so it works beside a running engine). Output is JSON, one document.
/// `list`, `export` (read-only too) and `purge` are in `Sessions/`.
struct SessionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions", abstract: "Query, export and purge stored sessions (all but purge read-only: they work while serve runs).",
        subcommands: [Active.self, History.self, Messages.self, Get.self, Stats.self, List.self, Export.self, Purge.self])

    struct StoreOption: ParsableArguments {
        @Option(help: "The store: a file, or a postgres:// URL (default: $TOKENBUDGET_STORE, else ~/.local/share/tokenbudget/sessions.db).")
        var store: String?

        func open() throws -> SessionStore {
            let path = store ?? ProcessInfo.processInfo.environment["TOKENBUDGET_STORE"] ?? ServeCommand.defaultStorePath
            do { return try StoreLocation.open(path, readOnly: true) } catch { throw CLIError("\(error)") }
        }
    }

    static func print(_ value: JSONValue) { writeStandardOutput(JSONWriter.string(value) + "\n") }

    struct Active: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The active session of a business and user, or null.")
        @OptionGroup var options: StoreOption
        @Option var business: String?
        @Option var user: String?
        func run() throws {
            let record = try options.open().activeSession(business: business, user: user)
            SessionsCommand.print(["session": record.map { .object(EngineService.json($0)) } ?? .null])
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sessions of a business and user, newest first.")
        @OptionGroup var options: StoreOption
        @Option var business: String?
        @Option var user: String?
        @Option(help: "At most this many (1-100).") var limit = 20
        func validate() throws { guard (1 ... 100).contains(limit) else { throw ValidationError("--limit must be 1...100") } }
        func run() throws {
            let records = try options.open().history(business: business, user: user, limit: limit)
            SessionsCommand.print(["sessions": .array(records.map { .object(EngineService.json($0)) })])
        }
    }

    struct Messages: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One page of a session's transcript, in order, as session.messages answers it.",
            discussion: "`nextCursor` (null on the last page) is the --after of the next page.")
        @OptionGroup var options: StoreOption
        @Argument var session: String
        @Option(help: "At most this many (1-500).") var limit = 50
        // `.unconditional`: the value after `--after` is taken even when it starts with a dash, so
        // `--after -1` is -1, not a missing value followed by an unknown option `-1`.
        @Option(parsing: .unconditional, help: "Start after this seq: a nextCursor this command printed (default: from the first).")
        var after = -1
        func validate() throws {
            guard (1 ... 500).contains(limit) else { throw ValidationError("--limit must be 1...500") }
            guard after >= -1 else { throw ValidationError("--after must be a seq, -1 or more") }
        }
        func run() throws {
            let store = try options.open()
            // As `sessions get` and the wire (-32001): an unknown id is an error, not an empty page.
            guard try store.session(id: session) != nil else { throw CLIError("unknown session \"\(session)\"") }
            // One more than the page, to know whether another follows.
            var page = try store.messages(session: session, after: after, limit: limit + 1)
            let more = page.count > limit
            if more { page.removeLast() }
            SessionsCommand.print([
                "session": .string(session), "messages": .array(page.map(EngineService.json)),
                "nextCursor": more ? .string(String(page.last!.seq)) : .null,
            ])
        }
    }

    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One session's record.")
        @OptionGroup var options: StoreOption
        @Argument var session: String
        func run() throws {
            guard let record = try options.open().session(id: session) else { throw CLIError("unknown session \"\(session)\"") }
            SessionsCommand.print(.object(EngineService.json(record)))
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count, average duration and messages by status.")
        @OptionGroup var options: StoreOption
        func run() throws {
            SessionsCommand.print(EngineService.json(try options.open().statistics()))
        }
    }
}
