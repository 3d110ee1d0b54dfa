import Foundation
import JSONWire
import SessionStore
import Testing
import Tokenizer

@testable import EngineServer

/// `serve --export-dir` inside the service: an export only for a batch that committed, and file
/// names that are safe and injective whatever the id.
@Suite struct SessionExportTests {
    static let script = "You sell solar panels. Be brief."

    /// The service with `--export-dir`, driven batch by batch as the server drives it.
    final class Exporting {
        let folder: TemporaryFolder
        let exports: String
        let harness: Harness

        init(maxPageCount: Int? = nil) throws {
            folder = try TemporaryFolder()
            exports = folder.path("exports")
            try FileManager.default.createDirectory(atPath: exports, withIntermediateDirectories: true)
            let path = folder.path("s.db")
            harness = Harness(
                store: try SQLiteSessionStore(path: path, maxPageCount: maxPageCount),
                exports: .init(directory: exports) { try SQLiteSessionStore(readingOnly: path) })
        }

        func batch(_ requests: [(String, JSONObject)]) -> [JSONValue] { harness.batch(requests) }

        var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: exports)) ?? []).sorted() }
    }

    /// A close in a batch that cannot be stored (the disk full) ended nothing: no export. The same
    /// close in a batch that commits writes it.
    @Test func aRolledBackCloseExportsNothing() throws {
        // 40 pages of 4 KiB: the schema and a session fit, 20 long turns do not.
        let engine = try Exporting(maxPageCount: 40)
        #expect(engine.batch([("session.open", ["session": "a", "script": .string(Self.script)])])[0]["result"] != nil)
        let long = String(repeating: "a long turn that fills pages ", count: 400)
        var requests: [(String, JSONObject)] = (0 ..< 20).map { turn in
            ("turn.append", ["session": "a", "role": turn % 2 == 0 ? "user" : "model", "text": .string(long)])
        }
        requests.append(("session.close", ["session": "a"]))
        let failed = engine.batch(requests)
        #expect(failed.last?["error"]?["code"]?.intValue == -32011)
        #expect(engine.files.isEmpty)
        let closed = engine.batch([("session.close", ["session": "a", "status": "resolved"])])
        #expect(closed[0]["result"]?["status"] == "resolved")
        #expect(engine.files == ["a.json"])
        let document = try JSONParser.parse(String(contentsOfFile: engine.exports + "/a.json", encoding: .utf8))
        #expect(document["session"]?["status"] == "resolved" && document["messages"]?.arrayValue?.isEmpty == true)
    }

    /// The batch that closes a session is answered before its export is written: the writer's
    /// thread reads through its own connection, here held back until the answers are out. (Written
    /// in the server's loop, as before `ExportWriter`, `endBatch` would wait out the 30 s and the
    /// file would be there when it returned.)
    @Test func answersDoNotWaitForTheExport() throws {
        let folder = try TemporaryFolder()
        let exports = folder.path("exports"), path = folder.path("s.db")
        try FileManager.default.createDirectory(atPath: exports, withIntermediateDirectories: true)
        let release = DispatchSemaphore(value: 0)
        var options = EngineService.Options()
        options.exports = .init(directory: exports) {
            _ = release.wait(timeout: .now() + 30)
            return try SQLiteSessionStore(readingOnly: path)
        }
        let service = EngineService(options: options, store: try SQLiteSessionStore(path: path))
        func batch(_ lines: [String]) -> [JSONValue] {
            service.beginBatch()
            for (number, line) in lines.enumerated() {
                Array(line.utf8).withUnsafeBufferPointer { service.receive($0, number: number + 1) }
            }
            return service.endBatch().map { try! JSONParser.parse(String(decoding: $0, as: UTF8.self)) }
        }
        let opened = batch([#"{"jsonrpc":"2.0","id":1,"method":"session.open","params":{"session":"a","script":"You sell solar panels."}}"#])
        #expect(opened[0]["result"] != nil)
        let started = DispatchTime.now()
        let closed = batch([
            #"{"jsonrpc":"2.0","id":2,"method":"turn.append","params":{"session":"a","role":"user","text":"Hello there"}}"#,
            #"{"jsonrpc":"2.0","id":3,"method":"session.close","params":{"session":"a"}}"#,
        ])
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        #expect(closed.count == 2 && closed[1]["result"]?["status"] == "closed")
        #expect(seconds < 20, "the batch waited for its export")
        #expect(!FileManager.default.fileExists(atPath: exports + "/a.json"))
        release.signal()
        service.waitForExports()
        let document = try JSONParser.parse(String(contentsOfFile: exports + "/a.json", encoding: .utf8))
        #expect(document["session"]?["status"] == "closed" && document["messagesExported"] == 1)
    }

    /// A store the writer cannot open fails that export only (logged); the next one opens it again
    /// and is written. A failed write (the folder gone) also opens the store again for the next
    /// export. Exports queued when the service finishes are written before it stops.
    @Test func aFailedExportFailsOnlyItselfAndFinishWritesTheRest() throws {
        let folder = try TemporaryFolder()
        let exports = folder.path("exports"), path = folder.path("s.db")
        try FileManager.default.createDirectory(atPath: exports, withIntermediateDirectories: true)
        final class Opens: @unchecked Sendable { var count = 0 }
        let opens = Opens()
        let harness = Harness(store: try SQLiteSessionStore(path: path), exports: .init(directory: exports) {
            opens.count += 1
            if opens.count == 1 { throw StoreError("the first open fails") }
            return try SQLiteSessionStore(readingOnly: path)
        })
        var files: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: exports)) ?? []).sorted() }
        func openAndClose(_ id: String) {
            #expect(harness.call("session.open", ["session": .string(id), "script": .string(Self.script)])["result"] != nil)
            #expect(harness.call("session.close", ["session": .string(id)])["result"] != nil)
        }
        openAndClose("a")
        openAndClose("b")
        #expect(opens.count == 2 && files == ["b.json"])
        try FileManager.default.removeItem(atPath: exports)
        openAndClose("c")
        try FileManager.default.createDirectory(atPath: exports, withIntermediateDirectories: true)
        openAndClose("d")
        #expect(opens.count == 3 && files == ["d.json"])
        // Queued, then finished at once: written before `finishExports` returns.
        _ = harness.call("session.open", ["session": "e", "script": .string(Self.script)])
        harness.service.beginBatch()
        Array(#"{"jsonrpc":"2.0","id":9,"method":"session.close","params":{"session":"e"}}"#.utf8).withUnsafeBufferPointer {
            harness.service.receive($0, number: 1)
        }
        _ = harness.service.endBatch()
        harness.service.finishExports()
        #expect(files == ["d.json", "e.json"])
    }

    /// Every id of up to 3 characters over an alphabet of the awkward ones: distinct names, none
    /// hidden, none with a separator, only the kept characters.
    @Test func fileNamesAreSafeAndInjective() {
        let alphabet = ["a", ".", "%", "/", "\u{0}", "é", "~", "\n", "-"]
        var ids = [""]
        var frontier = [""]
        for _ in 0 ..< 3 {
            frontier = frontier.flatMap { prefix in alphabet.map { prefix + $0 } }
            ids += frontier
        }
        var seen: [String: String] = [:]
        for id in ids {
            let name = ExportFileName.encode(id)
            #expect(seen.updateValue(id, forKey: name) == nil, "\(id.debugDescription) and \(seen[name].debugDescription)")
            #expect(!name.hasPrefix(".") && !name.isEmpty && name.utf8.allSatisfy { ExportFileName.isKept($0) || $0 == UInt8(ascii: "%") })
        }
        #expect(seen.count == ids.count)
        #expect(ExportFileName.encode("../etc/passwd") == "%2E.%2Fetc%2Fpasswd")
        #expect(ExportFileName.encode("..") == "%2E.")
    }

    /// Long ids: a prefix, `~` and the SHA-256 of the id; two ids that share the prefix differ.
    @Test func longNamesEndInTheirSHA256() {
        // FIPS 180-2 test vectors.
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        let a = String(repeating: "x", count: 300) + "a", b = String(repeating: "x", count: 300) + "b"
        let (nameA, nameB) = (ExportFileName.encode(a), ExportFileName.encode(b))
        #expect(nameA != nameB && nameA.utf8.count == 120 + 1 + 64)
        #expect(nameA.hasSuffix("~" + SHA256.hex(Array(a.utf8))))
        #expect(ExportFileName.encode(String(repeating: "x", count: 200)) == String(repeating: "x", count: 200))
    }
}
