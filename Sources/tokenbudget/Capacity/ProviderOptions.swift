import ArgumentParser
import CapacityTools
import ContextEngine
import Foundation
import JSONWire
import Tokenizer

/// `--provider` and what goes with it, shared by `capacity` and `replay` (docs/benchmarks.md).
struct ProviderOptions: ParsableArguments {
    @Option(help: "Compare strategies as this provider holds the call: gemini-live or openai-realtime.")
    var provider: String?
    @Option(help: "The provider's model (default: the profile's; docs/providers.md).") var model: String?
    @Option(name: .customLong("strategy"), help: "A strategy to compare (repeatable; default: all of the provider's).")
    var strategies: [String] = []
    @Option(help: "Seconds of audio per client turn (token-count profiles).") var userSeconds = 4.0
    @Option(help: "Seconds of audio per agent turn (token-count profiles).") var modelSeconds = 8.0
    @Option(help: "Speaking rate for recorded text, words per minute.") var wpm = 150.0
    @Flag(help: "Turns are text, not audio (the reference profile's arithmetic).") var textTurns = false
    @Option(help: "Seconds a provider connection lasts (default: Gemini 600, OpenAI 3600; goAway 60 s before).")
    var connectionSeconds: Double?
    @Option(help: "Report the exchanges of history the provider holds at this exchange.") var historyAt = 50
    @Option(help: "Prices per million input tokens, input=N[,cached=N], for a cost per call.") var price: String?

    func profile() throws -> ProviderProfile {
        guard let name = provider, let kind = ProviderKind(rawValue: name) else {
            throw CLIError("--provider must be gemini-live or openai-realtime")
        }
        do { return try ProviderProfile.named(kind, model: model) } catch let error as ContextError {
            throw CLIError(error.message)
        }
    }

    func selectedStrategies(_ kind: ProviderKind) throws -> [ProviderStrategy] {
        guard !strategies.isEmpty else { return ProviderStrategy.all(for: kind) }
        var selected = try strategies.map { name -> ProviderStrategy in
            guard let strategy = ProviderStrategy(rawValue: name), strategy.applies(to: kind) else {
                throw CLIError("--strategy \(name): \(kind.rawValue) has " + ProviderStrategy.all(for: kind).map(\.rawValue).joined(separator: ", "))
            }
            return strategy
        }
        if !selected.contains(.keepAll) { selected.append(.keepAll) }  // the baseline of the saving
        return selected
    }

    func timing(_ kind: ProviderKind) throws -> CallTiming {
        guard userSeconds > 0, modelSeconds > 0, wpm > 0, (connectionSeconds ?? 600) > 60 else {
            throw CLIError("--user-seconds, --model-seconds and --wpm must be positive, --connection-seconds over 60")
        }
        return CallTiming(
            userSeconds: userSeconds, modelSeconds: modelSeconds, wordsPerMinute: wpm, audio: !textTurns,
            connectionSeconds: connectionSeconds ?? CallTiming.connectionSeconds(kind))
    }

    func tokenPrice() throws -> TokenPrice? {
        guard let price else { return nil }
        do { return try TokenPrice(parsing: price) } catch { throw CLIError("\(error)") }
    }

    /// The table (or JSON) and the chart of a provider run: one row and one panel per strategy.
    func report(_ results: [(ProviderStrategy, [ProviderFigures])], profile: ProviderProfile, header: String, json: Bool,
                plot: String?, series: ([ProviderFigures]) -> [SegmentSample]) throws
    {
        let price = try tokenPrice()
        let summaries = results.map { ProviderSummary($0.1) }
        let baseline = summaries.first { $0.strategy == ProviderStrategy.keepAll.rawValue }
        if json {
            let value: JSONValue = [
                "provider": .string(profile.kind.rawValue), "model": .string(profile.model),
                "limit": JSONValue(profile.heldLimit), "strategies": ProviderReport.json(summaries, baseline: baseline, price: price),
            ]
            writeStandardOutput(JSONWriter.string(value) + "\n")
        } else {
            writeStandardOutput(
                header + "\n\n" + ProviderReport.table(summaries, baseline: baseline, price: price)
                    + "\nover limit: the first exchange at which the provider held more than its limit \(profile.heldLimit) "
                    + "(replays: calls that did); history@N: exchanges whose turns it still held at exchange \(historyAt); "
                    + "billed: what it held at each answer, summed (input tokens); cached: the part its prefix cache serves\n")
        }
        if let plot {
            let panels = zip(results, summaries).map { result, summary in
                SVGChart.Panel(
                    title: "\(profile.kind.rawValue) — \(result.0.rawValue): over the limit "
                        + (summary.calls == 1 ? (summary.firstOver.map { "at exchange \($0)" } ?? "never") : "in \(summary.callsOver)/\(summary.calls) calls")
                        + String(format: ", %.1f re-seeds/h", summary.reseedsPerHour),
                    samples: series(result.1), providerLimit: profile.heldLimit)
            }
            try writeFile(SVGChart.render(title: header, panels: panels), to: plot)
        }
    }
}

extension CapacityCommand {
    /// `capacity --provider`: the profile as the provider holds it, under each strategy.
    func runProvider() throws {
        let profile = try provider.profile()
        let encodingName = encoding == "o200k_base" ? profile.encoding : encoding
        let tokenizer: any TextTokenizer
        do { tokenizer = try Tokenizers.named(encodingName) } catch { throw CLIError("\(error)") }
        var scriptSize = scriptTokens ?? 20_000
        if let script {
            guard let data = FileManager.default.contents(atPath: script) else { throw CLIError("cannot read \(script)") }
            scriptSize = tokenizer.count(String(decoding: data, as: UTF8.self))
        }
        let callProfile = CapacityProfile(
            userTokens: userTokens, modelTokens: modelTokens, instructionTokens: instructionTokens,
            instructionEvery: instructionEvery)
        let timing = try provider.timing(profile.kind)
        let policy = try loadPolicy(policies.last { $0 != "keep-all" } ?? "strip-after-response")
        let window = self.window == 32_000 ? nil : self.window
        let reserve = self.reserve == 0 ? nil : self.reserve
        let results = try provider.selectedStrategies(profile.kind).map { strategy -> (ProviderStrategy, [ProviderFigures]) in
            do {
                let figures = try ProviderRuns.capacity(
                    strategy: strategy, provider: profile, policy: policy, scriptTokens: scriptSize, window: window,
                    reserve: reserve, profile: callProfile, timing: timing, exchanges: exchanges, historyAt: provider.historyAt,
                    tokenizer: tokenizer)
                return (strategy, [figures])
            } catch let error as ContextError {
                throw CLIError("\(strategy.rawValue): \(error.message)")
            }
        }
        let turns = timing.audio
            ? String(format: "spoken turns %.0f s / %.0f s", timing.userSeconds, timing.modelSeconds)
            : "text turns \(userTokens) / \(modelTokens) tokens"
        let header = "\(profile.kind.rawValue) \(profile.model): script \(scriptSize) tokens, \(turns), instruction "
            + "\(instructionTokens) every \(instructionEvery); \(exchanges) exchanges, policy \(policy.name)"
        try provider.report(results, profile: profile, header: header, json: json, plot: plot) { $0[0].series }
    }
}
