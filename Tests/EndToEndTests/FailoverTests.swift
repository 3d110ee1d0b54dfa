import Foundation
import JSONWire
import Testing

/// Two engines on one PostgreSQL database: a call whose engine dies resumes on the other with every
/// answered turn, and an engine that lost a session cannot write to it any more. Runs under
/// scripts/test-postgres.sh (an SQLite file has one engine, so there is nothing to fail over);
/// elsewhere the suite is reported skipped.
@Suite(.enabled(if: TestStore.isPostgres, "needs PostgreSQL: scripts/test-postgres.sh runs the failover tests"))
struct FailoverTests {
    /// Sends `line` and waits for its answer (by id) among everything the engine has written.
    static func ask(_ serve: ServeProcess, _ line: String, id: Int, seconds: Double = 20) -> JSONValue? {
        serve.send(line)
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let answer = serve.lines().first(where: { $0["id"]?.intValue == id }) { return answer }
            usleep(5_000)
        }
        return nil
    }

    /// `session.resume` on `serve`, retried while another engine's lease is still live (-32013).
    static func resume(_ serve: ServeProcess, _ session: String, firstID: Int) -> (JSONValue?, Int) {
        var id = firstID
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let answer = ask(serve, RPC.request(id, "session.resume", ["session": .string(session)]), id: id)
            id += 1
            if answer?.errorCode == -32013 {
                usleep(200_000)
                continue
            }
            return (answer, id)
        }
        return (nil, id)
    }

    @Test func callsOfAKilledEngineResumeOnTheOtherWithEveryAnsweredTurn() throws {
        let store = try TestStore()
        let a = try ServeProcess(store.serveArguments(instance: "engine-a", ["--lease-seconds", "1"]))
        let b = try ServeProcess(store.serveArguments(instance: "engine-b", ["--lease-seconds", "1"]))
        let engines = [a, b]
        var nextID = [1, 1]
        var lastHash: [String: String] = [:]
        var answeredTurns: [String: [String]] = [:]
        // Ten calls spread over both engines, each with turns and a manager instruction.
        for call in 0 ..< 10 {
            let engine = call % 2, session = "call-\(call)"
            func send(_ method: String, _ params: JSONObject) {
                var all: JSONObject = ["session": .string(session)]
                for member in params.members { all[member.key] = member.value }
                engines[engine].send(RPC.request(nextID[engine], method, .object(all)))
                nextID[engine] += 1
            }
            engines[engine].send(RPC.open(nextID[engine], session: session))
            nextID[engine] += 1
            for exchange in 0 ..< 3 {
                send("instruction.push", ["text": .string("Note \(exchange) for \(session)")])
                send("client.speechStarted", [:])
                send("turn.append", ["role": "user", "text": .string("Question \(exchange) in \(session)")])
                send("turn.append", ["role": "model", "text": .string("Answer \(exchange) in \(session)")])
                send("model.turnComplete", [:])
            }
        }
        for (index, engine) in engines.enumerated() {
            let lines = engine.waitForLines(nextID[index] - 1)
            #expect(lines.count == nextID[index] - 1)
            #expect(lines.allSatisfy { $0.result != nil }, "\(lines.filter { $0.result == nil })")
        }
        // What A answered, per session: the last hash and the turns it confirmed.
        for (index, engine) in engines.enumerated() {
            for line in engine.lines() {
                guard let result = line.result, let session = result["session"]?.stringValue else { continue }
                if let hash = result["hash"]?.stringValue { lastHash[session] = hash }
                for item in result["delta"]?["added"]?.arrayValue ?? [] where item["kind"]?.stringValue == "turn" {
                    answeredTurns[session, default: []].append(item["text"]!.stringValue!)
                }
            }
            _ = index
        }
        kill(a.process.processIdentifier, SIGKILL)
        _ = a.finish(seconds: 10)

        // A's calls resume on B once A's lease has run out, with everything A answered.
        var id = 1_000
        for call in stride(from: 0, to: 10, by: 2) {
            let session = "call-\(call)"
            let (answer, next) = Self.resume(b, session, firstID: id)
            id = next
            let resumed = try #require(answer?.result, "\(session): \(String(describing: answer))")
            #expect(resumed["hash"]?.stringValue == lastHash[session], "\(session): the rebuilt context differs")
            let messages = Self.ask(b, RPC.request(id, "session.messages", ["session": .string(session), "limit": 500]), id: id)
            id += 1
            let turns = (messages?.result?["messages"]?.arrayValue ?? [])
                .filter { $0["type"]?.stringValue == "user" || $0["type"]?.stringValue == "model" }
                .map { $0["content"]!.stringValue! }
            #expect(turns == answeredTurns[session], "\(session): answered turns missing after failover")
            // And the call goes on there.
            let more = Self.ask(b, RPC.request(id, "turn.append", ["session": .string(session), "role": "user", "text": "Still there?"]), id: id)
            id += 1
            #expect(more?.result?["delta"] != nil, "\(String(describing: more))")
        }
        b.closeInput()
        #expect(b.finish().status == 0)
    }

    @Test func aStaleEnginesLateWritesAreRefused() throws {
        let store = try TestStore()
        let stale = try ServeProcess(store.serveArguments(instance: "engine-c", ["--lease-seconds", "1"]))
        let fresh = try ServeProcess(store.serveArguments(instance: "engine-d", ["--lease-seconds", "1"]))
        #expect(Self.ask(stale, RPC.open(1, session: "s"), id: 1)?.result != nil)
        #expect(Self.ask(stale, RPC.request(2, "turn.append", ["session": "s", "role": "user", "text": "first"]), id: 2)?.result != nil)
        // While the engine is held between instructions (a GC pause, a frozen VM), its lease runs out.
        kill(stale.process.processIdentifier, SIGSTOP)
        usleep(1_500_000)
        let (taken, _) = Self.resume(fresh, "s", firstID: 1)
        #expect(taken?.result?["status"]?.stringValue == "active", "\(String(describing: taken))")
        #expect(Self.ask(fresh, RPC.request(50, "turn.append", ["session": "s", "role": "model", "text": "second"]), id: 50)?.result != nil)
        kill(stale.process.processIdentifier, SIGCONT)
        // The stale engine still has the session in memory; its write is refused, not merged.
        let late = Self.ask(stale, RPC.request(3, "turn.append", ["session": "s", "role": "model", "text": "late"]), id: 3)
        #expect(late?.errorCode == -32013, "\(String(describing: late))")
        let messages = Self.ask(fresh, RPC.request(51, "session.messages", ["session": "s"]), id: 51)
        #expect(messages?.result?["messages"]?.arrayValue?.map { $0["content"]!.stringValue! } == ["first", "second"])
        // And the new owner keeps writing.
        #expect(Self.ask(fresh, RPC.request(52, "turn.append", ["session": "s", "role": "user", "text": "third"]), id: 52)?.result != nil)
        stale.closeInput()
        fresh.closeInput()
        #expect(stale.finish().status == 0)
        #expect(fresh.finish().status == 0)
    }

    /// The server drops the engine's connection (a restart, a failover, a network cut): what was
    /// answered stays, a request that meets the dead connection gets a clear error, and the engine
    /// reconnects by itself. (The server itself is not restarted: the other suites share it.)
    @Test func theEngineReconnectsWhenTheServerDropsItsConnection() throws {
        let socket = try #require(TestStore.postgresSocketDirectory)
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments(instance: "engine-r"))
        #expect(Self.ask(serve, RPC.open(1, session: "r"), id: 1)?.result != nil)
        #expect(Self.ask(serve, RPC.request(2, "turn.append", ["session": "r", "role": "user", "text": "before"]), id: 2)?.result != nil)
        // postgres://postgres@/<database>?host=<socket folder>
        let afterHost = store.location.components(separatedBy: "@/")[1]
        let database = afterHost.components(separatedBy: "?")[0]
        let terminate = Process()
        terminate.executableURL = URL(fileURLWithPath: try TestStore.postgresTool("psql"))
        terminate.arguments = ["-h", socket, "-U", "postgres", "-d", "postgres", "-tAc",
                               "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '\(database)'"]
        let output = Pipe()
        terminate.standardOutput = output
        try terminate.run()
        terminate.waitUntilExit()
        let terminated = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(terminated.trimmingCharacters(in: .whitespacesAndNewlines) == "1", "connections ended: \(terminated)")
        // The first request after it may meet the dead connection (-32011, nothing stored) or a
        // fresh one; the ones after it must succeed.
        let during = Self.ask(serve, RPC.request(3, "turn.append", ["session": "r", "role": "model", "text": "during"]), id: 3)
        #expect(during?.result != nil || during?.errorCode == -32011, "\(String(describing: during))")
        let after = Self.ask(serve, RPC.request(4, "turn.append", ["session": "r", "role": "user", "text": "after"]), id: 4)
        #expect(after?.result != nil, "\(String(describing: after))")
        let messages = Self.ask(serve, RPC.request(5, "session.messages", ["session": "r"]), id: 5)
        let contents = messages?.result?["messages"]?.arrayValue?.map { $0["content"]!.stringValue! } ?? []
        #expect(contents == (during?.result != nil ? ["before", "during", "after"] : ["before", "after"]), "\(contents)")
        serve.closeInput()
        #expect(serve.finish().status == 0)
    }
}
