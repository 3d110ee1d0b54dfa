import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing

/// An id names one conversation for good (docs/protocol.md, `session.open`): reopening it is refused
/// with -32003 and its status, and the old conversation stays readable — with and without a store.
@Suite struct SessionIdentityTests {
    @Test(arguments: ["none", "sqlite"])
    func aClosedIdIsNotReopened(store: String) throws {
        let folder = try TemporaryFolder()
        let harness = Harness(store: store == "none" ? nil : try SQLiteSessionStore(path: folder.path("s.db")))
        harness.call("session.open", ["session": "call-1", "script": .string(script)])
        harness.call("turn.append", ["session": "call-1", "role": "user", "text": "I would like a quote."])
        let closed = harness.call("session.close", ["session": "call-1", "status": "resolved"])
        #expect(closed["result"]?["status"] == "resolved")

        let again = harness.call("session.open", ["session": "call-1", "script": .string(script)])
        #expect(Harness.code(again) == -32003)
        #expect(again["error"]?["data"]?["status"] == "resolved")
        let open = harness.call("session.open", ["session": "call-1", "script": .string(script)])
        #expect(Harness.code(open) == -32003)
        // The old conversation is still there, unchanged: read again from the store; without one an
        // ended session leaves memory and only its id and status stay (docs/protocol.md, `session.get`).
        let get = harness.call("session.get", ["session": "call-1"])
        #expect(get["result"]?["status"] == "resolved")
        if store == "none" {
            #expect(get["result"]?["usage"] == nil)
        } else {
            #expect(get["result"]?["usage"]?["history"]?.intValue ?? 0 > 0)
        }
    }

    @Test func anOpenIdIsNotReopened() {
        let harness = Harness()
        harness.call("session.open", ["session": "a", "script": .string(script)])
        let again = harness.call("session.open", ["session": "a", "script": .string(script)])
        #expect(Harness.code(again) == -32003)
        #expect(again["error"]?["data"]?["status"] == "active")
    }

    /// After a restart the refusal comes from the store.
    @Test func aClosedIdIsRefusedByTheStoreAfterARestart() throws {
        let folder = try TemporaryFolder()
        do {
            let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
            harness.call("session.open", ["session": "a", "script": .string(script)])
            harness.call("session.close", ["session": "a"])
        }
        let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
        let again = harness.call("session.open", ["session": "a", "script": .string(script)])
        #expect(Harness.code(again) == -32003)
        #expect(again["error"]?["data"]?["status"] == "closed")
    }
}
