@testable import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing

/// The method table against the protocol's documentation: every documented method is served, nothing
/// else is, and a request reaches its handler with its params checked.
@Suite struct MethodTableTests {
    /// The methods `docs/protocol.md` documents (its `### \`method\`` headings).
    static let documented: [String] = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../docs/protocol.md")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("### `") else { return nil }
            return line.dropFirst(5).split(separator: "`").first.map(String.init)
        }
    }()

    @Test func everyDocumentedMethodIsServed() {
        #expect(Self.documented.count >= 18, "docs/protocol.md lists the methods as ### `name` headings")
        let harness = Harness()
        for method in Self.documented {
            // No params: every method answers, and none answers "method not found".
            let answer = harness.call(method, [:])
            #expect(Harness.code(answer) != -32601, "\(method) is documented but not served")
        }
    }

    @Test func everyServedMethodIsDocumented() {
        #expect(Set(MethodTable.standard.handlers.keys) == Set(Self.documented))
    }

    /// An unknown parameter's message lists the ones the method takes, or says it takes none.
    @Test func anUnknownParameterNamesWhatTheMethodTakes() {
        let harness = Harness()
        let none = harness.call("rpc.discover", ["verbose": true])
        #expect(Harness.code(none) == -32602 && none["error"]?["message"]?.stringValue?.hasSuffix("it takes none") == true)
        let some = harness.call("session.get", ["session": "a", "verbose": true])
        #expect(some["error"]?["message"]?.stringValue?.hasSuffix("it takes \"requestId\", \"session\"") == true)
    }

    /// Parameters documented as alternatives (`script | scriptFile`, `after? | cursor?`) are refused
    /// together, naming the second (audit: `scriptFile` was ignored unread, `after` silently lost).
    @Test func alternativesAreRefusedTogether() throws {
        let harness = Harness()
        let both = harness.call("session.open", ["session": "a", "script": .string(script), "scriptFile": 5])
        #expect(Harness.code(both) == -32602 && both["error"]?["data"]?["param"] == "scriptFile")
        #expect(harness.call("session.open", ["session": "a", "script": .string(script), "scriptFile": nil])["result"] != nil)
        let folder = try TemporaryFolder()
        let stored = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
        #expect(stored.call("session.open", ["session": "b", "script": .string(script)])["result"] != nil)
        let paged = stored.call("session.messages", ["session": "b", "after": 3, "cursor": "5"])
        #expect(Harness.code(paged) == -32602 && paged["error"]?["data"]?["param"] == "cursor")
        #expect(stored.call("session.messages", ["session": "b", "cursor": "-1"])["result"] != nil)
    }

    @Test func anUndocumentedMethodIsNotFound() {
        let answer = Harness().call("session.delete", ["session": "a"])
        #expect(Harness.code(answer) == -32601)
        #expect(answer["error"]?["data"]?["method"] == "session.delete")
    }

    @Test func eventParamsAreCheckedBeforeTheSessionIsTouched() {
        let harness = Harness()
        #expect(harness.call("session.open", ["session": "a", "script": .string(script)])["result"] != nil)
        let bad = harness.call("turn.append", ["session": "a", "role": "narrator", "text": "hi"])
        #expect(Harness.code(bad) == -32602)
        #expect(bad["error"]?["data"]?["param"] == "role")
        let missing = harness.call("summary.set", ["session": "a"])
        #expect(Harness.code(missing) == -32602)
        // Nothing was applied: the version is still 0.
        #expect(harness.call("session.get", ["session": "a"])["result"]?["hash"]
            == harness.call("context.snapshot", ["session": "a"])["result"]?["hash"])
        let turn = harness.call("turn.append", ["session": "a", "role": "user", "text": "hi"])
        #expect(turn["result"]?["version"] == 1)
    }
}
