import ArgumentParser
import EngineServer
import Foundation
import SessionStore

extension SessionsCommand {
    /// `tokenbudget sessions export ID | --all [filters]`: sessions with their whole transcripts, as
    /// `serve --export-dir` writes them (`SessionExport`), read a page at a time.
    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A session, or all matching the filters, with its full transcript, as JSON or JSONL.",
            discussion: """
                One session: its export document {"exportVersion", "session", "messages", "messagesExported"}. \
                With --all: {"sessions": [document, ...], "sessionsExported": n}, or with --format jsonl one \
                document per line, in id order. Memory stays one page of 500 messages whatever the sizes.
                """)
        @OptionGroup var options: StoreOption
        @Argument(help: "The session to export (or --all).") var session: String?
        @Flag(help: "Every session matching the filters.") var all = false
        @OptionGroup var filters: SessionFilterOptions
        @Option(help: "json (one document) or jsonl (one session per line).") var format: SessionsFormat = .json
        @Option(name: [.customShort("o"), .long], help: ArgumentHelp(
            "Write to this file (replaced atomically once complete) instead of standard output.", valueName: "file"))
        var output: String?

        /// Sessions read per id query with --all.
        static let idPage = 500

        func validate() throws {
            guard (session != nil) != all else { throw ValidationError("give a session id or --all, not both") }
            if session != nil && !filters.isEmpty {
                throw ValidationError("--status, --business, --user and --since go with --all")
            }
        }

        func run() throws {
            let store = try options.openMaintenance()
            try Self.writing(to: output) { out in
                // Each session's record and messages in one read transaction (a running engine
                // may write to it meanwhile).
                if let session {
                    try store.readingConsistently {
                        guard let record = try store.session(id: session) else { throw CLIError("unknown session \"\(session)\"") }
                        try SessionExport.write(record, from: store, to: out)
                    }
                    try out.write("\n")
                    return
                }
                if format == .json { try out.write("{\"sessions\":[") }
                var after: String?, count = 0
                repeat {
                    let ids = try store.sessionIDs(filters.filter, after: after, limit: Self.idPage)
                    for id in ids {
                        let exported = try store.readingConsistently {
                            // Purged between the two reads: skipped.
                            guard let record = try store.session(id: id) else { return false }
                            if format == .json && count > 0 { try out.write(",") }
                            try SessionExport.write(record, from: store, to: out)
                            return true
                        }
                        guard exported else { continue }
                        if format == .jsonl { try out.write("\n") }
                        count += 1
                    }
                    after = ids.count == Self.idPage ? ids.last : nil
                } while after != nil
                if format == .json { try out.write("],\"sessionsExported\":\(count)}\n") }
            }
        }

        /// Runs `body` on standard output, or on a temporary file renamed to `path` once complete
        /// (a failed export leaves no half file behind), or on `path` itself when something there is
        /// no regular file (a device, a pipe): renamed over, `-o /dev/full` turned the device into a
        /// file and exited 0 (review).
        static func writing(to path: String?, _ body: (ExportOutput) throws -> Void) throws {
            var status = stat()
            let special = path.map { stat($0, &status) == 0 && (status.st_mode & S_IFMT) != S_IFREG } ?? false
            guard let path, !special else {
                let out: ExportOutput
                do {
                    out = try path.map { try ExportOutput(creating: $0) } ?? ExportOutput(descriptor: STDOUT_FILENO, name: "standard output")
                } catch { throw CLIError("\(error)") }
                do {
                    try body(out)
                    try out.flush()
                } catch let failure as ExportOutput.Failure {
                    // As every other command's failed write to standard output: exit 74 (EX_IOERR),
                    // where an export to /dev/full exited 1 (re-audit N8).
                    FileHandle.standardError.write(Data("tokenbudget: \(failure)\n".utf8))
                    throw ExitCode(74)
                }
                return
            }
            let temporary = path + ".\(getpid()).tmp"
            do {
                let out = try ExportOutput(creating: temporary)
                try body(out)
                try out.sync()
                guard rename(temporary, path) == 0 else {
                    throw CLIError("cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
                }
            } catch {
                unlink(temporary)
                throw error
            }
        }
    }
}
