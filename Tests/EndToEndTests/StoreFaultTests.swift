import Foundation
import JSONWire
import SessionStore
import Testing

@Suite struct StoreFaultTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-store-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func corruptFileIsRefusedAndLeftUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("garbage.db").path
        var generator = SystemRandomNumberGenerator()
        let garbage = Data((0 ..< 8192).map { _ in UInt8.random(in: 0 ... 255, using: &generator) })
        try garbage.write(to: URL(fileURLWithPath: path))
        let serve = try ServeProcess(["serve", "--store", path])
        serve.closeInput()
        let (status, _, stderr) = serve.finish()
        #expect(status == 2)
        #expect(stderr.contains("not an SQLite database") && stderr.contains(path))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == garbage)
    }

    @Test func damagedDatabaseIsRefusedAndLeftUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.db").path
        do { _ = try SQLiteSessionStore(path: path) }
        // Keep the SQLite header, destroy the rest.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        for index in 100 ..< bytes.count { bytes[index] = 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: path))
        let serve = try ServeProcess(["serve", "--store", path])
        serve.closeInput()
        let (status, _, stderr) = serve.finish()
        #expect(status == 2, "\(stderr)")
        #expect(stderr.contains("cannot be used") && stderr.contains("not changed"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }

    @Test func foreignSQLiteDatabaseIsRefusedAndLeftUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("other.db").path
        do {
            let database = try SQLiteDatabase(path: path, create: true)
            try database.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)")
        }
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let serve = try ServeProcess(["serve", "--store", path])
        serve.closeInput()
        let (status, _, stderr) = serve.finish()
        #expect(status == 2)
        #expect(stderr.contains("another application"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test func secondEngineOnTheSameFileGetsAClearError() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.db").path
        let first = try ServeProcess(["serve", "--store", path])
        first.send(RPC.open(1, session: "a"))
        _ = first.waitForLines(1)
        let second = try ServeProcess(["serve", "--store", path])
        second.closeInput()
        let (status, _, stderr) = second.finish()
        #expect(status == 2)
        #expect(stderr.contains("in use by another tokenbudget engine"))
        first.closeInput()
        #expect(first.finish().status == 0)
    }

    /// A full disk: the requests that cannot be stored get -32011 and change nothing; everything
    /// answered before stays; reads keep being answered.
    @Test func fullDiskRefusesWritesKeepsEverythingEarlierAndKeepsAnsweringReads() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("store.db").path
        let serve = try ServeProcess(["serve", "--store", path, "--store-max-pages", "40"])
        serve.send(RPC.open(1, session: "full"))
        _ = serve.waitForLines(1)
        let text = String(repeating: "Solar panels pay for themselves within eight years. ", count: 40)
        for id in 2 ... 80 {
            serve.send(RPC.request(id, "turn.append", ["session": "full", "role": id % 2 == 0 ? "user" : "model", "text": .string(text)]))
            _ = serve.waitForLines(id)
        }
        serve.send(RPC.request(100, "context.snapshot", ["session": "full"]))
        serve.send(RPC.request(101, "session.get", ["session": "full"]))
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        let answers = Dictionary(lines.compactMap { line in line["id"]?.intValue.map { ($0, line) } }, uniquingKeysWith: { a, _ in a })
        let stored = (2 ... 80).filter { answers[$0]?.result != nil }
        let refused = (2 ... 80).filter { answers[$0]?.errorCode == -32011 }
        #expect(stored.count > 3 && refused.count > 3, "stored \(stored.count), refused \(refused.count)")
        #expect(stored.count + refused.count == 79)
        #expect(answers[refused[0]]?["error"]?["message"]?.stringValue?.contains("nothing changed") == true)
        // Reads still answered, and the engine's state is exactly the stored one.
        let snapshot = try #require(answers[100]?.result)
        let turns = snapshot["snapshot"]?["items"]?.arrayValue?.filter { $0["kind"]?.stringValue == "turn" }.count ?? -1
        #expect(turns == stored.count)
        #expect(answers[101]?.result?["messageCount"]?.intValue == stored.count)
        // After a restart (with room again), every answered turn is there and the snapshot is identical.
        let again = try ServeProcess(["serve", "--store", path])
        again.send(RPC.request(1, "session.resume", ["session": "full"]))
        again.closeInput()
        let (_, rebuilt, _) = again.finish()
        #expect(rebuilt.first?.result?["hash"] == snapshot["hash"])
    }
}

