import ArgumentParser
import CapacityTools
import ContextEngine
import Foundation
import JSONWire
import Tokenizer

/// `--provider` and what goes with it, shared by `capacity` and `replay` (docs/benchmarks.md).
struct ProviderOptions: ParsableArguments {
    @Option(help: "Compare strategies as this provider holds the call: gemini-live, openai-realtime or both.")
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
    @Option(help: "Report the exchanges of history the provider holds at this exchange (default: capacity 50, replay 10).")
    var historyAt: Int?
    @Option(help: "Prices per million input tokens, input=N[,cached=N], for a cost per call.") var price: String?

    /// The profiles `--provider` names (`both`: Gemini, then OpenAI; `--model` then applies to neither).
    func profiles() throws -> [ProviderProfile] {
        guard let name = provider else { return [] }
        let kinds: [ProviderKind]
        if name == "both" {
            guard model == nil else { throw CLIError("--model names one provider's model; give --provider too") }
            kinds = ProviderKind.allCases
        } else if let kind = ProviderKind(rawValue: name) {
            kinds = [kind]
        } else {
            throw CLIError("--provider must be gemini-live, openai-realtime or both")
        }
        do { return try kinds.map { try ProviderProfile.named($0, model: model) } } catch let error as ContextError {
            throw CLIError(error.message)
        }
    }

    /// `x.svg` for one provider, `x-<provider>.svg` for each of both.
    ///
    /// - Throws: when `plot` names no file (empty, a folder): with both providers `--plot ""` wrote
    ///   `../<folder>-gemini-live.svg` and `--plot out/` wrote `out-gemini-live.svg` beside it (audit).
    func plotPath(_ plot: String?, _ profile: ProviderProfile) throws -> String? {
        guard let plot else { return nil }
        var isFolder: ObjCBool = false
        if plot.isEmpty || plot.hasSuffix("/") || (FileManager.default.fileExists(atPath: plot, isDirectory: &isFolder) && isFolder.boolValue) {
            throw CLIError("--plot \"\(plot)\" names a folder or nothing; give a file, e.g. chart.svg")
        }
        guard provider == "both" else { return plot }
        let url = URL(fileURLWithPath: plot)
        return url.deletingPathExtension().path + "-" + profile.kind.rawValue + "." + (url.pathExtension.isEmpty ? "svg" : url.pathExtension)
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

    /// Checked when the options are parsed (ArgumentParser validates an option group): a usage error,
    /// exit 64 with the command's usage, naming the option — the timing bounds were exit 1 with every
    /// bound in one sentence (re-audit N8).
    func validate() throws {
        // An exchange is numbered from 1: --history-at=-5 was accepted and reported nothing.
        if let historyAt, historyAt < 1 { throw ValidationError("--history-at must be at least 1") }
        // Bounded above too: 1e300 seconds, or a rate of 1e-300 words a minute, made a turn's audio
        // tokens a Double no Int holds (a trap). A day of audio per turn and 1–10,000 words a minute
        // are past anything spoken.
        let day = Double(Bounds.maxDurationMs) / 1_000
        for (name, value) in [("--user-seconds", userSeconds), ("--model-seconds", modelSeconds)] where !(value > 0 && value <= day) {
            throw ValidationError("\(name) must be in (0, \(Int(day))] seconds (a day), got \(value)")
        }
        if !(wpm >= 1 && wpm <= 10_000) { throw ValidationError("--wpm must be in [1, 10000] words a minute, got \(wpm)") }
        if let connectionSeconds, !(connectionSeconds > 60 && connectionSeconds <= day) {
            throw ValidationError("--connection-seconds must be in (60, \(Int(day))], got \(connectionSeconds)")
        }
    }

    func timing(_ kind: ProviderKind) -> CallTiming {
        CallTiming(
            userSeconds: userSeconds, modelSeconds: modelSeconds, wordsPerMinute: wpm, audio: !textTurns,
            connectionSeconds: connectionSeconds ?? CallTiming.connectionSeconds(kind))
    }

    func tokenPrice() throws -> TokenPrice? {
        guard let price else { return nil }
        do { return try TokenPrice(parsing: price) } catch { throw CLIError("\(error)") }
    }

    /// The table (or the JSON value) and the chart of a provider run: one row and one panel per strategy.
    func report(_ results: [(ProviderStrategy, [ProviderFigures])], profile: ProviderProfile, header: String, json: Bool,
                plot: String?, series: ([ProviderFigures]) -> [SegmentSample]) throws -> (text: String, json: JSONValue)
    {
        let price = try tokenPrice()
        let summaries = results.map { ProviderSummary($0.1) }
        let baseline = summaries.first { $0.strategy == ProviderStrategy.keepAll.rawValue }
        let value: JSONValue = [
            "provider": .string(profile.kind.rawValue), "model": .string(profile.model),
            "limit": JSONValue(profile.heldLimit), "strategies": ProviderReport.json(summaries, baseline: baseline, price: price),
        ]
        let historyAt = results.first?.1.first?.historyAtExchange ?? 0
        let text = header + "\n\n" + ProviderReport.table(summaries, baseline: baseline, price: price)
            + "\nover limit: the first exchange at which the provider held more than its limit \(profile.heldLimit) "
            + "(replays: calls that did); history@N: exchanges whose turns it still held at exchange \(historyAt); "
            + "billed: what it held at each answer, summed (input tokens); cached: the part its prefix cache serves\n"
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
        return (text, value)
    }

    /// Writes the reports of every provider run: text one after the other, JSON as one array.
    func write(_ reports: [(text: String, json: JSONValue)], json: Bool) {
        if json {
            writeStandardOutput(JSONWriter.string(reports.count == 1 ? reports[0].json : .array(reports.map(\.json))) + "\n")
        } else {
            writeStandardOutput(reports.map(\.text).joined(separator: "\n"))
        }
    }
}

extension CapacityCommand {
    /// `capacity --provider`: the profile as the provider holds it, under each strategy.
    func runProvider() throws {
        provider.write(try provider.profiles().map { profile in try runProvider(profile) }, json: json)
    }

    func runProvider(_ profile: ProviderProfile) throws -> (text: String, json: JSONValue) {
        let encodingName = budget.encodingOption ?? profile.encoding
        let tokenizer: any TextTokenizer
        do { tokenizer = try Tokenizers.named(encodingName) } catch { throw CLIError("\(error)") }
        let scriptSize = try scriptSize(tokenizer)
        let callProfile = CapacityProfile(
            userTokens: userTokens, modelTokens: modelTokens, instructionTokens: instructionTokens,
            instructionEvery: instructionEvery)
        let timing = provider.timing(profile.kind)
        let policy = try loadPolicy(policies.last { $0 != "keep-all" } ?? "strip-after-response")
        let window = budget.windowOption
        let reserve = budget.reserveOption
        let results = try provider.selectedStrategies(profile.kind).map { strategy -> (ProviderStrategy, [ProviderFigures]) in
            do {
                let figures = try ProviderRuns.capacity(
                    strategy: strategy, provider: profile, policy: policy, scriptTokens: scriptSize, window: window,
                    reserve: reserve, profile: callProfile, timing: timing, exchanges: exchanges,
                    historyAt: min(provider.historyAt ?? 50, exchanges),  // as --at is: "at exchange 50" of a 40-exchange run read 0.0
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
        return try provider.report(results, profile: profile, header: header, json: json, plot: try provider.plotPath(plot, profile)) {
            $0[0].series
        }
    }
}
