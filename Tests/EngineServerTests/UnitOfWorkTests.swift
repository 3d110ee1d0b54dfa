import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing

/// A batch is stored whole or not at all, and its answers say which.
@Suite struct UnitOfWorkTests {
    @Test func answersAreReleasedInOrderAfterTheCommit() throws {
        let folder = try TemporaryFolder()
        let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
        let answers = harness.batch([
            ("session.open", ["session": "a", "script": .string(script)]),
            ("turn.append", ["session": "a", "role": "user", "text": "hello"]),
            ("session.get", ["session": "a"]),
            ("turn.append", ["session": "nobody", "role": "user", "text": "hello"]),
        ])
        #expect(answers.map { $0["id"]?.intValue } == [1, 2, 3, 4])
        #expect(answers[1]["result"]?["version"] == 1)
        // A query in the same batch as a change sees its counters (written before the query).
        #expect(answers[2]["result"]?["snapshotVersion"] == 1)
        #expect(Harness.code(answers[3]) == -32001)
    }

    /// A turn streamed in chunks within one batch is upserted once, at the batch's end or before a
    /// query of the batch, with the text it has then; the store holds the whole text (the oracle:
    /// the chunks joined), and another session's records in the same batch keep their order.
    @Test func aStreamedTurnIsStoredWithItsWholeTextOncePerBatch() throws {
        let folder = try TemporaryFolder()
        let store = try SQLiteSessionStore(path: folder.path("s.db"))
        let harness = Harness(store: store)
        let chunks = ["Well, ", "how much ", "would the ", "panels ", "cost?"]
        func chunk(_ text: String, final: Bool = false) -> (String, JSONObject) {
            ("turn.append", ["session": "a", "role": "user", "text": .string(text), "final": .bool(final)])
        }
        let answers = harness.batch([
            ("session.open", ["session": "a", "script": .string(script)]),
            ("session.open", ["session": "b", "script": .string(script)]),
            chunk(chunks[0]), chunk(chunks[1]),
            ("turn.append", ["session": "b", "role": "user", "text": "hello"]),
            chunk(chunks[2]),
            ("session.messages", ["session": "a"]),
            chunk(chunks[3]), chunk(chunks[4]),
        ])
        #expect(answers.allSatisfy { $0["result"] != nil })
        let seen = answers[6]["result"]?["messages"]?.arrayValue?.compactMap { $0["content"]?.stringValue }
        #expect(seen == [chunks[0 ..< 3].joined()])
        let stored = try store.messages(session: "a", limit: 10)
        #expect(stored.map(\.content) == [chunks.joined()])
        #expect(try store.messages(session: "b", limit: 10).map(\.content) == ["hello"])
        harness.call("turn.append", ["session": "a", "role": "user", "text": " Roughly.", "final": true])
        #expect(try store.messages(session: "a", limit: 10).map(\.content) == [chunks.joined() + " Roughly."])
    }

    /// Chunks of one turn in one batch are stored as separate batches store them: the store's upsert
    /// keeps metadata a later chunk does not give (`coalesce`), and so does the batch's record.
    /// Oracle: the same chunks sent one batch each, on a second store.
    @Test func chunksInOneBatchKeepWhatSeparateBatchesKeep() throws {
        func stored(oneBatch: Bool) throws -> StoredMessage? {
            let folder = try TemporaryFolder()
            let store = try SQLiteSessionStore(path: folder.path("s.db"))
            let harness = Harness(store: store)
            harness.call("session.open", ["session": "a", "script": .string(script)])
            let chunks: [(String, JSONObject)] = [
                ("turn.append", ["session": "a", "role": "user", "text": "Hel", "final": false, "metadata": ["pitch": 0.4]]),
                ("turn.append", ["session": "a", "role": "user", "text": "lo ", "final": false]),
                ("turn.append", ["session": "a", "role": "user", "text": "thére", "final": false]),
            ]
            if oneBatch {
                _ = harness.batch(chunks)
            } else {
                for chunk in chunks {
                    _ = harness.batch([chunk])
                    harness.advance(1)
                }
            }
            return try store.messages(session: "a", limit: 10).first
        }
        let separate = try #require(try stored(oneBatch: false))
        let together = try #require(try stored(oneBatch: true))
        #expect(separate.content == "Hello thére" && together.content == separate.content)
        #expect(together.metadata == separate.metadata && separate.metadata?["value"]?["pitch"] == 0.4)
        #expect(together.tokens == separate.tokens)
    }

    /// A full disk at commit: every answer that reported a change becomes -32011 with the store's
    /// reason, reads keep their answers, the touched sessions are rebuilt from the store as before.
    @Test func aFailedCommitRewritesTheChangesAndKeepsTheStoreAsBefore() throws {
        let folder = try TemporaryFolder()
        // 40 pages of 4 KiB: the schema and a session fit, a batch of long turns does not.
        let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db"), maxPageCount: 40))
        #expect(harness.call("session.open", ["session": "a", "script": .string(script)])["result"] != nil)
        let before = harness.call("context.snapshot", ["session": "a"])["result"]?["hash"]
        let long = String(repeating: "a long turn that fills pages ", count: 400)
        var requests: [(String, JSONObject)] = [("context.snapshot", ["session": "a"])]
        for turn in 0 ..< 20 {
            requests.append(("turn.append", ["session": "a", "role": turn % 2 == 0 ? "user" : "model", "text": .string(long)]))
        }
        let answers = harness.batch(requests)
        #expect(answers[0]["result"]?["hash"] == before)
        for answer in answers.dropFirst() {
            #expect(Harness.code(answer) == -32011)
            #expect(answer["error"]?["data"]?["reason"] == "full")
        }
        // The session is as the store holds it: before the batch.
        #expect(harness.call("context.snapshot", ["session": "a"])["result"]?["hash"] == before)
        #expect(harness.call("turn.append", ["session": "a", "role": "user", "text": "short"])["result"]?["version"] == 1)
    }

    /// One request's refusal does not fail its neighbours' writes (the reused-id open of defect 1 once
    /// crashed the engine, then made every change of its batch answer -32011).
    @Test func aRefusedOpenFailsOnlyItself() throws {
        let folder = try TemporaryFolder()
        let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
        harness.call("session.open", ["session": "a", "script": .string(script)])
        harness.call("turn.append", ["session": "a", "role": "user", "text": "first call"])
        harness.call("session.close", ["session": "a"])
        let answers = harness.batch([
            ("session.open", ["session": "b", "script": .string(script)]),
            ("session.open", ["session": "a", "script": .string(script)]),
            ("turn.append", ["session": "a", "role": "user", "text": "second call?"]),
            ("turn.append", ["session": "b", "role": "user", "text": "hello"]),
        ])
        #expect(answers[0]["result"] != nil)
        #expect(Harness.code(answers[1]) == -32003)
        #expect(Harness.code(answers[2]) == -32002)
        #expect(answers[3]["result"]?["version"] == 1)
    }
}
