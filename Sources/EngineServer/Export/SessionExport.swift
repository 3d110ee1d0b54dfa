import Foundation
import JSONWire
import SessionStore

/// One session as one self-contained JSON document, written by `tokenbudget sessions export` and by
/// `serve --export-dir` when a session ends (docs/storage.md, "Export"):
///
/// ```json
/// {"exportVersion": 1, "session": {…record, as session.get…}, "messages": [{…}, …], "messagesExported": 2}
/// ```
///
/// `messages` is the whole transcript in seq order, each as `sessions.messages` gives it, and an
/// instruction's state (`pending`, `active`, …, kept in its metadata) also as `instructionState`.
public enum SessionExport {
    public static let version = 1
    /// Messages read per query (`messages(session:after:limit:)`): memory stays one page, whatever
    /// the transcript's length.
    public static let pageSize = 500

    /// Writes the export document of `record` (no trailing newline).
    ///
    /// - Returns: the number of messages written.
    /// - Complexity: O(messages), one indexed query per `pageSize` of them.
    @discardableResult
    public static func write(_ record: SessionRecord, from store: SessionStore, to output: ExportOutput) throws -> Int {
        try output.write("{\"exportVersion\":\(version),\"session\":")
        try output.write(JSONWriter.string(.object(EngineService.json(record))))
        try output.write(",\"messages\":[")
        var after = Int.min, written = 0
        while true {
            let page = try store.messages(session: record.id, after: after, limit: pageSize)
            for message in page {
                try output.write((written == 0 ? "" : ",") + JSONWriter.string(json(message)))
                written += 1
            }
            guard page.count == pageSize, let last = page.last else { break }
            after = last.seq
        }
        try output.write("],\"messagesExported\":\(written)}")
        return written
    }

    /// A message as `sessions.messages` gives it, with `instructionState` for an instruction.
    static func json(_ message: StoredMessage) -> JSONValue {
        guard case .object(var object) = EngineService.json(message) else { return EngineService.json(message) }
        if let state = message.metadata?["state"], case .string = state { object["instructionState"] = state }
        return .object(object)
    }

    /// Writes `<directory>/<ExportFileName>.json` atomically: a temporary file in the same folder,
    /// synced, then renamed over the old export (a reader sees the old or the new document, never
    /// half of one), then the folder synced.
    ///
    /// - Returns: the path written.
    @discardableResult
    public static func writeFile(_ record: SessionRecord, from store: SessionStore, directory: String) throws -> String {
        let name = ExportFileName.encode(record.id) + ".json"
        let path = directory + "/" + name
        // A leading dot: never an export's name (encoded as %2E), so never mistaken for one.
        let temporary = directory + "/.\(name.prefix(100)).\(getpid()).tmp"
        do {
            let output = try ExportOutput(creating: temporary, exclusive: false)
            try write(record, from: store, to: output)
            try output.write("\n")
            try output.sync()
            guard rename(temporary, path) == 0 else {
                throw ExportOutput.Failure(description: "cannot rename \(temporary) to \(path): \(String(cString: strerror(errno)))")
            }
        } catch {
            unlink(temporary)
            throw error
        }
        let folder = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
        return path
    }
}
