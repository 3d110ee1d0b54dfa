import EngineServer
import Foundation
import JSONWire
import SessionStore
import Testing

/// Issue 15, finding 10: `session.messages` answers a bounded page and a cursor, so a transcript of
/// any length and any metadata size can be read through without one huge answer line.
@Suite struct TranscriptPagingTests {
    /// One request in a batch of its own: the answer's bytes as released.
    static func raw(_ harness: Harness, _ method: String, _ params: JSONObject) -> [UInt8] {
        harness.service.beginBatch()
        let line = JSONWriter.string(["jsonrpc": "2.0", "id": 1, "method": .string(method), "params": .object(params)])
        Array(line.utf8).withUnsafeBufferPointer { harness.service.receive($0, number: 1) }
        return harness.service.endBatch()[0]
    }

    /// Pages with `cursor` until `nextCursor` is null; the answers' sizes and the messages in order.
    static func readAll(_ harness: Harness, session: String, limit: Int) throws -> (sizes: [Int], messages: [JSONValue]) {
        var sizes = [Int](), messages = [JSONValue]()
        var cursor: JSONValue = .null
        repeat {
            var params: JSONObject = ["session": .string(session), "limit": .int(Int64(limit))]
            if cursor != .null { params["cursor"] = cursor }
            let bytes = raw(harness, "session.messages", params)
            sizes.append(bytes.count)
            let answer = try JSONParser.parse(String(decoding: bytes, as: UTF8.self))
            let page = try #require(answer["result"]?["messages"]?.arrayValue, "\(answer)")
            messages += page
            cursor = answer["result"]?["nextCursor"] ?? .null
            if sizes.count > 10_000 { break }
        } while cursor != .null
        return (sizes, messages)
    }

    /// Past message 500 a transcript could not be read (no offset): 1,200 turns, paged 500 at a
    /// time, come back whole and in order (oracle: the texts sent).
    @Test func aLongTranscriptReadsThroughWithACursor() throws {
        let folder = try TemporaryFolder()
        let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
        harness.call("session.open", ["session": "long", "script": .string(script), "window": 2_000])
        var sent = [String]()
        var requests = [(String, JSONObject)]()
        for index in 0 ..< 1_200 {
            let text = "turn \(index): \(index % 2 == 0 ? "how much is it" : "nine thousand euros")"
            sent.append(text)
            requests.append(("turn.append", ["session": "long", "role": index % 2 == 0 ? "user" : "model", "text": .string(text)]))
        }
        for chunk in stride(from: 0, to: requests.count, by: 100) {
            _ = harness.batch(Array(requests[chunk ..< min(chunk + 100, requests.count)]))
        }
        let (sizes, messages) = try Self.readAll(harness, session: "long", limit: 500)
        #expect(sizes.count == 3)
        #expect(messages.compactMap { $0["content"]?.stringValue } == sent)
        #expect(messages.compactMap { $0["seq"]?.intValue } == Array(0 ..< 1_200))
        // `after` is the same as a cursor.
        let tail = harness.call("session.messages", ["session": "long", "after": 1_197])
        #expect(tail["result"]?["messages"]?.arrayValue?.compactMap { $0["seq"]?.intValue } == [1_198, 1_199])
        #expect(tail["result"]?["nextCursor"] == .null)
        #expect(Harness.code(harness.call("session.messages", ["session": "long", "cursor": "x"])) == -32602)
    }

    /// 60 messages with 100 KB of metadata each made one 6 MB answer; each answer now stays within
    /// the stated budget, and paging still returns every message and its metadata.
    @Test func largeMetadataIsAnsweredInBoundedPages() throws {
        let folder = try TemporaryFolder()
        let harness = Harness(store: try SQLiteSessionStore(path: folder.path("s.db")))
        harness.call("session.open", ["session": "meta", "script": .string(script)])
        let blob = String(repeating: "0.123456789,", count: 8_500)  // ~100 KB
        for index in 0 ..< 60 {
            let answer = harness.call("turn.append", [
                "session": "meta", "role": index % 2 == 0 ? "user" : "model", "text": .string("turn \(index)"),
                "metadata": ["index": .int(Int64(index)), "prosody": .string(blob)],
            ])
            #expect(answer["result"] != nil)
        }
        let (sizes, messages) = try Self.readAll(harness, session: "meta", limit: 500)
        #expect(sizes.allSatisfy { $0 <= (1 << 20) + 1_024 }, "\(sizes)")
        #expect(sizes.count >= 6)
        #expect(messages.count == 60)
        #expect(messages.compactMap { $0["metadata"]?["value"]?["index"]?.intValue } == Array(0 ..< 60))
        #expect(messages.allSatisfy { $0["metadata"]?["value"]?["prosody"]?.stringValue == blob })
    }
}
