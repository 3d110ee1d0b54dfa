import Foundation
import JSONWire
import SessionStore

/// `serve --export-dir`: each session that ends (closed, resolved, abandoned) is written to
/// `<dir>/<ExportFileName>.json` as `SessionExport` describes, once the batch that ended it has
/// committed — a batch that rolled back ended nothing, and exports nothing.
///
/// Written in the server's loop, before the batch's answers are released: a session of 10,000
/// messages takes the time docs/storage.md gives ("Export"). A failure (disk full, a folder
/// removed) is logged to stderr and never fails a request: the session's state is in the store, and
/// `tokenbudget sessions export` writes it again.
extension EngineService {
    func writeExports(_ ids: [String]) {
        guard let directory = options.exportDirectory, let store, !ids.isEmpty else { return }
        for id in ids {
            do {
                // Revived later in the same batch (`session.resume` of an abandoned one): not ended.
                guard let record = try store.session(id: id), record.status != "active" else { continue }
                try SessionExport.writeFile(record, from: store, directory: directory)
            } catch {
                FileHandle.standardError.write(Data("tokenbudget serve: export of session \(Self.quoted(id)) failed: \(error)\n".utf8))
            }
        }
    }

    /// An id as a JSON string: a newline or an escape sequence in it cannot forge a log line.
    static func quoted(_ id: String) -> String { JSONWriter.string(.string(id)) }
}
