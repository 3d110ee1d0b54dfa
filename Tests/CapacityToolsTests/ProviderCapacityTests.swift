import Foundation
import CapacityTools
import ContextEngine
import Testing
import Tokenizer

/// The reference profile (20,000-token script, 50/100-token text turns, a 400-token instruction every
/// exchange, 12 s per exchange) as each provider holds it under each strategy, against arithmetic.
@Suite struct ProviderCapacityTests {
    let o200k = try! BPEEncoding.named("o200k_base")
    let textTurns = CallTiming(audio: false, connectionSeconds: 600)

    func run(_ strategy: ProviderStrategy, _ kind: ProviderKind = .geminiLive, exchanges: Int, timing: CallTiming? = nil)
        throws -> ProviderFigures
    {
        try ProviderRuns.capacity(
            strategy: strategy, provider: try ProviderProfile.named(kind), policy: .stripAfterResponse, scriptTokens: 20_000,
            profile: .reference, timing: timing ?? textTurns, exchanges: exchanges, historyAt: 10, tokenizer: o200k)
    }

    /// Resume-only holds everything: 20,000 + 550 per exchange; it passes 32,000 at exchange 22
    /// (31,550 after 21, +400 +50 +100 = 32,100). Billed per call: the model answers after the
    /// client's turn, holding 20,450 + 550·(k−1) at exchange k: Σ over 30 = 30·20,450 + 550·435 = 852,750.
    @Test func resumeOnlyPassesTheWindowAtExchange22() throws {
        let figures = try run(.resumeOnly, exchanges: 30)
        #expect(figures.firstOver == 22)
        #expect(figures.billedInput == 852_750)
        #expect(figures.reseeds == 0)
        // Append-only on one connection: each answer's prompt is the previous one plus what followed.
        #expect(figures.cachedInput == 852_750 - 20_450 - 29 * 550)
    }

    /// An instruction in the system instruction changes it at every exchange (a new instruction in,
    /// the answered one out), and the system instruction comes first: no answer's prefix is cached.
    /// Items compared by their token counts alone counted a new instruction of the same size as the
    /// same prompt (spoken, 200 exchanges: $5.90 a call where it is $21.87). Engine-planned, on the
    /// same calls, caches what it held at the previous answer when no re-seed came between.
    @Test func aChangedSystemInstructionCachesNothing() throws {
        let system = try run(.systemInstruction, exchanges: 30)
        #expect(system.billedInput > 0 && system.cachedInput == 0)
        let planned = try run(.enginePlanned, exchanges: 30)
        // Answers 2–16, 18–27, 29–30 cache the previous prompt: 16, 27 and 29 prompts' worth less
        // the answers right after a re-seed. Σ over k of the held at answer k−1 in each stretch.
        let stretch = { (first: Int, count: Int, step: Int) in (0 ..< count).reduce(0) { $0 + first + step * $1 } }
        #expect(planned.cachedInput == stretch(20_450, 15, 550) + stretch(22_850, 10, 550) + stretch(24_500, 2, 550))
    }

    /// Engine-planned re-seeds (at 17 and 28, ProviderReferenceTests has the arithmetic): billed
    /// Σ k=1..16 (20,450 + 550·(k−1)) = 393,200; exchange 17 answers on the seed 22,800 + 50 = 22,850;
    /// 18..27: Σ j=1..10 (23,400 + 550·(j−1)) = 258,750; 28 on the seed 24,450 + 50 = 24,500; 29, 30:
    /// 25,050 + 25,600. Total 749,950: 102,800 (12.1 %) less than keep-all over 30 exchanges.
    @Test func enginePlannedNeverPassesAndBillsLess() throws {
        let planned = try run(.enginePlanned, exchanges: 30)
        let keepAll = try run(.keepAll, exchanges: 30)
        #expect(planned.firstOver == nil)
        #expect(planned.reseeds == 2)
        #expect(planned.billedInput == 749_950)
        #expect(keepAll.billedInput == 852_750)
        #expect(keepAll.billedInput - planned.billedInput == 102_800)
        let long = try run(.enginePlanned, exchanges: 1_000)
        #expect(long.firstOver == nil)
        #expect(long.peakHeld <= 32_000)
    }

    /// A goAway every ~10 minutes (540 s: exchange 45 at 12 s each): reseed-at-goaway sheds the
    /// stale instructions there, resume-only never does.
    @Test func goAwaysComeWithTheConnectionsLife() throws {
        let resume = try run(.resumeOnly, exchanges: 100)
        let reseed = try run(.reseedAtGoAway, exchanges: 100)
        #expect(resume.reconnects == 2 && resume.reseeds == 0)
        #expect(reseed.reseeds == 2 && reseed.reconnects == 0)
        #expect(reseed.peakHeld < resume.peakHeld)
        #expect(resume.callSeconds == 1_200)
    }

    /// OpenAI with deletes holds the compacted context, never over 28,224; the spoken profile costs
    /// audio: a 4 s client turn 40 + 4 tokens, an 8 s agent turn 160 + 4.
    @Test func openAIDeletesStayUnderTheInputLimit() throws {
        let figures = try run(.deletes, .openAIRealtime, exchanges: 1_000)
        #expect(figures.firstOver == nil && figures.peakHeld <= 28_224)
        let spoken = try run(.deletes, .openAIRealtime, exchanges: 1, timing: CallTiming())
        // At the answer: script 20,004 + instruction 404 + the client's spoken turn 44.
        #expect(spoken.billedInput == 20_004 + 404 + 44)
    }

    /// Every strategy's chart has the provider line and marks its re-seeds.
    @Test func seriesCarryTheProviderLine() throws {
        let figures = try run(.enginePlanned, exchanges: 40)
        #expect(figures.series.count == 40)
        #expect(figures.series.allSatisfy { $0.held != nil })
        #expect(figures.series.filter(\.reseeded).map(\.exchange) == [17, 28, 36])
        let svg = SVGChart.render(title: "t", panels: [SVGChart.Panel(title: "p", samples: figures.series, providerLimit: 32_000)])
        #expect(svg.contains("provider held") && svg.contains("provider limit 32000") && svg.contains("#2e7d32"))
    }

    /// A recorded call that opens with the agent's greeting, replayed as Gemini holds it without
    /// re-seeds: the provider holds every exchange, and at exchange N it holds exactly N of them —
    /// the greeting is exchange 1, as the engine numbers it (it read N + 1).
    @Test func aReplayedCallHoldsNExchangesAtExchangeN() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let events = try EventLog.read(root.appendingPathComponent("fixtures/sessions/persuasion4good-0001.jsonl").path)
        #expect(events.first?.kind == .model)
        let script = Script(text: "script", tokens: 1_000, encoding: o200k.name)
        for at in [3, 5, 8] {
            let figures = try ProviderRuns.replay(
                events, tokens: events.map { o200k.count($0.text) }, strategy: .resumeOnly,
                provider: try ProviderProfile.named(.geminiLive), policy: .stripAfterResponse, script: script, synthetic: nil,
                timing: textTurns, historyAt: at, tokenizer: o200k)
            #expect(figures.historySeen == at, "at \(at): \(figures.historySeen)")
        }
    }
}
