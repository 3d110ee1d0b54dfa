import Foundation
import JSONWire
import SessionStore
import Testing

/// Issue 15 on the real binary and a real SQLite file: what names a store (symlinks, hard links, the
/// file deleted or replaced under the engine), what is inside it (a damaged page), and what names a
/// session (U+0000, canonically equivalent ids). The oracle is what a relay sees and what a restarted
/// engine reads back. (`scripts/fault-suite.sh` runs the same cases plus EIO at commit under strace.)
@Suite struct StoreIdentityFaultTests {
    static let writesRefused = -32016

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-identity-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func turn(_ id: Int, _ session: String, _ text: String, role: String = "user") -> String {
        RPC.request(id, "turn.append", ["session": .string(session), "role": .string(role), "text": .string(text)])
    }

    /// The transcript a fresh engine reads back for `session`.
    static func storedContents(_ path: String, _ session: String) throws -> [String] {
        let serve = try ServeProcess(["serve", "--store", path])
        serve.send(RPC.request(1, "session.messages", ["session": .string(session)]))
        serve.closeInput()
        let (status, lines, stderr) = serve.finish()
        #expect(status == 0, "\(stderr)")
        let messages = lines.first?.result?["messages"]?.arrayValue ?? []
        return messages.compactMap { $0["content"]?.stringValue }
    }

    /// All lines in one write, so they are one batch; every answer must be a result.
    static func runBatch(_ path: String, _ lines: [String]) throws {
        let serve = try ServeProcess(["serve", "--store", path])
        serve.sendRaw(Data(lines.map { $0 + "\n" }.joined().utf8))
        serve.closeInput()
        let (status, answers, stderr) = serve.finish()
        #expect(status == 0, "\(stderr)")
        #expect(answers.count == lines.count)
        for answer in answers { #expect(answer.result != nil, "\(JSONWriter.string(answer).prefix(300))") }
    }

    @Test func nulInsideIdsAndTextIsStoredWholeAndFailsNobody() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sessions.db").path
        try Self.runBatch(path, [
            RPC.open(1, session: "a"), RPC.open(2, session: "a\u{0}evil"), Self.turn(3, "a", "x\u{0}y"),
            Self.turn(4, "a\u{0}evil", "evil"), RPC.open(5, session: "bystander"), Self.turn(6, "bystander", "hello"),
        ])
        #expect(try Self.storedContents(path, "a") == ["x\u{0}y"])
        #expect(try Self.storedContents(path, "a\u{0}evil") == ["evil"])
        #expect(try Self.storedContents(path, "bystander") == ["hello"])
    }

    @Test func canonicallyEquivalentIdsAreTwoSessionsInMemoryAsInTheStore() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sessions.db").path
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(composed == decomposed)  // Swift's String ==: why the registry keys by bytes
        try Self.runBatch(path, [
            RPC.open(1, session: composed), RPC.open(2, session: decomposed), Self.turn(3, composed, "composed"),
            Self.turn(4, decomposed, "decomposed"), RPC.open(5, session: "bystander"), Self.turn(6, "bystander", "hello"),
        ])
        #expect(try Self.storedContents(path, composed) == ["composed"])
        #expect(try Self.storedContents(path, decomposed) == ["decomposed"])
        #expect(try Self.storedContents(path, "bystander") == ["hello"])
    }

    enum LinkKind: String, CaseIterable { case symbolic, hard }

    @Test(arguments: LinkKind.allCases)
    func aSecondEngineThroughAnotherNameIsRefused(_ kind: LinkKind) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sessions.db").path
        try Self.runBatch(path, [RPC.open(1, session: "s")])
        let link = directory.appendingPathComponent("other-name.db").path
        switch kind {
        case .symbolic: try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: path)
        case .hard: try FileManager.default.linkItem(atPath: path, toPath: link)
        }
        let first = try ServeProcess(["serve", "--store", path])
        first.send(RPC.request(1, "session.get", ["session": "s"]))
        #expect(first.waitForLines(1).first?.result != nil)
        let second = try ServeProcess(["serve", "--store", link])
        second.closeInput()
        let (status, _, stderr) = second.finish()
        first.closeInput()
        _ = first.finish()
        #expect(status == 2, "\(stderr)")
        #expect(stderr.contains("in use"))
    }

    enum Swap: String, CaseIterable { case deleted, replaced }

    @Test(arguments: Swap.allCases)
    func writesAreRefusedOnceTheFileUnderTheEngineIsGone(_ swap: Swap) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sessions.db").path
        let serve = try ServeProcess(["serve", "--store", path])
        serve.send(RPC.open(1, session: "s"))
        serve.send(Self.turn(2, "s", "before"))
        #expect(serve.waitForLines(2).allSatisfy { $0.result != nil })
        switch swap {
        case .deleted:
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
        case .replaced:
            let copy = directory.appendingPathComponent("copy.db").path
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            #expect(rename(copy, path) == 0)
        }
        serve.send(Self.turn(3, "s", "after", role: "model"))
        serve.send(RPC.request(4, "session.get", ["session": "s"]))
        let lines = serve.waitForLines(4)
        serve.send(Self.turn(5, "s", "again", role: "model"))
        let later = serve.waitForLines(5)
        serve.closeInput()
        _ = serve.finish()
        #expect(lines.count >= 4 && lines[2].errorCode == Self.writesRefused, "\(lines.dropFirst(2).first.map { JSONWriter.string($0) } ?? "")")
        #expect(lines.count >= 4 && lines[2]["error"]?["data"]?["reason"]?.stringValue == "fileReplaced")
        #expect(lines.count >= 4 && lines[3].result != nil)  // reads still answer
        #expect(later.count == 5 && later[4].errorCode == Self.writesRefused)
    }

    @Test func aDamagedPageIsRefusedAtStartAndTheFileLeftAsItWas() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("sessions.db").path
        try Self.runBatch(path, [RPC.open(1, session: "s")] + (0 ..< 40).map {
            Self.turn($0 + 2, "s", String(repeating: "turn \($0) ", count: 40), role: $0 % 2 == 0 ? "user" : "model")
        })
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(bytes.count >= 4 * 4096)
        // A b-tree page near the end; page 1 (header, application_id, schema) stays intact.
        let start = bytes.count - 2 * 4096
        bytes.replaceSubrange(start ..< start + 4096, with: Data(repeating: 0xA5, count: 4096))
        try bytes.write(to: URL(fileURLWithPath: path))
        let serve = try ServeProcess(["serve", "--store", path])
        serve.closeInput()
        let (status, _, stderr) = serve.finish()
        #expect(status == 2, "\(stderr)")
        #expect(stderr.contains("quick_check") && stderr.contains("not changed"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == bytes)
    }
}
