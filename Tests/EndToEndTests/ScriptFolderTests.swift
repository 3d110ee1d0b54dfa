import Foundation
import JSONWire
import Testing

/// Issue 15 (#13): `scriptFile` reads only inside the folders `serve --script-dir` names; without
/// one it is refused. It used to load any file the engine could read and echo it back.
@Suite struct ScriptFolderTests {
    private static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-hostile-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    // MARK: - #13 scriptFile confined to --script-dir

    @Test func scriptFileIsRefusedWithoutAScriptDir() throws {
        let serve = try ServeProcess()
        serve.send(#"{"jsonrpc":"2.0","id":1,"method":"session.open","params":{"session":"s","scriptFile":"/etc/passwd"}}"#)
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.first?.errorCode == -32009)
        #expect(lines.first?["error"]?["data"]?["reason"] == "disabled")
        #expect(lines.first?["error"]?["message"]?.stringValue?.contains("--script-dir") == true)
        #expect(!JSONWriter.string(lines.first ?? .null).contains("root:"), "the file was echoed")
    }

    @Test func scriptFileStaysInsideItsFolders() throws {
        let base = try Self.folder()
        defer { try? FileManager.default.removeItem(at: base) }
        let scripts = base.appendingPathComponent("scripts"), other = base.appendingPathComponent("other")
        for folder in [scripts, other, scripts.appendingPathComponent("sub")] { try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true) }
        try "You sell solar panels.".write(to: scripts.appendingPathComponent("sales.txt"), atomically: true, encoding: .utf8)
        try "SECRET".write(to: other.appendingPathComponent("secret.txt"), atomically: true, encoding: .utf8)
        try Data([0xFF, 0xFE, 0x00]).write(to: scripts.appendingPathComponent("binary.txt"))
        try FileManager.default.createSymbolicLink(
            at: scripts.appendingPathComponent("link.txt"), withDestinationURL: other.appendingPathComponent("secret.txt"))
        try FileManager.default.createSymbolicLink(at: scripts.appendingPathComponent("up"), withDestinationURL: other)
        let serve = try ServeProcess(["serve", "--store", "none", "--script-dir", scripts.path])
        let cases: [(String, String?)] = [
            ("sales.txt", nil),                                          // relative to the folder
            (scripts.appendingPathComponent("sales.txt").path, nil),     // absolute, inside
            (scripts.path + "/../other/secret.txt", "outside"),          // .. out
            ("../other/secret.txt", "outside"),
            (other.appendingPathComponent("secret.txt").path, "outside"),
            ("/etc/passwd", "outside"),
            ("link.txt", "outside"),                                     // a symlink out
            ("up/secret.txt", "outside"),                                // a folder symlink out
            ("nope.txt", "missing"),
            ("binary.txt", "notUTF8"),
            ("sub", "notAFile"),
        ]
        for (index, (path, _)) in cases.enumerated() {
            serve.send(RPC.request(index + 1, "session.open", ["session": .string("s\(index)"), "scriptFile": .string(path)]))
        }
        serve.closeInput()
        let (status, lines, _) = serve.finish()
        #expect(status == 0)
        #expect(lines.count == cases.count)
        for (index, (path, reason)) in cases.enumerated() where index < lines.count {
            let answer = lines[index]
            #expect(!JSONWriter.string(answer).contains("SECRET"), "\(path): the file was echoed")
            if let reason {
                #expect(answer.errorCode == -32009, "\(path): \(answer)")
                #expect(answer["error"]?["data"]?["reason"]?.stringValue == reason, "\(path): \(answer)")
            } else {
                #expect(answer.result?["script"]?["tokens"]?.intValue == 5, "\(path): \(answer)")
            }
        }
        #expect(lines.count > 8 && lines[8]["error"]?["message"]?.stringValue == "scriptFile nope.txt does not exist")
    }

    @Test func aScriptDirThatDoesNotExistIsRefusedAtStart() throws {
        let serve = try ServeProcess(["serve", "--store", "none", "--script-dir", "/no/such/folder"])
        serve.closeInput()
        let (status, _, stderr) = serve.finish()
        #expect(status == 64)
        #expect(stderr.contains("--script-dir /no/such/folder"), "\(stderr)")
    }
}
