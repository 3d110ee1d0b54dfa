@testable import EngineServer
import Foundation
import JSONWire
import Testing

/// docs/openrpc.json, the document compiled into the server, and the method table agree.
@Suite struct OpenRPCTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..")

    @Test func theDocumentInTheBinaryIsDocsOpenRPC() throws {
        let onDisk = try String(contentsOf: Self.root.appendingPathComponent("docs/openrpc.json"), encoding: .utf8)
        #expect(onDisk == OpenRPCDocument.text, "run python3 scripts/make_openrpc.py")
    }

    @Test func everyServedMethodIsInTheDocumentAndBack() {
        #expect(Set(MethodTable.standard.handlers.keys) == Set(OpenRPC.params.keys))
        #expect(OpenRPC.params["turn.append"] == ["session", "role", "text", "final", "metadata", "audioMs", "providerItemId", "requestId"])
    }

    @Test func rpcDiscoverAnswersTheDocument() {
        let answer = Harness().call("rpc.discover", [:])
        #expect(answer["result"] == OpenRPC.document)
        #expect(answer["result"]?["methods"]?.arrayValue?.count == MethodTable.standard.handlers.count)
    }

    /// `"Final": false` used to be ignored (the turn became final); it is refused, naming it.
    @Test func anUnknownParameterIsRefusedAndChangesNothing() {
        let harness = Harness()
        harness.call("session.open", ["session": "a", "script": .string(script)])
        let answer = harness.call("turn.append", ["session": "a", "role": "user", "text": "hi", "Final": false])
        #expect(Harness.code(answer) == -32602)
        #expect(answer["error"]?["data"]?["param"] == "Final")
        #expect(harness.call("turn.append", ["session": "a", "role": "user", "text": "hi"])["result"]?["version"] == 1)
    }
}
