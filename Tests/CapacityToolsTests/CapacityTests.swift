import CapacityTools
import ContextEngine
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
import Tokenizer

@Suite struct CapacityTests {
    let o200k = try! BPEEncoding.named("o200k_base")

    /// The reference profile pinned: 21 exchanges for keep-all, 77 for strip-after-response, as the
    /// arithmetic bounds say: floor(12,000 / 550) and floor((12,000 − 400) / 150).
    @Test func referenceProfileMatchesTheArithmeticBound() throws {
        let run = { (policy: ContextPolicy) in
            try CapacitySimulation.run(
                policy: policy, scriptTokens: 20_000, window: 32_000, reserve: 0, profile: .reference, exchanges: 300,
                retainedAt: 100, tokenizer: self.o200k)
        }
        let keepAll = try run(.keepAll)
        let strip = try run(.stripAfterResponse)
        #expect(keepAll.exchangesBeforeFirstEviction == 12_000 / 550)
        #expect(keepAll.exchangesBeforeFirstEviction == 21)
        #expect(strip.exchangesBeforeFirstEviction == (12_000 - 400) / 150)
        #expect(strip.exchangesBeforeFirstEviction == 77)
        // Strip-after-response keeps far more exchanges and reads fewer tokens per session.
        #expect(strip.retained > keepAll.retained)
        #expect(strip.contextTokensSum < keepAll.contextTokensSum)
        #expect(strip.instructionsInjected == 300 && strip.instructionsStripped == 300)
        #expect(keepAll.instructionsStripped == 0)
        #expect(strip.series.allSatisfy { $0.total <= 32_000 } && keepAll.series.allSatisfy { $0.total <= 32_000 })
    }

    /// An instruction over the policy's 2,000 tokens is cut to 2,000, as the engine cuts a real one
    /// (it was cut to the placeholder text's 8 tokens): keep-all evicts after floor(12,000 / 2,150)
    /// = 5 exchanges with 2,000 and with 2,001, not after 75.
    @Test func anInstructionOverTheLimitIsCutToTheLimit() throws {
        let run = { (tokens: Int) in
            try CapacitySimulation.run(
                policy: .keepAll, scriptTokens: 20_000, window: 32_000, reserve: 0,
                profile: CapacityProfile(instructionTokens: tokens), exchanges: 100, retainedAt: 50, tokenizer: self.o200k)
        }
        let atLimit = try run(2_000), over = try run(2_001)
        #expect(atLimit.exchangesBeforeFirstEviction == 12_000 / 2_150)
        #expect(over.exchangesBeforeFirstEviction == atLimit.exchangesBeforeFirstEviction)
        #expect(over.contextTokensSum == atLimit.contextTokensSum)
    }

    /// Retained exchanges after eviction stay within what the budget can hold.
    @Test(arguments: [10, 50, 200])
    func retainedExchangesRespectTheBudget(_ at: Int) throws {
        let report = try CapacitySimulation.run(
            policy: .stripAfterResponse, scriptTokens: 20_000, window: 32_000, reserve: 1_000, profile: .reference,
            exchanges: 250, retainedAt: at, tokenizer: o200k)
        #expect(report.retained <= (32_000 - 1_000 - 20_000) / 150)
        #expect(report.retained == min(at, report.retained))
        #expect(report.retained >= 1)
    }

    @Test func replayOfARealSessionCountsEveryTurn() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let file = root.appendingPathComponent("fixtures/sessions/persuasion4good-0001.jsonl").path
        let events = try EventLog.read(file)
        let scriptText = try String(contentsOf: root.appendingPathComponent("fixtures/scripts/donation-agent.md"), encoding: .utf8)
        let script = ScriptRegistry.shared.script(text: scriptText, tokenizer: o200k)
        let synthetic = SyntheticInstructions(
            every: 2, tokens: 40, lines: ["Ask one open question and wait."], tokenizer: o200k)
        #expect(o200k.count(synthetic.texts[0]) == 40)
        let result = try Replayer.replay(
            events, file: file, script: script, configuration: SessionConfiguration(window: 800), tokenizer: o200k,
            synthetic: synthetic)
        #expect(result.turns == events.count)
        #expect(result.rows.filter { $0.kind != .instruction }.count == events.count)
        // The log opens with the agent's greeting: exchange 1 on its own, as the engine numbers it,
        // then one sample an exchange (it was [1, 1, 2, …]: one exchange off against the rest).
        #expect(events.first?.kind == .model)
        #expect(result.series.map(\.exchange) == Array(1 ... result.series.count))
        // Every turn's tokens are the tokenizer's count of its text.
        for (row, event) in zip(result.rows, events) { #expect(row.tokens == o200k.count(event.text)) }
        #expect(result.peak <= 800)
        #expect(result.evictions > 0)
        #expect(result.instructionsInjected == events.filter { $0.kind == .user }.count / 2)
        #expect(result.instructionsInjected == result.instructionsStripped)
        // Every evicted exchange shows on a row, also those a synthesized instruction evicted at
        // the speech start before a user turn (no row of its own).
        #expect(result.rows.map(\.evicted).reduce(0, +) == result.exchangesEvicted)
        let keepAll = try Replayer.replay(
            events, file: file, script: script, configuration: SessionConfiguration(window: 800, policy: .keepAll),
            tokenizer: o200k, synthetic: SyntheticInstructions(every: 1, tokens: 120, lines: ["Ask one open question and wait."], tokenizer: o200k))
        #expect(keepAll.exchangesEvicted > 0)
        #expect(keepAll.rows.map(\.evicted).reduce(0, +) == keepAll.exchangesEvicted)
    }

    @Test func eventLogErrorsNameTheLine() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-log-\(UUID()).jsonl")
        try Data("{\"seq\":0,\"type\":\"user\",\"text\":\"hi\"}\n{\"seq\":1,\"type\":\"bot\",\"text\":\"x\"}\n".utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        do {
            _ = try EventLog.read(url.path)
            Issue.record("expected an error")
        } catch let error as EventLogError {
            #expect(error.description.contains(":2:"))
        }
    }

    @Test func chartIsWellFormedSVG() throws {
        let report = try CapacitySimulation.run(
            policy: .stripAfterResponse, scriptTokens: 20_000, window: 32_000, reserve: 0, profile: .reference,
            exchanges: 120, retainedAt: 100, tokenizer: o200k)
        let svg = SVGChart.render(title: "t <&>", panels: [.init(title: "strip", samples: report.series)])
        let document = try XMLDocument(data: Data(svg.utf8))
        #expect(document.rootElement()?.name == "svg")
        #expect(svg.components(separatedBy: "<polygon").count - 1 == 5)
        #expect(svg.contains("t &lt;&amp;&gt;"))
        // A control character in a name (a policy file's) is no XML character: replaced.
        let odd = SVGChart.render(title: "evil\u{1}<&>\u{1F}", panels: [.init(title: "p\u{0}olicy", samples: report.series)])
        _ = try XMLDocument(data: Data(odd.utf8))
        #expect(odd.contains("evil\u{FFFD}&lt;&amp;&gt;\u{FFFD}") && odd.contains("p\u{FFFD}olicy"))
    }
}
