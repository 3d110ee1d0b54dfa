import Foundation
import JSONWire
import Testing

/// `tokenbudget sessions list|export|purge` and `serve --export-dir` (issue 18, "Sessions as people
/// use them"), on the built binary and a store made by `serve`: sessions closed, resolved, abandoned
/// by idle expiry and still active, with unicode and hostile ids, one of 1,200 messages (three
/// export pages). Part of the shared store suite (`TestStore`); the lock test is SQLite's.
@Suite struct SessionsCLITests {
    static let hostile = "../../etc/passwd\n%2F"
    static let withNUL = "nul\u{0}id"
    static let unicode = "résumé 日本語 ✓"
    static let long = String(repeating: "ü/", count: 150)
    static let big = "big"
    static let bigTurns = 1_200

    /// A store with sessions in every status, and the folder `serve --export-dir` wrote to.
    final class Fixture: @unchecked Sendable {
        let store: TestStore
        let exports: URL
        /// Ended sessions, by status.
        let ended: [String: String]
        let active = ["still-active"]

        init() throws {
            store = try TestStore()
            exports = FileManager.default.temporaryDirectory.appendingPathComponent("tb-exports-\(UUID())/nested")
            // 1. A session abandoned by idle expiry (a short timeout; nothing else open then).
            let idle = try ServeProcess(store.serveArguments(["--export-dir", exports.path, "--idle-timeout", "0.5"]))
            idle.send(RPC.open(1, session: "gone-idle"))
            idle.send(RPC.request(2, "turn.append", ["session": "gone-idle", "role": "user", "text": "Anyone there?"]))
            let abandoned = idle.waitForLines(3, seconds: 20)
            idle.closeInput()
            let idleEnd = idle.finish()
            guard idleEnd.status == 0, abandoned.contains(where: { $0["method"] == "session.abandoned" }) else {
                throw StoreSetupError("no abandonment: \(abandoned) \(idleEnd.stderr)")
            }
            // 2. Closed, resolved and active sessions, with owners for the filters.
            let serve = try ServeProcess(store.serveArguments(["--export-dir", exports.path]))
            var id = 10
            func send(_ method: String, _ params: JSONValue) {
                id += 1
                serve.send(RPC.request(id, method, params))
            }
            func open(_ session: String, business: String?, user: String?) {
                id += 1
                var extra: JSONObject = [:]
                if let business { extra["business"] = .string(business) }
                if let user { extra["user"] = .string(user) }
                serve.send(RPC.open(id, session: session, extra: extra))
                // Distinct creation times, so that "newest first" has one answer.
                usleep(20_000)
            }
            var plan: [(String, String?, String?, String?)] = [
                ("plain", "B1", "U1", "closed"), (SessionsCLITests.unicode, "B1", "U2", "resolved"),
                (SessionsCLITests.hostile, "B2", "U1", "closed"), (".hidden", nil, nil, "closed"),
                (SessionsCLITests.long, "B2", "U2", "closed"), ("still-active", "B1", "U1", nil),
            ]
            // PostgreSQL text cannot hold U+0000 (docs/protocol.md): that id is SQLite's.
            if !TestStore.isPostgres { plan.insert((SessionsCLITests.withNUL, "B2", nil, "resolved"), at: 3) }
            var ended: [String: String] = [:]
            for (session, business, user, status) in plan {
                open(session, business: business, user: user)
                send("turn.append", ["session": .string(session), "role": "user", "text": .string("Hello from \(session)")])
                send("instruction.push", ["session": .string(session), "text": "Offer the annual plan."])
                send("turn.append", ["session": .string(session), "role": "model", "text": "Sure — the annual plan saves 20 %."])
                send("model.turnComplete", ["session": .string(session)])
                if let status {
                    send("session.close", ["session": .string(session), "status": .string(status)])
                    ended[session] = status
                }
            }
            open(SessionsCLITests.big, business: "B3", user: nil)
            for turn in 0 ..< SessionsCLITests.bigTurns {
                send("turn.append", ["session": .string(SessionsCLITests.big), "role": turn % 2 == 0 ? "user" : "model",
                                     "text": .string("turn \(turn): \(String(repeating: "words ", count: 5))")])
            }
            send("session.close", ["session": .string(SessionsCLITests.big)])
            ended[SessionsCLITests.big] = "closed"
            ended["gone-idle"] = "abandoned"
            self.ended = ended
            serve.closeInput()
            let result = serve.finish()
            let errors = result.lines.filter { $0["error"] != nil }
            guard result.status == 0, errors.isEmpty else { throw StoreSetupError("serve: \(errors.prefix(3)) \(result.stderr)") }
        }

        deinit { try? FileManager.default.removeItem(at: exports.deletingLastPathComponent()) }

        var all: [String] { Array(ended.keys) + active }

        /// `tokenbudget sessions …` on this store; fails the test on a non-zero status.
        func sessions(_ arguments: [String]) throws -> String {
            let result = try CLIConventionsTests.run(["sessions"] + arguments + ["--store", store.location])
            #expect(result.status == 0, "sessions \(arguments): \(result.err)")
            return result.out
        }

        func json(_ arguments: [String]) throws -> JSONValue { try JSONParser.parse(try sessions(arguments)) }

        func ids(_ arguments: [String]) throws -> [String] {
            try #require(try json(["list"] + arguments)["sessions"]?.arrayValue).compactMap { $0["id"]?.stringValue }
        }
    }

    /// Built once for the read-only tests (serve runs take seconds).
    static let shared = Result { try Fixture() }

    // MARK: - list

    @Test func listFiltersByEachOptionNewestFirst() throws {
        let fixture = try Self.shared.get()
        let records = try #require(try fixture.json(["list"])["sessions"]?.arrayValue)
        #expect(Set(records.compactMap { $0["id"]?.stringValue }) == Set(fixture.all))
        let created = records.compactMap { $0["createdAt"]?.doubleValue }
        #expect(created.count == fixture.all.count && created == created.sorted(by: >), "not newest first")
        #expect(try fixture.ids(["--status", "active"]) == ["still-active"])
        #expect(try Set(fixture.ids(["--status", "closed"])) == Set(fixture.ended.filter { $0.value == "closed" }.keys))
        #expect(try Set(fixture.ids(["--status", "resolved,abandoned"]))
            == Set(fixture.ended.filter { $0.value != "closed" }.keys))
        #expect(try Set(fixture.ids(["--business", "B1"])) == ["plain", Self.unicode, "still-active"])
        #expect(try Set(fixture.ids(["--user", "U2"])) == [Self.unicode, Self.long])
        #expect(try fixture.ids(["--business", "B1", "--user", "U1", "--status", "closed"]) == ["plain"])
        // --since: the third newest's creation time (epoch seconds), then ISO dates.
        #expect(try fixture.ids(["--since", "\(created[2])"]) == records.prefix(3).compactMap { $0["id"]?.stringValue })
        #expect(try fixture.ids(["--since", "2000-01-01"]).count == fixture.all.count)
        #expect(try fixture.ids(["--since", "2999-01-01T00:00:00+02:00"]).isEmpty)
        #expect(try fixture.ids(["--limit", "2"]) == records.prefix(2).compactMap { $0["id"]?.stringValue })
        // JSONL: the same records, one per line.
        let lines = try fixture.sessions(["list", "--format", "jsonl"]).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        #expect(lines == records)
    }

    /// `history` keeps its meaning: an omitted business or user is "none given at open".
    @Test func historyStillMeansNoBusinessAndNoUser() throws {
        let fixture = try Self.shared.get()
        let history = try #require(try fixture.json(["history"])["sessions"]?.arrayValue).compactMap { $0["id"]?.stringValue }
        #expect(Set(history) == ["gone-idle", ".hidden"])
    }

    @Test func listRefusesBadOptions() throws {
        let fixture = try Self.shared.get()
        for bad in [["--status", "open"], ["--since", "yesterday"], ["--since", "2026-13-45"], ["--limit", "0"], ["--limit", "10001"]] {
            let result = try CLIConventionsTests.run(["sessions", "list", "--store", fixture.store.location] + bad)
            #expect(result.status == 64, "\(bad) was accepted: \(result.out)")
        }
    }

    // MARK: - export

    /// The transcript in seq order, complete across pages, and the same as `sessions messages` shows.
    @Test(arguments: [SessionsCLITests.hostile, SessionsCLITests.unicode, SessionsCLITests.big, "still-active"])
    func exportOneHasTheWholeTranscript(session: String) throws {
        let fixture = try Self.shared.get()
        let document = try fixture.json(["export", session])
        let record = try #require(document["session"])
        #expect(record == (try fixture.json(["get", session])))
        let messages = try #require(document["messages"]?.arrayValue)
        #expect(messages.count == record["messageCount"]?.intValue && document["messagesExported"]?.intValue == messages.count)
        let seqs = messages.compactMap { $0["seq"]?.intValue }
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count && seqs.count == messages.count)
        if session == Self.big {
            #expect(messages.count == Self.bigTurns)
            #expect(messages.last?["content"]?.stringValue?.hasPrefix("turn \(Self.bigTurns - 1): ") == true)
        }
        // `sessions messages` pages through all of it (it stopped at one page of at most 500, with
        // no way to the next), each message as the wire and the export give it.
        // The first cursor, -1, as its own argument: read as a value, not as an option.
        var shown: [JSONValue] = [], cursor: String? = "-1", pages = 0
        while let after = cursor {
            let page = try fixture.json(["messages", session, "--limit", "500", "--after", after])
            shown += try #require(page["messages"]?.arrayValue)
            cursor = page["nextCursor"]?.stringValue
            pages += 1
        }
        #expect(shown.count == messages.count && pages == max(1, (messages.count + 499) / 500))
        for (exported, listed) in zip(messages, shown) {
            for key in ["messageId", "sessionId", "seq", "type", "content", "tokens", "timestamp", "metadata"] {
                #expect(exported[key] == listed[key], "\(key) of \(listed["messageId"] ?? .null)")
            }
        }
        if session != Self.big {
            let instruction = try #require(messages.first { $0["type"] == "instruction" })
            #expect(instruction["instructionState"]?.stringValue != nil)
            #expect(instruction["instructionState"] == instruction["metadata"]?["state"])
        }
    }

    @Test func exportAllAsJSONAndJSONLWithFilters() throws {
        let fixture = try Self.shared.get()
        let document = try fixture.json(["export", "--all"])
        let documents = try #require(document["sessions"]?.arrayValue)
        #expect(document["sessionsExported"]?.intValue == fixture.all.count)
        #expect(Set(documents.compactMap { $0["session"]?["id"]?.stringValue }) == Set(fixture.all))
        for each in documents {
            #expect(each["messages"]?.arrayValue?.count == each["session"]?["messageCount"]?.intValue)
        }
        let lines = try fixture.sessions(["export", "--all", "--format", "jsonl"]).split(separator: "\n")
        #expect(try lines.map { try JSONParser.parse(String($0)) } == documents)
        let closed = try #require(try fixture.json(["export", "--all", "--status", "closed", "--business", "B2"])["sessions"]?.arrayValue)
        #expect(Set(closed.compactMap { $0["session"]?["id"]?.stringValue }) == [Self.hostile, Self.long])
        // --output: the same bytes in a file, no temporary file left beside it.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-out-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("all.jsonl")
        #expect(try fixture.sessions(["export", "--all", "--format", "jsonl", "--output", file.path]).isEmpty)
        #expect(try String(contentsOf: file, encoding: .utf8).split(separator: "\n") == lines)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["all.jsonl"])
    }

    @Test func exportRefusesAnUnknownSessionAndMixedArguments() throws {
        let fixture = try Self.shared.get()
        let unknown = try CLIConventionsTests.run(["sessions", "export", "nope", "--store", fixture.store.location])
        #expect(unknown.status == 1 && unknown.err.contains("unknown session \"nope\"") && unknown.out.isEmpty)
        // `sessions messages` too (it printed an empty page and exited 0).
        let messages = try CLIConventionsTests.run(["sessions", "messages", "nope", "--store", fixture.store.location])
        #expect(messages.status == 1 && messages.err.contains("unknown session \"nope\"") && messages.out.isEmpty)
        for bad in [["export"], ["export", "plain", "--all"], ["export", "plain", "--status", "closed"]] {
            #expect(try CLIConventionsTests.run(["sessions"] + bad + ["--store", fixture.store.location]).status == 64, "\(bad)")
        }
    }

    /// A failed write to standard output is exit 74 (EX_IOERR) with the reason, as for every other
    /// command; an export to /dev/full exited 1 (re-audit N8).
    @Test func anExportThatCannotBeWrittenIsAnIOError() throws {
        let fixture = try Self.shared.get()
        for arguments in [["export", "--all"], ["export", "plain"], ["list"]] {
            let full = try #require(FileHandle(forWritingAtPath: "/dev/full"))
            let result = try CapacityBoundsTests.run(["sessions"] + arguments + ["--store", fixture.store.location], output: full)
            #expect(!result.signaled && result.status == 74, "\(arguments): status \(result.status): \(result.err)")
            #expect(result.err.contains("standard output"), "\(arguments): \(result.err)")
        }
        // `-o` naming a device writes to it: renamed over, /dev/full became a regular file (as root)
        // and the export exited 0 (review).
        let device = try CapacityBoundsTests.run(["sessions", "export", "--all", "-o", "/dev/full", "--store", fixture.store.location])
        #expect(!device.signaled && device.status == 74 && device.err.contains("/dev/full"), "\(device)")
        let type = try FileManager.default.attributesOfItem(atPath: "/dev/full")[.type] as? FileAttributeType
        #expect(type == .typeCharacterSpecial)
    }

    // MARK: - serve --export-dir

    /// One file per ended session (closed, resolved, abandoned), none for the active one, each the
    /// very document `sessions export` prints; names decode back to their ids.
    @Test func exportDirHoldsEveryEndedSessionAndNothingElse() throws {
        let fixture = try Self.shared.get()
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture.exports.path).sorted()
        #expect(names.count == fixture.ended.count, "\(names)")
        for name in names {
            #expect(name.hasSuffix(".json") && !name.hasPrefix(".") && name.utf8.count <= 255 && !name.contains("/"))
            let text = try String(contentsOf: fixture.exports.appendingPathComponent(name), encoding: .utf8)
            let document = try JSONParser.parse(text)
            let id = try #require(document["session"]?["id"]?.stringValue)
            #expect(fixture.ended[id] == document["session"]?["status"]?.stringValue, "\(id)")
            if id.utf8.count < 60 { #expect(Self.percentDecoded(String(name.dropLast(5))) == Array(id.utf8), "\(name)") }
            if !id.contains("\u{0}") { #expect(text == (try fixture.sessions(["export", id])), "\(id)") }
        }
        #expect(!names.contains { $0.hasPrefix("still-active") })
        let long = try #require(names.first { $0.contains("~") })
        #expect(long.utf8.count == 120 + 1 + 64 + 5)
    }

    @Test func exportDirMustBeAFolderAndNeedsAStore() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("tb-exp-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        let store = folder.appendingPathComponent("s.db").path
        let notFolder = try CLIConventionsTests.run(["serve", "--store", store, "--export-dir", file.path])
        #expect(notFolder.status == 64 && notFolder.err.contains("not a directory"), "\(notFolder.err)")
        let noStore = try CLIConventionsTests.run(["serve", "--store", "none", "--export-dir", folder.path])
        #expect(noStore.status == 64 && noStore.err.contains("needs a store"), "\(noStore.err)")
        let created = folder.appendingPathComponent("a/b")
        #expect(try CLIConventionsTests.run(["serve", "--store", store, "--export-dir", created.path]).status == 0)
        var isFolder: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: created.path, isDirectory: &isFolder) && isFolder.boolValue)
    }

    static func percentDecoded(_ name: String) -> [UInt8] {
        var bytes = [UInt8](), utf8 = Array(name.utf8), index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), let byte = UInt8(String(decoding: utf8[index + 1 ... index + 2], as: UTF8.self), radix: 16) {
                bytes.append(byte)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return bytes
    }

    // MARK: - purge

    @Test func purgeDeletesOnlyEndedSessionsBeforeTheDate() throws {
        let fixture = try Fixture()
        let before = try fixture.json(["export", "--all"])
        func purge(_ arguments: [String]) throws -> JSONValue { try fixture.json(["purge"] + arguments) }

        // Nothing ended before 2000; a dry run counts without changing anything.
        #expect(try purge(["--before", "2000-01-01"])["sessions"]?.intValue == 0)
        let dry = try purge(["--before", "2999-01-01", "--dry-run"])
        #expect(dry["dryRun"] == .bool(true) && dry["sessions"]?.intValue == fixture.ended.count)
        let endedMessages = try #require(before["sessions"]?.arrayValue).filter { $0["session"]?["status"] != "active" }
            .compactMap { $0["messages"]?.arrayValue?.count }.reduce(0, +)
        #expect(dry["messages"]?.intValue == endedMessages && endedMessages > Self.bigTurns)
        #expect(try fixture.json(["export", "--all"]) == before)

        // Only the resolved ones.
        let resolved = Set(fixture.ended.filter { $0.value == "resolved" }.keys)
        let first = try purge(["--before", "2999-01-01", "--status", "resolved"])
        #expect(first["dryRun"] == .bool(false) && first["sessions"]?.intValue == resolved.count)
        #expect(try Set(fixture.ids([])) == Set(fixture.all).subtracting(resolved))

        // Then every ended one; the active session and its transcript stay.
        let second = try purge(["--before", "2999-01-01"])
        #expect(second["sessions"]?.intValue == fixture.ended.count - resolved.count)
        #expect(try fixture.ids([]) == ["still-active"])
        #expect(try fixture.json(["export", "still-active"]) == before["sessions"]?.arrayValue?.first {
            $0["session"]?["id"] == "still-active"
        })
        let purged = try CLIConventionsTests.run(["sessions", "messages", "plain", "--store", fixture.store.location])
        #expect(purged.status == 1 && purged.err.contains("unknown session \"plain\""))
        let stats = try fixture.json(["stats"])["byStatus"]
        #expect(stats?["closed"]?["count"]?.intValue == 0 && stats?["active"]?["count"]?.intValue == 1)

        // The purged ids are gone for good; a new engine on the store still works.
        let serve = try ServeProcess(fixture.store.serveArguments())
        serve.send(RPC.request(1, "turn.append", ["session": "still-active", "role": "user", "text": "Still here."]))
        serve.closeInput()
        let after = serve.finish()
        #expect(after.status == 0 && after.lines.first?.result != nil, "\(after.lines) \(after.stderr)")
    }

    @Test func purgeRefusesActiveAndNeedsADate() throws {
        let fixture = try Self.shared.get()
        for bad in [["--before", "2999-01-01", "--status", "active"], [], ["--before", "soon"]] {
            let result = try CLIConventionsTests.run(["sessions", "purge", "--store", fixture.store.location] + bad)
            #expect(result.status == 64, "\(bad): \(result.err)")
        }
        let missing = try CLIConventionsTests.run(["sessions", "purge", "--before", "2999-01-01", "--store", "/nonexistent/s.db"])
        #expect(missing.status == 1 && missing.err.contains("no store at /nonexistent/s.db"))
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent"))
    }

    /// An SQLite file a running engine holds: the purge is refused, clearly, and changes nothing; a
    /// dry run still reads beside it.
    @Test(.enabled(if: !TestStore.isPostgres, "an SQLite file's lock (PostgreSQL is shared: purgeBesideALiveEngineOnPostgreSQL)"))
    func purgeRefusesAStoreInUse() throws {
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments())
        serve.send(RPC.open(1, session: "a"))
        serve.send(RPC.request(2, "session.close", ["session": "a"]))
        #expect(serve.waitForLines(2).count == 2)
        let refused = try CLIConventionsTests.run(["sessions", "purge", "--before", "2999-01-01", "--store", store.location])
        #expect(refused.status == 1 && refused.err.contains("in use by a running engine") && refused.out.isEmpty, "\(refused.err)")
        let dry = try CLIConventionsTests.run(["sessions", "purge", "--before", "2999-01-01", "--dry-run", "--store", store.location])
        let dryCount = try JSONParser.parse(dry.out)["sessions"]?.intValue
        #expect(dry.status == 0 && dryCount == 1, "\(dry.err)")
        serve.send(RPC.request(3, "session.get", ["session": "a"]))
        serve.closeInput()
        let end = serve.finish()
        #expect(end.status == 0 && end.lines.last?.result?["status"] == "closed")
        let purged = try CLIConventionsTests.run(["sessions", "purge", "--before", "2999-01-01", "--store", store.location])
        #expect(purged.status == 0, "\(purged.err)")
        #expect(try JSONParser.parse(purged.out)["sessions"]?.intValue == 1)
    }

    /// PostgreSQL is shared: a purge runs beside live engines, deletes the ended sessions and leaves
    /// the one an engine holds, which keeps working.
    @Test(.enabled(if: TestStore.isPostgres, "needs a shared store (PostgreSQL): scripts/test-postgres.sh"))
    func purgeBesideALiveEngineOnPostgreSQL() throws {
        let store = try TestStore()
        let serve = try ServeProcess(store.serveArguments())
        serve.send(RPC.open(1, session: "held"))
        serve.send(RPC.open(2, session: "ended"))
        serve.send(RPC.request(3, "session.close", ["session": "ended"]))
        #expect(serve.waitForLines(3).count == 3)
        let purged = try CLIConventionsTests.run(["sessions", "purge", "--before", "2999-01-01", "--store", store.location])
        #expect(purged.status == 0, "\(purged.err)")
        #expect(try JSONParser.parse(purged.out)["sessions"]?.intValue == 1)
        serve.send(RPC.request(4, "turn.append", ["session": "held", "role": "user", "text": "Still mine."]))
        serve.send(RPC.request(5, "session.get", ["session": "ended"]))
        serve.closeInput()
        let end = serve.finish()
        #expect(end.status == 0 && end.lines.count == 5)
        #expect(end.lines[3].result?["version"]?.intValue == 1, "\(end.lines[3])")
        #expect(end.lines[4].errorCode != nil, "the purged session is gone: \(end.lines[4])")
    }
}
