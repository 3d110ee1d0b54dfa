import Foundation
import JSONWire
import Testing

/// The store's methods over real pipes: resumption plans, lifecycle and conversation figures, the
/// queries, and what survives a restart. Part of the shared store suite: SQLite by default,
/// PostgreSQL under scripts/test-postgres.sh (`TestStore`).
@Suite struct StoreMethodsTests {
    static func goAway(_ id: Int, _ session: String) -> String {
        RPC.request(id, "resume.goAway", ["session": .string(session), "timeLeftMs": 50_000])
    }

    @Test func goAwayPlansReconnectThenReseedThenEnd() throws {
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments(instance: "a", ["--max-reconnect-attempts", "2", "--reconnect-delay-ms", "250"]))
        serve.send(RPC.open(1, session: "r"))
        serve.send(RPC.request(2, "turn.append", ["session": "r", "role": "user", "text": "Is it sunny there?"]))
        serve.send(Self.goAway(3, "r"))                                                   // no handle yet
        serve.send(RPC.request(4, "resume.update", ["session": "r", "handle": "h1", "resumable": true]))
        serve.send(Self.goAway(5, "r"))                                                   // attempt 1 of 2
        serve.send(Self.goAway(6, "r"))                                                   // attempt 2 of 2
        serve.send(Self.goAway(7, "r"))                                                   // attempts used
        serve.send(RPC.request(8, "resume.connected", ["session": "r"]))
        serve.send(RPC.request(9, "resume.update", ["session": "r", "handle": "h2", "resumable": true]))
        serve.send(Self.goAway(10, "r"))                                                  // attempt 1 again, h2
        serve.send(RPC.request(11, "resume.update", ["session": "r", "handle": "h3", "resumable": false]))
        serve.send(Self.goAway(12, "r"))                                                  // not resumable
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count == 12)
        let reseed = try #require(lines[2].result)
        #expect(reseed["action"]?.stringValue == "reseed")
        #expect(reseed["reason"]?.stringValue == "no resumable handle")
        #expect(reseed["hash"] == lines[1].result?["hash"])
        #expect(reseed["snapshot"]?["items"]?.arrayValue?.count == 2)  // script + the user turn
        for (index, attempt) in [(4, 1), (5, 2)] {
            let plan = try #require(lines[index].result)
            #expect(plan["action"]?.stringValue == "reconnect")
            #expect(plan["handle"]?.stringValue == "h1")
            #expect(plan["attempt"]?.intValue == attempt && plan["maxAttempts"]?.intValue == 2)
            #expect(plan["delayMs"]?.intValue == 250)
        }
        #expect(lines[6].result?["action"]?.stringValue == "reseed")
        #expect(lines[6].result?["reason"]?.stringValue == "2 reconnect attempts used")
        #expect(lines[7].result?["attempts"]?.intValue == 0)
        #expect(lines[9].result?["handle"]?.stringValue == "h2")
        #expect(lines[9].result?["attempt"]?.intValue == 1)
        #expect(lines[11].result?["action"]?.stringValue == "reseed")

        // After a restart the handle and the attempts are still there, and a closed session ends.
        let again = try ServeProcess(store.serveArguments(instance: "a"))
        again.send(RPC.request(1, "resume.update", ["session": "r", "handle": "h4", "resumable": true]))
        again.send(Self.goAway(2, "r"))
        again.send(RPC.request(3, "session.close", ["session": "r"]))
        again.send(Self.goAway(4, "r"))
        again.closeInput()
        let (againStatus, afterRestart, _) = again.finish()
        #expect(againStatus == 0)
        #expect(afterRestart[1].result?["action"]?.stringValue == "reconnect", "\(afterRestart)")
        #expect(afterRestart[1].result?["attempt"]?.intValue == 2, "attempt 1 of h2 was stored before the restart")
        #expect(afterRestart[3].result?["action"]?.stringValue == "end")
    }

    /// Canonically equivalent ids (`café` composed and decomposed) are two sessions in one batch too:
    /// each keeps its own transcript and counters in the store. (PostgreSQL's write buffer keyed rows
    /// by `String`, whose `==` is canonical equivalence, so one session's records overwrote the other's.)
    @Test func canonicallyEquivalentIdsInOneBatchAreStoredApart() throws {
        let store = try TestStore()
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        let serve = try ServeProcess(store.serveArguments())
        let lines = [
            RPC.open(1, session: composed), RPC.open(2, session: decomposed),
            RPC.request(3, "turn.append", ["session": .string(composed), "role": "user", "text": "composed"]),
            RPC.request(4, "turn.append", ["session": .string(decomposed), "role": "user", "text": "decomposed"]),
            RPC.request(5, "turn.append", ["session": .string(decomposed), "role": "model", "text": "and more"]),
        ]
        serve.sendRaw(Data(lines.map { $0 + "\n" }.joined().utf8))  // one write: one batch
        serve.closeInput()
        let (status, answers, stderr) = serve.finish()
        #expect(status == 0 && answers.count == lines.count, "\(stderr)")
        for answer in answers { #expect(answer.result != nil, "\(JSONWriter.string(answer).prefix(300))") }

        let reader = try ServeProcess(store.serveArguments())
        for (index, id) in [composed, decomposed].enumerated() {
            reader.send(RPC.request(2 * index + 1, "session.messages", ["session": .string(id)]))
            reader.send(RPC.request(2 * index + 2, "session.get", ["session": .string(id)]))
        }
        reader.closeInput()
        let (_, read, _) = reader.finish()
        func contents(_ line: Int) -> [String] {
            (read[line].result?["messages"]?.arrayValue ?? []).compactMap { $0["content"]?.stringValue }
        }
        #expect(contents(0) == ["composed"])
        #expect(read[1].result?["messageCount"]?.intValue == 1)
        #expect(contents(2) == ["decomposed", "and more"])
        #expect(read[3].result?["messageCount"]?.intValue == 2)
    }

    @Test func staleHandlesReseed() throws {
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments(["--handle-validity", "0.2"]))
        serve.send(RPC.open(1, session: "s"))
        serve.send(RPC.request(2, "resume.update", ["session": "s", "handle": "old", "resumable": true]))
        #expect(serve.waitForLines(2).count == 2)
        usleep(400_000)
        serve.send(Self.goAway(3, "s"))
        serve.closeInput()
        let (_, lines, _) = serve.finish()
        #expect(lines.last?.result?["action"]?.stringValue == "reseed")
        #expect(lines.last?.result?["reason"]?.stringValue?.hasPrefix("the handle is older than") == true)
    }

    @Test func lifecycleFiguresAndQueries() throws {
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments())
        var id = 0
        func send(_ method: String, _ params: JSONObject) {
            id += 1
            serve.send(RPC.request(id, method, .object(params)))
        }
        func open(_ session: String) {
            id += 1
            serve.send(RPC.open(id, session: session, extra: ["business": "acme", "user": "u1", "location": "rome"]))
        }
        func turn(_ session: String, _ role: String, _ text: String) {
            send("turn.append", ["session": .string(session), "role": .string(role), "text": .string(text)])
        }
        open("s1"); turn("s1", "user", "Hi"); turn("s1", "model", "Hello!")
        send("session.close", ["session": "s1", "status": "resolved"])                        // 4
        open("s2"); turn("s2", "user", "Price?")
        send("session.close", ["session": "s2"])                                               // 7
        open("s3"); turn("s3", "user", "Again me"); turn("s3", "model", "Welcome back")
        // Queries in the same input chunk as the events: they must see the events' counters.
        send("sessions.active", ["business": "acme", "user": "u1"])                            // 11
        send("sessions.history", ["business": "acme", "user": "u1", "limit": 2])               // 12
        send("sessions.history", ["business": "acme", "user": "u1"])                           // 13
        send("sessions.stats", [:])                                                            // 14
        send("session.messages", ["session": "s1", "limit": 1])                                // 15
        send("session.get", ["session": "s1"])                                                 // 16
        send("sessions.history", ["business": "acme", "limit": 101])                           // 17
        send("sessions.active", ["business": "nobody"])                                        // 18
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count == 18)
        let figures = try #require(lines[3].result?["figures"])
        #expect(figures["messages"]?.intValue == 2)
        #expect((figures["durationSeconds"]?.doubleValue ?? -1) >= 0)
        let active = try #require(lines[10].result?["session"])
        #expect(active["id"]?.stringValue == "s3")
        #expect(active["messageCount"]?.intValue == 2)
        let lastMessage = try #require(active["lastMessageAt"]?.doubleValue)
        #expect(active["expiresAt"]?.doubleValue == lastMessage + 1_800)
        #expect(lines[11].result?["sessions"]?.arrayValue?.map { $0["id"]!.stringValue! } == ["s3", "s2"])
        #expect(lines[12].result?["sessions"]?.arrayValue?.map { $0["id"]!.stringValue! } == ["s3", "s2", "s1"])
        let stats = try #require(lines[13].result?["byStatus"])
        #expect(stats["resolved"]?["count"]?.intValue == 1 && stats["resolved"]?["averageMessages"]?.doubleValue == 2)
        #expect(stats["closed"]?["count"]?.intValue == 1 && stats["closed"]?["averageMessages"]?.doubleValue == 1)
        #expect(stats["active"]?["count"]?.intValue == 1 && stats["abandoned"]?["count"]?.intValue == 0)
        #expect(lines[14].result?["messages"]?.arrayValue?.map { $0["content"]!.stringValue! } == ["Hi"])
        #expect(lines[15].result?["status"]?.stringValue == "resolved")
        #expect(lines[15].result?["locationId"]?.stringValue == "rome")
        #expect(lines[15].result?["figures"]?["messages"]?.intValue == 2)
        #expect(lines[15].result?["expiresAt"] == .null)
        #expect(lines[16].errorCode == -32602)
        #expect(lines[17].result?["session"] == .null)
    }

    @Test func abandonedSessionsAreStoredAsAbandoned() throws {
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments(["--idle-timeout", "0.3"]))
        serve.send(RPC.open(1, session: "quiet"))
        #expect(serve.waitForLines(2, seconds: 10).count >= 2)  // the answer, then the notification
        serve.send(RPC.request(2, "sessions.stats", [:]))
        serve.send(RPC.request(3, "session.get", ["session": "quiet"]))
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        let answers = lines.filter { $0["id"] != nil }
        #expect(answers[1].result?["byStatus"]?["abandoned"]?["count"]?.intValue == 1)
        #expect(answers[2].result?["status"]?.stringValue == "abandoned")
    }

    @Test func queriesReadTheStoreBesideARunningEngine() throws {
        let store = try TestStore()
        let path = store.location
        let serve = try ServeProcess(store.serveArguments())
        serve.send(RPC.open(1, session: "cli", extra: ["business": "acme", "user": "u9"]))
        serve.send(RPC.request(2, "turn.append", ["session": "cli", "role": "user", "text": "Hello", "metadata": ["pitch": 220]]))
        serve.send(RPC.request(3, "turn.append", ["session": "cli", "role": "model", "text": "Hi!"]))
        #expect(serve.waitForLines(3).count == 3)
        func run(_ arguments: [String]) throws -> JSONValue {
            let process = Process()
            process.executableURL = ServeProcess.executable
            process.arguments = arguments + ["--store", path]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            return try JSONParser.parse([UInt8](data))
        }
        let messages = try run(["sessions", "messages", "cli"])["messages"]?.arrayValue ?? []
        #expect(messages.map { $0["content"]?.stringValue } == ["Hello", "Hi!"])
        #expect(messages.first?["metadata"]?["value"]?["pitch"]?.intValue == 220)
        #expect(try run(["sessions", "active", "--business", "acme", "--user", "u9"])["session"]?["id"]?.stringValue == "cli")
        let stats = try run(["sessions", "stats"])["byStatus"]
        #expect(stats?["active"]?["count"]?.intValue == 1)
        #expect(stats?["resolved"]?["count"]?.intValue == 0, "every status is listed, as over the protocol")
        serve.closeInput()
        #expect(serve.finish().status == 0)
    }
}
