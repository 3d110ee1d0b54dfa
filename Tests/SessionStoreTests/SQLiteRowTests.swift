import Foundation
import JSONWire
import SessionStore
import Testing

/// Rows are read by column name: the order of a SELECT's columns does not matter, a missing column
/// is an error naming it, and every value type round-trips through the store.
@Suite struct SQLiteRowTests {
    @Test func columnsAreFoundByNameInAnyOrder() throws {
        let file = try TemporaryStore()
        let database = try SQLiteDatabase(path: file.path, create: true)
        for sql in ["SELECT 7 AS number, 'x' AS word, NULL AS empty, 2.5 AS real",
                    "SELECT 2.5 AS real, NULL AS empty, 'x' AS word, 7 AS number"] {
            let rows = try database.statement(sql).rows { row in
                (try row.int("number"), try row.text("word"), try row.text("empty"), try row.double("real"), try row.int("empty"))
            }
            #expect(rows.count == 1)
            #expect(rows[0].0 == 7 && rows[0].1 == "x" && rows[0].2 == nil && rows[0].3 == 2.5 && rows[0].4 == nil)
        }
        let error = storeError { _ = try database.statement("SELECT 1 AS one").rows { try $0.int("two") } }
        #expect(error?.message.contains("no column \"two\"") == true, "\(String(describing: error))")
    }

    @Test func recordsMessagesAndResumeStatesRoundTrip() throws {
        let file = try TemporaryStore()
        let store = try Sample.store(at: file.path)
        var bare = SessionRecord(
            id: "bare", business: nil, location: nil, user: nil, status: "active", createdAt: 2_000, metadata: nil,
            configuration: ["window": 100], scriptHash: Sample.scriptHash)
        bare.updatedAt = 2_001
        try store.begin()
        try store.createSession(bare)
        for seq in 0 ..< 3 { try store.upsertMessage(Sample.message("s1", seq: seq)) }
        try store.upsertMessage(Sample.message("s1", seq: 1, content: "changed"))
        try store.saveResume(session: "s1", ResumeState(handle: nil, resumable: false, updatedAt: 9, attempts: 2))
        try store.commit()
        #expect(try store.session(id: "s1") == Sample.record("s1"))
        #expect(try store.session(id: "bare") == bare)
        let messages = try store.messages(session: "s1", limit: 10)
        #expect(messages.map(\.content) == ["hello", "changed", "hello"])
        #expect(messages[2] == Sample.message("s1", seq: 2))
        #expect(try store.resume(session: "s1") == ResumeState(handle: nil, resumable: false, updatedAt: 9, attempts: 2))
        #expect(try store.activeSession(business: "b1", user: "u1")?.id == "s1")
        #expect(try store.history(business: nil, user: nil, limit: 5).map(\.id) == ["bare"])
        let statistics = try store.statistics()
        #expect(statistics == [StatusStatistics(status: "active", count: 2, averageDurationSeconds: 2.5, averageMessages: 1)])
        #expect(try store.activeSessionIDs() == ["bare", "s1"])
    }
}
