import ArgumentParser
import SessionStore

/// The filters of `sessions list`, `sessions export --all` and `sessions purge`. An omitted filter
/// means any (unlike `sessions history`, where an omitted --business or --user means none given).
struct SessionFilterOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Only sessions in this status: active, closed, resolved or abandoned (repeatable, or comma-separated).",
        valueName: "status"))
    var status: [String] = []

    @Option(help: "Only sessions of this business id.")
    var business: String?

    @Option(help: "Only sessions of this user id.")
    var user: String?

    @Option(help: ArgumentHelp(
        "Only sessions created at or after this time: 2026-12-05, 2026-12-05T19:30:00Z or epoch seconds.",
        valueName: "date"))
    var since: DateArgument?

    /// The statuses named, comma lists split.
    var statuses: [String] { status.flatMap { $0.split(separator: ",").map(String.init) } }

    func validate() throws {
        for status in statuses where !SessionFilter.allStatuses.contains(status) {
            throw ValidationError("--status \(status): expected one of \(SessionFilter.allStatuses.joined(separator: ", "))")
        }
    }

    var filter: SessionFilter {
        SessionFilter(statuses: statuses, business: business, user: user, createdSince: since?.seconds)
    }

    /// Whether any filter was given (`sessions export ID` takes none).
    var isEmpty: Bool { status.isEmpty && business == nil && user == nil && since == nil }
}

/// `--format` of `sessions list` and `sessions export`.
enum SessionsFormat: String, ExpressibleByArgument, CaseIterable {
    /// One JSON document.
    case json
    /// One JSON value per line.
    case jsonl
}

extension SessionsCommand.StoreOption {
    /// The store's listing and purging queries (both backends have them).
    func openMaintenance() throws -> SessionMaintenance {
        guard let store = try open() as? SessionMaintenance else { throw CLIError("this store cannot list sessions") }
        return store
    }
}
