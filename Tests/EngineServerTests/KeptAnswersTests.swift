import Foundation
import JSONWire
import SessionStore
import Testing

@testable import EngineServer

/// Idempotency keys when one batch holds many of a session's keyed requests (a relay that pipelines):
/// if the engine dies after that batch's commit and before its answers are written out, the relay
/// retries every one of them, so every one must be kept — not only the last 16 (audit: 2,823 of
/// 3,000 pipelined turns applied twice after `kill -9`). Oracle: the answers the first engine gave,
/// byte for byte, and the transcript the restarted engine reads back.
@Suite struct KeptAnswersTests {
    static func turn(_ index: Int) -> (String, JSONObject) {
        ("turn.append", ["session": "p", "role": index % 2 == 0 ? "user" : "model", "text": .string("turn \(index)"),
                         "requestId": .string("q\(index)")])
    }

    @Test func everyAnswerOfTheLastBatchIsKeptAcrossARestart() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("s.db")
        var engine: Harness? = Harness(store: try SQLiteSessionStore(path: path))
        #expect(engine!.call("session.open", ["session": "p", "script": "You sell solar panels."])["result"] != nil)
        // One earlier batch of 20, then the batch whose answers never reached the relay.
        let early = engine!.batch((0 ..< 20).map(Self.turn))
        let lost = engine!.batch((20 ..< 420).map(Self.turn))
        #expect(lost.allSatisfy { $0["result"] != nil })
        engine = nil  // the engine dies; the store has the commit

        let restarted = Harness(store: try SQLiteSessionStore(path: path))
        let retried = restarted.batch((20 ..< 420).map(Self.turn))
        #expect(retried.count == 400)
        for (index, (answer, original)) in zip(retried, lost).enumerated() where answer["result"] != original["result"] {
            Issue.record("retry of q\(index + 20) answered anew: version \(answer["result"]?["version"] ?? .null)")
            break
        }
        // The 16 newest of the earlier batch are forgotten now (the batch after them kept its own):
        // a retry of one of those applies again, as the docs say.
        let old = restarted.batch([Self.turn(0)])
        #expect(old[0]["result"] != early[0]["result"])
        let messages = restarted.call("session.messages", ["session": "p", "limit": 500])
        #expect(messages["result"]?["messages"]?.arrayValue?.count == 421)
    }

    /// A retried `session.close` answers its original result — in the same batch, in a later one and
    /// after a restart — where it answered `-32002` (audit); a close with another id still does.
    @Test func aRetriedCloseAnswersItsOriginalResult() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("s.db")
        var engine: Harness? = Harness(store: try SQLiteSessionStore(path: path))
        #expect(engine!.call("session.open", ["session": "c", "script": "You sell solar panels."])["result"] != nil)
        let close: (String, JSONObject) = ("session.close", ["session": "c", "status": "resolved", "requestId": "end"])
        let answers = engine!.batch([close, close])
        let original = try #require(answers[0]["result"])
        #expect(original["status"] == "resolved" && answers[1]["result"] == original)
        #expect(engine!.call(close.0, close.1)["result"] == original)
        engine = nil
        let restarted = Harness(store: try SQLiteSessionStore(path: path))
        #expect(restarted.call(close.0, close.1)["result"] == original)
        let other = restarted.call("session.close", ["session": "c", "requestId": "other"])
        #expect(Harness.code(other) == -32002)
    }

    /// A close and its retry in one batch whose commit is refused (the file was moved under the
    /// engine, found at COMMIT): both answer the failure — the retry answered "closed" from a
    /// rebuild whose kept answer, read back inside the open transaction, looked committed (review
    /// of stop 36).
    @Test func aRetriedCloseFailsWithItsBatch() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("s.db")
        let engine = Harness(store: try SQLiteSessionStore(path: path))
        #expect(engine.call("session.open", ["session": "c", "script": "You sell solar panels."])["result"] != nil)
        let close = #"{"jsonrpc":"2.0","id":7,"method":"session.close","params":{"session":"c","requestId":"end"}}"#
        engine.service.beginBatch()
        for number in 1 ... 2 { Array(close.utf8).withUnsafeBufferPointer { engine.service.receive($0, number: number) } }
        try FileManager.default.moveItem(atPath: path, toPath: folder.path("moved.db"))
        let answers = engine.service.endBatch().map { try! JSONParser.parse(String(decoding: $0, as: UTF8.self)) }
        #expect(answers.count == 2)
        #expect(Harness.code(answers[0]) == -32016 && Harness.code(answers[1]) == -32016, "\(answers)")
    }
}

/// A session stored by a build before `coalescedOverLimit` (its policy JSON lacks the key) folds its
/// log as that build did (`cutEnd`), so it rebuilds to the hash it recorded instead of failing with
/// `-32014` after an upgrade (review of stop 36).
@Suite struct StoredPolicyDefaultsTests {
    @Test func aStoredCoalescingPolicyWithoutTheNewKeyRebuildsToItsHash() throws {
        let folder = try TemporaryFolder()
        let path = folder.path("s.db")
        let policy: JSONValue = ["preset": "strip-after-response",
                                 "instructions": ["pending": "coalesce", "maxTokens": 16, "coalescedOverLimit": "cutEnd"]]
        var version: JSONValue?
        do {
            let engine = Harness(store: try SQLiteSessionStore(path: path))
            #expect(engine.call("session.open", ["session": "c", "script": "You sell solar panels.", "policy": policy])["result"] != nil)
            for text in ["alpha beta gamma delta", "URGENT newest instruction", "LAST ONE", "close politely"] {
                #expect(engine.call("instruction.push", ["session": "c", "text": .string(text)])["result"] != nil)
            }
            // In the context now: the hash covers the coalesced text.
            version = engine.call("client.speechStarted", ["session": "c"])["result"]?["hash"]
            #expect(version != nil)
        }
        // As the earlier build stored it: the same policy without the key.
        let database = try SQLiteDatabase(path: path, create: false)
        try database.execute("UPDATE sessions SET configuration = replace(configuration, ',\"coalescedOverLimit\":\"cutEnd\"', '')")
        let stored = try #require(try database.statement("SELECT configuration FROM sessions").rows { try $0.text("configuration") }.first ?? nil)
        #expect(!stored.contains("coalescedOverLimit") && stored.contains("coalesce"), "\(stored)")
        let restarted = Harness(store: try SQLiteSessionStore(path: path))
        let got = restarted.call("session.get", ["session": "c"])
        #expect(got["result"]?["hash"] == version, "\(got)")
        // A new session's policy spells the key out, so it keeps what it was opened with.
        let opened = restarted.call("session.open", ["session": "d", "script": "x", "policy": ["instructions": ["pending": "coalesce"]]])
        #expect(opened["result"]?["policy"]?["instructions"]?["coalescedOverLimit"] == "dropOldest")
    }
}
