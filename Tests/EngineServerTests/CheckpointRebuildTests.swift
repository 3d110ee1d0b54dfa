import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing

/// Issue 15, finding 11: a long call is rebuilt from its newest checkpoint plus the events after it.
/// The oracle is the fold of the whole log: the same store file with its checkpoints deleted must
/// answer every later request byte for byte as the one rebuilt from a checkpoint.
@Suite struct CheckpointRebuildTests {
    static let script = "You are Ada, a sales agent for Solar Roofs. Be brief, friendly and concrete."

    /// ~2,300 events of a Gemini Live call: streamed turns, spoken turns, instructions, speech,
    /// completions, summaries, usage reports, a goAway; in batches of 100 requests.
    static func call(_ harness: Harness, exchanges: Int, from first: Int = 0) -> [JSONValue] {
        var answers = [JSONValue]()
        var requests = [(String, JSONObject)]()
        for k in first ..< first + exchanges {
            if k % 3 == 0 { requests.append(("instruction.push", ["session": "long", "text": .string("Mention offer \(k), kindly.")])) }
            requests.append(("client.speechStarted", ["session": "long"]))
            requests.append(("turn.append", ["session": "long", "role": "user", "text": .string("Well, number \(k) is"), "final": false]))
            requests.append(("turn.append", ["session": "long", "role": "user", "text": .string(" what I'd pick, wouldn't you?")]))
            if k % 2 == 0 {
                requests.append(("turn.append", ["session": "long", "role": "model", "text": .string("Sure: \(k) it is."), "audioMs": .int(Int64(900 + k % 700))]))
            } else {
                requests.append(("turn.append", ["session": "long", "role": "model", "text": .string("Panels for \(k) m² cost about \(k * 90) €.")]))
            }
            requests.append(("model.turnComplete", ["session": "long"]))
            if k % 50 == 49 { requests.append(("summary.set", ["session": "long", "text": .string("Up to exchange \(k): a quote.")])) }
            if k % 40 == 7 { requests.append(("usage.report", ["session": "long", "inputTokens": .int(Int64(20_000 + k % 5_000))])) }
            if k % 97 == 3 { requests.append(("resume.goAway", ["session": "long", "timeLeftMs": 5_000])) }
            if requests.count >= 100 {
                answers += harness.batch(requests)
                requests.removeAll()
            }
        }
        if !requests.isEmpty { answers += harness.batch(requests) }
        return answers
    }

    @Test func aRebuildFromTheCheckpointAnswersAsTheWholeLog() throws {
        let folder = try TemporaryFolder()
        do {
            let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
            let opened = harness.call("session.open", [
                "session": "long", "script": .string(Self.script), "provider": "gemini-live", "window": 6_000,
            ])
            #expect(opened["result"] != nil, "\(opened)")
            let answers = Self.call(harness, exchanges: 430)
            // Answers (notifications, such as provider.drift, have no id) are all results.
            let responses = answers.filter { $0["id"] != nil }
            #expect(responses.count > 2_000 && responses.allSatisfy { $0["result"] != nil }, "\(responses.first { $0["error"] != nil } ?? .null)")
        }
        let store = try SQLiteSessionStore(path: folder.path("s.db"))
        let events = try store.events(session: "long").count
        let checkpoint = try #require(try store.checkpoint(session: "long"))
        #expect(events > 2_000)
        #expect(checkpoint.seq == events / 1_000 * 1_000 || checkpoint.seq > events - 1_100, "checkpoint at \(checkpoint.seq) of \(events)")
        #expect(try store.events(session: "long", from: checkpoint.seq).map(\.seq) == Array(checkpoint.seq ..< events))

        // The oracle: a copy without checkpoints folds the whole log.
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: folder.path("s.db" + suffix)) {
            try FileManager.default.copyItem(atPath: folder.path("s.db" + suffix), toPath: folder.path("whole.db" + suffix))
        }
        try SQLiteDatabase(path: folder.path("whole.db"), create: false).execute("DELETE FROM checkpoints")
        // And the events the checkpoint holds are gone from the first file: only a rebuild from the
        // checkpoint can serve it (a whole fold would meet a gap and refuse).
        try SQLiteDatabase(path: folder.path("s.db"), create: false)
            .execute("DELETE FROM events WHERE first_seq + count <= \(checkpoint.seq)")
        #expect(throws: StoreError.self) { try store.events(session: "long") }
        let fromCheckpoint = Harness(store: store)
        let fromWholeLog = Harness(store: try SQLiteSessionStore(path: folder.path("whole.db")))
        let snapshot = fromCheckpoint.call("context.snapshot", ["session": "long"])["result"]
        #expect(snapshot == fromWholeLog.call("context.snapshot", ["session": "long"])["result"])
        #expect(snapshot?["hash"] != nil)
        let later = Self.call(fromCheckpoint, exchanges: 60, from: 430)
        let oracle = Self.call(fromWholeLog, exchanges: 60, from: 430)
        #expect(later.count == oracle.count)
        for (index, (answer, expected)) in zip(later, oracle).enumerated() where answer != expected {
            Issue.record("later request \(index): \(JSONWriter.string(answer)) instead of \(JSONWriter.string(expected))")
            break
        }
        let pages = [fromCheckpoint, fromWholeLog].map {
            $0.call("session.messages", ["session": "long", "after": 2_000, "limit": 50])
        }
        #expect(pages[0] == pages[1])
    }

    @Test func aCheckpointThatCannotBeReadOrDoesNotMatchIsPassedOverForTheWholeLog() throws {
        let folder = try TemporaryFolder()
        do {
            let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
            harness.call("session.open", ["session": "long", "script": .string(Self.script), "provider": "gemini-live", "window": 6_000])
            _ = Self.call(harness, exchanges: 200)
        }
        let hash = Harness(store: try SQLiteSessionStore(path: folder.path("s.db"))).call("context.snapshot", ["session": "long"])["result"]?["hash"]
        #expect(hash != nil)
        let database = try SQLiteDatabase(path: folder.path("s.db"), create: false)
        // Another format; then the format back but a turn's text changed (it folds to another hash).
        for damage in [
            #"UPDATE checkpoints SET state = replace(state, '"format":1', '"format":7')"#,
            #"UPDATE checkpoints SET state = replace(replace(state, '"format":7', '"format":1'), 'Sure: ', 'Sure! ')"#,
        ] {
            let before = try SQLiteSessionStore(readingOnly: folder.path("s.db")).checkpoint(session: "long")
            try database.execute(damage)
            let after = try SQLiteSessionStore(readingOnly: folder.path("s.db")).checkpoint(session: "long")
            #expect(before != nil && after != nil && before != after)
            let again = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
            let answer = again.call("context.snapshot", ["session": "long"])
            #expect(answer["result"]?["hash"] == hash, "\(answer)")
        }
    }
}
