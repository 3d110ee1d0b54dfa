import Foundation
import JSONWire
import SessionStore

/// `serve --export-dir`: each session that ends (closed, resolved, abandoned) is written to
/// `<dir>/<ExportFileName>.json` as `SessionExport` describes, once the batch that ended it has
/// committed — a batch that rolled back ended nothing, and exports nothing. `ExportWriter` writes
/// them on a thread of its own, so no answer waits for an export.
extension EngineService {
    /// Where exports go and how the writer's thread opens its own store connection.
    public struct ExportSettings: Sendable {
        public var directory: String
        /// Called on the writer's thread: a read-only connection to the engine's store.
        public var openStore: @Sendable () throws -> SessionStore
        public init(directory: String, openStore: @escaping @Sendable () throws -> SessionStore) {
            self.directory = directory
            self.openStore = openStore
        }
    }

    func writeExports(_ ids: [String]) {
        exportWriter?.enqueue(ids)
    }

    /// Returns once every export queued so far is written (tests; `finishExports` at exit).
    public func waitForExports() { exportWriter?.waitUntilIdle() }

    /// Writes the queued exports and stops the writer's thread (serve, before it exits).
    public func finishExports() { exportWriter?.finish() }

    /// An id as a JSON string: a newline or an escape sequence in it cannot forge a log line.
    static func quoted(_ id: String) -> String { JSONWriter.string(.string(id)) }
}
