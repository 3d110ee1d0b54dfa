import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing
import Tokenizer

/// Issue 15, finding 11: the log keeps the token counts the engine computed, so a rebuild folds it
/// without tokenizing every turn again; a log without counts (earlier releases) still folds.
@Suite struct StoredCountsTests {
    @Test func turnsAndSummariesAreLoggedWithTheirCounts() throws {
        let folder = try TemporaryFolder()
        var store: SQLiteSessionStore? = try SQLiteSessionStore(path: folder.path("s.db"))
        var harness: Harness? = Harness(store: store)
        harness!.call("session.open", ["session": "a", "script": .string(script)])
        let chunks = ["I'd like", " a quote for", " 40 square metres, don'", "t you think?"]
        for (index, chunk) in chunks.enumerated() {
            harness!.call("turn.append", ["session": "a", "role": "user", "text": .string(chunk), "final": .bool(index == chunks.count - 1)])
        }
        harness!.call("turn.append", ["session": "a", "role": "model", "text": "About nine thousand euros."])
        harness!.call("summary.set", ["session": "a", "text": "The client wants a quote."])
        harness!.call("instruction.push", ["session": "a", "text": "Mention the discount."])
        let hash = harness!.call("session.get", ["session": "a"])["result"]?["hash"]

        // Oracle: o200k's count of the whole turn text so far at each chunk.
        let o200k = try Tokenizers.named("o200k_base")
        var grown = ""
        var expected = [Int?]()
        for chunk in chunks {
            grown += chunk
            expected.append(o200k.count(grown))
        }
        expected += [o200k.count("About nine thousand euros."), o200k.count("The client wants a quote."), nil]
        let events = try store!.events(session: "a")
        #expect(events.map { $0.payload["tokens"]?.intValue } == expected)
        #expect(events.map(\.kind) == ["turn", "turn", "turn", "turn", "turn", "summary", "instruction"])

        // A new engine folds the counted log to the same hash; the same log without counts too.
        (harness, store) = (nil, nil)
        do {
            let again = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
            #expect(again.call("session.get", ["session": "a"])["result"]?["hash"] == hash)
        }
        let database = try SQLiteDatabase(path: folder.path("s.db"), create: false)
        try database.execute(#"UPDATE events SET events = replace(events, ',"tokens":', ',"was":')"#)
        let uncounted = try SQLiteSessionStore(path: folder.path("s.db"))
        #expect(try uncounted.events(session: "a").allSatisfy { $0.payload["tokens"] == nil })
        let old = Harness(store: uncounted)
        #expect(old.call("session.get", ["session": "a"])["result"]?["hash"] == hash)
        #expect(old.call("turn.append", ["session": "a", "role": "user", "text": "And?"])["result"]?["version"] == 8)
    }
}
