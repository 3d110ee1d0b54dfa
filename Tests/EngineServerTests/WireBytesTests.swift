import ContextEngine
import EngineServer
import JSONWire
import Testing
import Tokenizer

/// The direct byte encodings write exactly what the `JSONValue` forms write.
@Suite struct WireBytesTests {
    @Test func directEncodingEqualsTheValueForm() throws {
        var session = try ContextSession(
            id: "s", script: Script(text: "SCRIPT", tokens: 900, encoding: "o200k_base"),
            configuration: SessionConfiguration(window: 1_200), tokenizer: try BPEEncoding.named("o200k_base"))
        var outcomes = [EventOutcome]()
        outcomes.append(try session.appendTurn(.user, text: "quote \"this\"\n\ttab é 😀 \u{01}", final: false))
        outcomes.append(try session.appendTurn(.user, text: " more", final: true))
        outcomes.append(try session.pushInstruction("coach", tokens: 20))
        outcomes.append(try session.clientSpeechStarted())
        outcomes.append(try session.appendTurn(.model, text: "answer", tokens: 60))
        outcomes.append(session.modelTurnComplete())
        for _ in 0 ..< 5 { outcomes.append(try session.appendTurn(.user, text: "u", tokens: 30)) }
        #expect(outcomes.contains { !$0.delta.removed.isEmpty })
        for outcome in outcomes {
            var direct = [UInt8]()
            outcome.delta.writeJSON(into: &direct)
            #expect(direct == Array(JSONWriter.string(outcome.delta.json).utf8))
            var usage = [UInt8]()
            outcome.usage.writeJSON(into: &usage)
            #expect(usage == Array(JSONWriter.string(outcome.usage.json).utf8))
        }
    }
}
