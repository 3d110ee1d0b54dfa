import ArgumentParser
import Foundation
import SessionStore

extension SessionsCommand {
    /// `tokenbudget sessions purge --before DATE`: retention. Deletes ended sessions with everything
    /// stored for them, in one transaction.
    struct Purge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete ended sessions last updated before a date, with their transcripts and logs.",
            discussion: """
                Never deletes an active session (nor, on PostgreSQL, one a live engine holds). One \
                transaction: all or nothing. An SQLite file needs its lock: stop the engine that has it \
                open first (--dry-run only reads, and works beside it). Prints \
                {"dryRun", "sessions", "messages", "eventRecords"}.
                """)
        @Option(help: "The store: a file, or a postgres:// URL (default: $TOKENBUDGET_STORE, else ~/.local/share/tokenbudget/sessions.db).")
        var store: String?
        @Option(help: ArgumentHelp(
            "Delete sessions last updated before this time: 2026-12-05, 2026-12-05T19:30:00Z or epoch seconds.",
            valueName: "date"))
        var before: DateArgument
        @Option(help: ArgumentHelp("Only this ended status: closed, resolved or abandoned (repeatable, or comma-separated).",
                                   valueName: "status"))
        var status: [String] = []
        @Flag(help: "Count what would be deleted; change nothing.") var dryRun = false

        var statuses: [String] { status.flatMap { $0.split(separator: ",").map(String.init) } }

        func validate() throws {
            for status in statuses where !SessionFilter.endedStatuses.contains(status) {
                throw ValidationError(
                    "--status \(status): a purge deletes ended sessions only: closed, resolved or abandoned")
            }
        }

        func run() throws {
            let location = store ?? ProcessInfo.processInfo.environment["TOKENBUDGET_STORE"] ?? ServeCommand.defaultStorePath
            let filter = SessionFilter(statuses: statuses, updatedBefore: before.seconds)
            let purged = try Self.open(location, readOnly: dryRun).purgeSessions(filter, dryRun: dryRun)
            SessionsCommand.print([
                "dryRun": .bool(dryRun), "sessions": .int(Int64(purged.sessions)), "messages": .int(Int64(purged.messages)),
                "eventRecords": .int(Int64(purged.eventRecords)),
            ])
        }

        /// A dry run reads (beside a running engine); a purge opens an SQLite file as an engine does,
        /// taking its lock, so that it never writes under a running engine.
        static func open(_ location: String, readOnly: Bool) throws -> SessionMaintenance {
            if !StoreLocation.isPostgres(location) && !FileManager.default.fileExists(atPath: location) {
                throw CLIError("no store at \(location)")
            }
            let store: SessionStore
            do {
                store = try StoreLocation.open(location, readOnly: readOnly)
            } catch let error as StoreError where error.code == .inUse {
                throw CLIError(
                    "the store \(location) is in use by a running engine (tokenbudget serve): stop it, then purge; "
                        + "nothing was deleted (\(error.message))")
            } catch {
                throw CLIError("\(error)")
            }
            guard let maintenance = store as? SessionMaintenance else { throw CLIError("this store cannot purge sessions") }
            return maintenance
        }
    }
}
