import EngineServer
import Foundation
import JSONWire
import Testing

/// On OpenAI an item is a turn: a chunk naming another item starts a turn of its own, and a late
/// chunk of the last turn's own item grows it again. Checked against an OpenAI connection simulated
/// item by item (`TurnAcrossReseedTests.Connection`): the engine's `held` equals it after every step,
/// and every delete names an item it has.
@Suite struct ProviderItemTurnsTests {
    typealias Call = TurnAcrossReseedTests.Call

    /// OpenAI transcribes asynchronously: the caller's next speech start (which ends the turn and
    /// brings in the pending instruction) can come before the transcript of what they said. The late
    /// chunk grows the turn; it was refused ("already names another item") and its text lost (audit).
    @Test func aLateTranscriptAfterTheNextSpeechStartGrowsTheTurn() {
        let call = Call()
        call.exchange(1)
        call.step("client.speechStarted", [:])
        call.spoken("user", "I want", item: "item_a", ms: 1_500, final: false)
        call.step("instruction.push", ["text": "Mention the discount."])
        call.step("client.speechStarted", [:])
        call.spoken("user", " panels for my roof.", item: "item_a", ms: 4_000)
        #expect(call.texts["t3"] == "I want panels for my roof.", "\(call.texts)")
        call.spoken("user", "How much?", item: "item_b", ms: 1_000)
        call.spoken("model", "Nine thousand, ten percent off.", item: "item_m", ms: 2_000)
        call.step("model.turnComplete", [:])
        for number in 3 ... 12 { call.exchange(number) }
        #expect(!call.connection.items.contains { ["item_a", "item_b", "item_m"].contains($0.id) })
        #expect(call.connection.errors.isEmpty, "\(call.connection.errors)")
    }

    /// A re-seed planned after the turn ended holds it as it was then: its late chunk is refused, and
    /// the new connection holds what the ledger says (grown, the ledger held more than the seed
    /// created; audit).
    @Test func aTurnAPlannedReseedHoldsDoesNotGrow() {
        let call = Call()
        call.step("client.speechStarted", [:])
        call.spoken("user", "I want", item: "item_a", ms: 1_500, final: false)
        call.step("client.speechStarted", [:])
        call.step("resume.goAway", ["timeLeftMs": 1_000])
        let late = call.harness.call("turn.append", ["session": "o", "role": "user", "text": " panels", "audioMs": 2_000,
                                                     "providerItemId": "item_a"])
        #expect(late["error"]?["message"]?.stringValue?.contains("(a planned re-seed holds it as it was)") == true, "\(late)")
        call.step("resume.connected", ["reseeded": true])
        call.spoken("model", "Panels?", item: "item_m", ms: 1_000)
        #expect(call.connection.errors.isEmpty, "\(call.connection.errors)")
    }

    /// A chunk of the caller's next item while the turn before is still arriving ends that turn.
    @Test func aChunkNamingAnotherItemStartsATurnOfItsOwn() {
        let call = Call()
        call.step("client.speechStarted", [:])
        call.spoken("user", "I want", item: "item_a", ms: 1_500, final: false)
        call.spoken("user", "Sorry, how much?", item: "item_b", ms: 1_200, final: false)
        #expect(call.texts["t1"] == "I want" && call.texts["t2"] == "Sorry, how much?", "\(call.texts)")
        call.spoken("user", " Roughly.", item: "item_b", ms: 2_000)
        call.spoken("model", "About nine thousand.", item: "item_m", ms: 2_000)
        call.step("model.turnComplete", [:])
        for number in 2 ... 12 { call.exchange(number) }
        #expect(call.connection.errors.isEmpty, "\(call.connection.errors)")
    }

    /// A turn with a later turn after it does not grow: its late chunk is refused, naming the turn,
    /// and changes nothing.
    @Test func aLateChunkOfATurnWithALaterTurnAfterItIsRefused() {
        let call = Call()
        call.step("client.speechStarted", [:])
        call.spoken("user", "I want", item: "item_a", ms: 1_500)
        call.spoken("model", "Panels?", item: "item_m", ms: 1_000)
        let before = call.harness.call("context.snapshot", ["session": "o"])["result"]?["hash"]
        let late = call.harness.call("turn.append", ["session": "o", "role": "user", "text": " panels", "audioMs": 2_000,
                                                     "providerItemId": "item_a"])
        #expect(Harness.code(late) == -32602, "\(late)")
        #expect(late["error"]?["message"]?.stringValue?.contains("names turn t1, which has ended and does not grow (a later turn follows it)") == true,
                "\(late)")
        #expect(call.harness.call("context.snapshot", ["session": "o"])["result"]?["hash"] == before)
    }
}
