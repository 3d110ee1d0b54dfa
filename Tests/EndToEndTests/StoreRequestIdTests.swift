import Foundation
import JSONWire
import Testing

/// Idempotency keys (`requestId`, docs/protocol.md) over real pipes. In `StoreMethodsTests`, so that
/// scripts/test-postgres.sh runs them on PostgreSQL too. Oracle: the original answer, byte for byte,
/// and the transcript a restarted engine reads back (each change stored once).
extension StoreMethodsTests {
    static func keyedTurn(_ id: Int, _ session: String, _ text: String, requestID: String) -> String {
        RPC.request(id, "turn.append", [
            "session": .string(session), "role": "user", "text": .string(text), "requestId": .string(requestID),
        ])
    }

    @Test func aRetriedRequestIDAnswersTheOriginalResultAlsoAfterARestart() throws {
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments(instance: "a"))
        serve.send(RPC.open(1, session: "k", extra: ["requestId": "open-1"]))
        serve.send(Self.keyedTurn(2, "k", "hello", requestID: "t-1"))
        let first = serve.waitForLines(2)
        serve.send(Self.keyedTurn(3, "k", "hello", requestID: "t-1"))                    // a retry, later batch
        serve.send(RPC.open(4, session: "k", extra: ["requestId": "open-1"]))             // a retried open
        serve.send(Self.keyedTurn(5, "k", "hello", requestID: "t-1") + "\n" + Self.keyedTurn(6, "k", "x", requestID: "t-1"))
        serve.closeInput()
        let (status, lines, stderr) = serve.finish()
        #expect(status == 0, "\(stderr)")
        #expect(first.count == 2 && lines.count == 6)
        guard first.count == 2, lines.count == 6 else { return }
        let original = try #require(first[1].result)
        #expect(lines[2].result == original && lines[2]["id"] == 3)
        #expect(lines[3].result == first[0].result)
        #expect(lines[4].result == original && lines[5].result == original)

        let restarted = try ServeProcess(store.serveArguments(instance: "a"))
        restarted.send(Self.keyedTurn(1, "k", "hello", requestID: "t-1"))
        restarted.send(Self.keyedTurn(2, "k", "again", requestID: "t-2"))
        restarted.send(RPC.request(3, "session.messages", ["session": "k"]))
        restarted.closeInput()
        let (status2, after, stderr2) = restarted.finish()
        #expect(status2 == 0, "\(stderr2)")
        #expect(after.count == 3)
        guard after.count == 3 else { return }
        #expect(after[0].result == original)
        #expect(after[1].result?["version"]?.intValue == (original["version"]?.intValue ?? 0) + 1)
        let contents = after[2].result?["messages"]?.arrayValue?.compactMap { $0["content"]?.stringValue }
        #expect(contents == ["hello", "again"])
    }

    @Test func onlyTheLast16AnswersAreKeptAndAFailedRequestKeepsNothing() throws {
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments(instance: "a"))
        serve.send(RPC.open(1, session: "b"))
        // r0 answered first, so that it is of an earlier batch than the 16 after it: every answer of
        // the batch being applied is kept, however many (`KeptAnswersTests`).
        serve.send(Self.keyedTurn(2, "b", "turn 0", requestID: "r0"))
        _ = serve.waitForLines(2)
        for index in 1 ..< 17 { serve.send(Self.keyedTurn(index + 2, "b", "turn \(index)", requestID: "r\(index)")) }
        _ = serve.waitForLines(18)
        serve.send(Self.keyedTurn(19, "b", "turn 1", requestID: "r1"))       // kept: the original answer
        serve.send(Self.keyedTurn(20, "b", "turn 0", requestID: "r0"))       // forgotten (17 > 16): applied again
        serve.send(RPC.request(21, "turn.append", ["session": "b", "role": "wizard", "text": "x", "requestId": "bad"]))
        serve.send(Self.keyedTurn(22, "b", "fixed", requestID: "bad"))         // the failed one kept nothing
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count == 22)
        guard lines.count == 22 else { return }
        #expect(lines[18].result == lines[2].result)
        let last = try #require(lines[17].result?["version"]?.intValue)
        #expect(lines[19].result?["version"]?.intValue == last + 1)
        #expect(lines[20].errorCode == -32602)
        #expect(lines[21].result?["version"]?.intValue == last + 2)
    }
}
