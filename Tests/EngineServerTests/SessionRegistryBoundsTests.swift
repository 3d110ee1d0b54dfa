@testable import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing

/// Issue 15, finding 8, in the process: ended sessions leave the registry. With a store they are
/// read again when named (and not kept); without one a tombstone keeps the id from being reused.
@Suite struct SessionRegistryBoundsTests {
    @Test(arguments: ["none", "sqlite"])
    func endedSessionsLeaveMemory(store: String) throws {
        let folder = try TemporaryFolder()
        let harness = Harness(store: store == "none" ? nil : try SQLiteSessionStore(path: folder.path("s.db")), idleTimeout: 60)
        for call in 0 ..< 300 {
            let id = JSONValue.string("c\(call)")
            let answers = harness.batch([
                ("session.open", ["session": id, "script": .string(script)]),
                ("turn.append", ["session": id, "role": "user", "text": "A quote, please."]),
                ("session.close", ["session": id, "status": call % 2 == 0 ? "closed" : "resolved"]),
            ])
            #expect(answers.allSatisfy { $0["result"] != nil }, "\(answers)")
        }
        // Idle ones are abandoned and leave too.
        harness.call("session.open", ["session": "idle", "script": .string(script)])
        harness.advance(61)
        #expect(harness.service.expireIdleSessions().count == 1)
        #expect(harness.service.registry.sessions.isEmpty)

        // Still answered: the status, the record with a store; ids never reused.
        let get = harness.call("session.get", ["session": "c1"])
        #expect(get["result"]?["status"] == "resolved")
        #expect(Harness.code(harness.call("session.open", ["session": "c1", "script": .string(script)])) == -32003)
        #expect(Harness.code(harness.call("session.open", ["session": "idle", "script": .string(script)])) == -32003)
        #expect(Harness.code(harness.call("turn.append", ["session": "c2", "role": "user", "text": "?"])) == -32002)
        if store == "sqlite" {
            #expect(get["result"]?["messageCount"] == 1)
            #expect(get["result"]?["hash"] == get["result"]?["snapshotHash"])
            let messages = harness.call("session.messages", ["session": "c1"])
            #expect(messages["result"]?["messages"]?.arrayValue?.first?["content"] == "A quote, please.")
            // Reading it did not bring it back; resuming an abandoned one does.
            #expect(harness.service.registry.sessions.isEmpty)
            #expect(harness.call("session.resume", ["session": "idle"])["result"]?["status"] == "active")
            #expect(harness.service.registry.sessions.count == 1)
            #expect(harness.call("turn.append", ["session": "idle", "role": "user", "text": "back"])["result"]?["version"] == 1)
        } else {
            #expect(Harness.code(harness.call("session.resume", ["session": "idle"])) == -32002)
        }
    }

    /// A session closed in the same batch as its events, then named again in that batch: it is read
    /// from the store with the batch's events (flushed first), not refused as a log that does not match.
    @Test func aSessionClosedAndReadInOneBatch() throws {
        let folder = try TemporaryFolder()
        let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
        let answers = harness.batch([
            ("session.open", ["session": "a", "script": .string(script)]),
            ("turn.append", ["session": "a", "role": "user", "text": "Hello there."]),
            ("session.close", ["session": "a"]),
            ("session.get", ["session": "a"]),
            ("context.snapshot", ["session": "a"]),
        ])
        #expect(answers[3]["result"]?["status"] == "closed", "\(answers[3])")
        #expect(answers[3]["result"]?["hash"] == answers[1]["result"]?["hash"])
        #expect(answers[4]["result"]?["hash"] == answers[1]["result"]?["hash"])
    }
}
