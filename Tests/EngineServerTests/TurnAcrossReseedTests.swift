import EngineServer
import Foundation
import JSONWire
import Testing

/// A caller still speaking when an OpenAI connection is replaced: the re-seed leaves the unfinished
/// turn out (seeds hold final items only), and the new connection makes an item of its own of the
/// audio that follows. What the engine holds must stay what the provider holds, and every delete must
/// name an item of the connection it goes to (audit N5: the continuation was refused, and a late final
/// chunk held the turn under the old connection's id, which its delete then named).
@Suite struct TurnAcrossReseedTests {
    /// One OpenAI connection, from its documented rules: items in order, a create after an item that
    /// exists (or `root`), a delete of an item that exists (an unknown id is an error at OpenAI), a
    /// spoken item at 1 token per 100 ms (user) or 50 ms (assistant) plus 4 of framing, a text item
    /// at its tokens plus 4.
    struct Connection {
        var items: [(id: String, tokens: Int)] = []
        var errors: [String] = []
        var held: Int { items.reduce(6) { $0 + $1.tokens } }  // the script "S." as instructions: 2 + 4

        mutating func spoken(_ id: String, model: Bool, milliseconds: Int) {
            let tokens = milliseconds / (model ? 50 : 100) + 4
            if let index = items.firstIndex(where: { $0.id == id }) { items[index].tokens = tokens } else { items.append((id, tokens)) }
        }

        mutating func apply(_ send: [JSONValue], counts: [String: Int]) {
            for message in send {
                switch message["type"]?.stringValue {
                case "conversation.item.create":
                    let id = message["item"]?["id"]?.stringValue ?? ""
                    let previous = message["previous_item_id"]?.stringValue ?? ""
                    let text = message["item"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
                    guard let position = previous == "root" ? 0 : items.firstIndex(where: { $0.id == previous }).map({ $0 + 1 }) else {
                        errors.append("create \(id) after \(previous), which this connection does not have")
                        continue
                    }
                    items.insert((id, (counts[text] ?? 0) + 4), at: position)
                case "conversation.item.delete":
                    let id = message["item_id"]?.stringValue ?? ""
                    guard let index = items.firstIndex(where: { $0.id == id }) else {
                        errors.append("delete \(id), which this connection does not have")
                        continue
                    }
                    items.remove(at: index)
                case "session.update":
                    items = []  // a new connection: what the seed creates follows
                default:
                    errors.append("unexpected \(message)")
                }
            }
        }
    }

    final class Call {
        let harness = Harness()
        var connection = Connection()
        var counts = [String: Int]()  // item text → its tokens, as the answers state them
        var texts = [String: String]()

        init() {
            step("session.open", ["script": "S.", "provider": "openai-realtime", "window": 420, "reserve": 0])
        }

        @discardableResult
        func step(_ method: String, _ params: JSONObject) -> JSONValue {
            var params = params
            params["session"] = "o"
            let answer = harness.call(method, params)
            #expect(answer["result"] != nil, "\(method) \(params): \(answer)")
            let result = answer["result"]
            for item in result?["delta"]?["added"]?.arrayValue ?? [] {
                guard let id = item["id"]?.stringValue, let text = item["text"]?.stringValue else { continue }
                texts[id] = text
                counts[text] = item["tokens"]?.intValue
            }
            for item in result?["delta"]?["updated"]?.arrayValue ?? [] {
                guard let id = item["id"]?.stringValue else { continue }
                texts[id, default: ""] += item["appended"]?.stringValue ?? ""
                counts[texts[id]!] = item["tokens"]?.intValue
            }
            connection.apply(result?["send"]?.arrayValue ?? [], counts: counts)
            if let reseed = result?["reseed"]?["send"]?.arrayValue {
                // The new connection, which the ledger is of once the relay confirms it.
                connection.apply(reseed, counts: counts)
                return answer
            }
            if let held = result?["provider"]?["held"]?.intValue {
                #expect(held == connection.held, "\(method): the engine says \(held), the connection holds \(connection.held)")
            }
            return answer
        }

        /// A spoken turn (or a chunk of one) the provider created as `item`: held by the connection
        /// before the engine hears of it.
        func spoken(_ role: String, _ text: String, item: String, ms: Int, final: Bool = true) {
            connection.spoken(item, model: role == "model", milliseconds: ms)
            step("turn.append", ["role": .string(role), "text": .string(text), "audioMs": .int(Int64(ms)),
                                 "providerItemId": .string(item), "final": .bool(final)])
        }

        func exchange(_ number: Int) {
            step("client.speechStarted", [:])
            spoken("user", "Question \(number) about the panels?", item: "item_q\(number)", ms: 3_000)
            spoken("model", "Answer \(number): they last twenty years.", item: "item_a\(number)", ms: 3_000)
            step("model.turnComplete", [:])
        }

        /// One exchange, then a user turn still arriving (as `item_old`) when a re-seed is carried out.
        static func interruptedByAReseed() -> Call {
            let call = Call()
            call.exchange(1)
            call.step("client.speechStarted", [:])
            call.spoken("user", "I want to", item: "item_old", ms: 1_000, final: false)
            call.reseed()
            return call
        }

        /// A re-seed carried out: the plan's messages open the new connection, then the confirmation's.
        func reseed() {
            let plan = step("resume.goAway", ["timeLeftMs": 0])
            #expect(plan["result"]?["action"] == "reseed")
            step("resume.connected", ["reseeded": true])
        }
    }

    @Test func aContinuationWithTheNewConnectionsItemIsATurnOfItsOwn() {
        let call = Call.interruptedByAReseed()
        // The new connection made an item of the audio that followed.
        call.spoken("user", " buy panels", item: "item_new", ms: 1_500, final: false)
        call.spoken("user", " for my roof.", item: "item_new", ms: 2_500)
        call.spoken("model", "Gladly.", item: "item_a2", ms: 1_000)
        call.step("model.turnComplete", [:])
        // What was said before the re-seed reached the new connection as text, before the new item.
        #expect(call.connection.items.map(\.id).suffix(3) == ["tb_t3", "item_new", "item_a2"], "\(call.connection.items)")
        #expect(call.texts["t3"] == "I want to" && call.texts["t4"] == " buy panels for my roof.", "\(call.texts)")
        // Later exchanges evict these: every delete names an item this connection has.
        for number in 3 ... 12 { call.exchange(number) }
        #expect(!call.connection.items.contains { $0.id == "tb_t3" || $0.id == "item_new" })
        #expect(call.connection.errors.isEmpty, "\(call.connection.errors)")
    }

    @Test func aLateFinalChunkOfTheOldItemIsSentAsText() {
        let call = Call.interruptedByAReseed()
        // The old connection's last transcript, relayed after the switch: its item is not on this one.
        call.step("turn.append", ["role": "user", "text": " buy panels.", "audioMs": 2_000, "providerItemId": "item_old"])
        #expect(call.connection.items.last?.id == "tb_t3", "\(call.connection.items)")
        call.spoken("model", "Gladly.", item: "item_a2", ms: 1_000)
        call.step("model.turnComplete", [:])
        for number in 3 ... 12 { call.exchange(number) }
        #expect(!call.connection.items.contains { $0.id == "tb_t3" })
        #expect(call.connection.errors.isEmpty, "\(call.connection.errors)")
    }
}
