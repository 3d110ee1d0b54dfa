import Foundation
import JSONWire
import SessionStore

/// A fresh folder for one test's store, removed at the end.
final class TemporaryStore {
    let directory: URL
    var path: String { directory.appendingPathComponent("sessions.db").path }

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-sessionstore-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: directory) }

    func bytes() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }
}

enum Sample {
    static let scriptHash = "00112233aabbccdd"

    static func record(_ id: String, status: String = "active", createdAt: Double = 1_000) -> SessionRecord {
        var record = SessionRecord(
            id: id, business: "b1", location: "l1", user: "u1", status: status, createdAt: createdAt,
            metadata: ["tier": "gold"], configuration: ["encoding": "o200k_base", "window": 32000], scriptHash: scriptHash)
        record.updatedAt = createdAt + 5
        record.lastMessageAt = createdAt + 4
        record.expiresAt = createdAt + 1_800
        record.messageCount = 2
        record.snapshotVersion = 3
        record.snapshotHash = "deadbeefdeadbeef"
        return record
    }

    static func message(_ session: String, seq: Int, content: String = "hello") -> StoredMessage {
        StoredMessage(
            messageID: "\(session)/t\(seq)", sessionID: session, seq: seq, type: seq % 2 == 0 ? "user" : "model",
            content: content, tokens: 3, timestamp: 1_001 + Double(seq), metadata: ["schemaVersion": 1, "value": ["lang": "en"]])
    }

    static func events(from first: Int, count: Int, text: String = "Hi") -> [StoredEvent] {
        (first ..< first + count).map { StoredEvent(seq: $0, kind: "turn", payload: ["role": "user", "text": .string(text)]) }
    }

    /// A store holding one session `id` with its script, committed.
    static func store(at path: String, session id: String = "s1", maxPageCount: Int? = nil) throws -> SQLiteSessionStore {
        let store = try SQLiteSessionStore(path: path, maxPageCount: maxPageCount)
        try store.begin()
        try store.saveScript(hash: scriptHash, encoding: "o200k_base", text: "You are Ada.", tokens: 4)
        try store.createSession(record(id))
        try store.commit()
        return store
    }
}

/// Collapses SQL for comparison: no comments, no whitespace, lower case.
func normalizedSQL(_ sql: String) -> String {
    sql.split(separator: "\n").map { line in line.range(of: "--").map { String(line[..<$0.lowerBound]) } ?? String(line) }
        .joined(separator: " ").filter { !$0.isWhitespace }.lowercased()
}

/// The StoreError `body` throws, or nil.
func storeError(_ body: () throws -> Void) -> StoreError? {
    do {
        try body()
        return nil
    } catch let error as StoreError {
        return error
    } catch {
        return StoreError(code: .other, message: "not a StoreError: \(type(of: error)) \(error)")
    }
}
