import Foundation
import JSONWire
import Testing

/// `session.messages` pages through a transcript in both stores (part of the shared store suite:
/// SQLite here, PostgreSQL under scripts/test-postgres.sh), after a restart too.
extension StoreMethodsTests {
    @Test func aTranscriptIsReadThroughPagesInEveryStore() throws {
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments(instance: "a"))
        serve.send(RPC.open(1, session: "p"))
        for turn in 0 ..< 23 {
            serve.send(RPC.request(2 + turn, "turn.append", [
                "session": "p", "role": turn % 2 == 0 ? "user" : "model", "text": .string("turn \(turn)"),
            ]))
        }
        serve.closeInput()
        #expect(serve.finish().status == 0)

        // A restarted engine pages with limit 5: 5 answers, every message once, in order.
        var contents = [String]()
        var cursor: JSONValue = .null
        for page in 0 ..< 6 {
            let again = try ServeProcess(store.serveArguments(instance: "a"))
            var params: JSONObject = ["session": "p", "limit": 5]
            if cursor != .null { params["cursor"] = cursor }
            again.send(RPC.request(1, "session.messages", .object(params)))
            again.closeInput()
            let (status, lines, _) = again.finish()
            #expect(status == 0)
            let result = try #require(lines.first?.result, "\(lines)")
            contents += result["messages"]?.arrayValue?.compactMap { $0["content"]?.stringValue } ?? []
            cursor = result["nextCursor"] ?? .null
            if cursor == .null {
                #expect(page == 4)
                break
            }
        }
        #expect(contents == (0 ..< 23).map { "turn \($0)" })
    }
}
