import Foundation
import SessionStore

/// `serve --export-dir`'s writer: the sessions a committed batch ended are exported on a thread of
/// its own, through a store connection of its own that only reads (opened on that thread; read-only
/// for SQLite, an ordinary connection for PostgreSQL), so the server's loop never waits for an
/// export. Written in the loop, a 10,000-message session's export held the answers of the batch
/// that closed it for ~26 ms instead of ~2 ms (`Benchmarks/serve_bounds.py export`), and a
/// 100,000-message one for ~0.35 s.
///
/// Exports are written one at a time, in the order their batches committed; each reads the session
/// as stored when its turn comes (an ended session does not change; one revived meanwhile is
/// `active` and skipped: it is exported again when it ends again). A failure (disk full, the folder
/// removed, the store unreadable) is logged to stderr and fails no request: the session's state is
/// in the store, and `tokenbudget sessions export` writes it again.
public final class ExportWriter: @unchecked Sendable {
    private let directory: String
    private let openStore: @Sendable () throws -> SessionStore
    /// Guards `queued`, `writing` and `finishing`.
    private let condition = NSCondition()
    private var queued: [String] = []
    private var writing = false
    private var finishing = false
    private let stopped = DispatchSemaphore(value: 0)

    /// Starts the writer's thread. `openStore` is called on that thread, at the first export and
    /// again after any failed one.
    public init(directory: String, openStore: @escaping @Sendable () throws -> SessionStore) {
        self.directory = directory
        self.openStore = openStore
        let thread = Thread { [self] in run() }
        thread.name = "tokenbudget-export"
        thread.start()
    }

    /// Queues the export of each session; returns at once. After `finish` nothing is queued (the
    /// thread has stopped: a queued id would never be written, and `waitUntilIdle` would wait for it).
    func enqueue(_ ids: [String]) {
        guard !ids.isEmpty else { return }
        condition.lock()
        defer { condition.unlock() }
        guard !finishing else { return }
        queued.append(contentsOf: ids)
        condition.signal()
    }

    /// Returns once every export queued so far is written (or has failed).
    public func waitUntilIdle() {
        condition.lock()
        while !queued.isEmpty || writing { condition.wait() }
        condition.unlock()
    }

    /// Writes what is queued, then stops the thread; later calls return at once.
    public func finish() {
        condition.lock()
        let first = !finishing
        finishing = true
        condition.broadcast()
        condition.unlock()
        if first { stopped.wait() }
    }

    private func run() {
        var store: SessionStore?
        while let ids = next() {
            for id in ids {
                do {
                    if store == nil { store = try openStore() }
                    try Self.export(id, from: store!, directory: directory)
                } catch {
                    // Opened again for the next one: a connection PostgreSQL dropped stays dropped.
                    store = nil
                    FileHandle.standardError.write(Data(
                        "tokenbudget serve: export of session \(EngineService.quoted(id)) failed: \(error)\n".utf8))
                }
            }
        }
        stopped.signal()
    }

    /// Every id queued so far (taken whole: O(1) per id however many one batch ended), waiting for
    /// one; nil once finishing with nothing queued.
    private func next() -> [String]? {
        condition.lock()
        defer { condition.unlock() }
        writing = false
        condition.broadcast()
        while queued.isEmpty {
            if finishing { return nil }
            condition.wait()
        }
        writing = true
        defer { queued = [] }
        return queued
    }

    /// Writes the export of `id` unless it is active again (revived after it ended).
    /// The record and its messages in one read transaction: a session revived by `session.resume`
    /// meanwhile is exported as it ended, not with the messages written after.
    static func export(_ id: String, from store: SessionStore, directory: String) throws {
        try store.readingConsistently {
            guard let record = try store.session(id: id), record.status != "active" else { return }
            try SessionExport.writeFile(record, from: store, directory: directory)
        }
    }
}
