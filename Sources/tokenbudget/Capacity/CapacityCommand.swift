import ArgumentParser
import CapacityTools
import ContextEngine
import Foundation
import JSONWire
import Tokenizer

struct CapacityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "How long a session lives under each policy, for a script and a call profile.",
        discussion: """
            Simulates exchanges (an instruction every --instruction-every exchanges, the client's turn, \
            the agent's turn) through the real engine with the given token counts. Reports exchanges \
            before the first eviction, exchanges retained at exchange --at, the context tokens the model \
            reads over the session and the saving against keep-all, and instructions injected/stripped.
            """)

    @Option(help: "Script file (its tokens are counted with --encoding).") var script: String?
    @Option(help: "Script size in tokens, instead of a file.") var scriptTokens: Int?
    @OptionGroup var budget: BudgetOptions
    var encoding: String { budget.encoding }
    var window: Int { budget.window }
    var reserve: Int { budget.reserve }
    @Option(help: "Tokens per client turn.") var userTokens = 50
    @Option(help: "Tokens per agent turn.") var modelTokens = 100
    @Option(help: "Tokens per rendered manager instruction (0 for none).") var instructionTokens = 400
    @Option(help: "An instruction every k exchanges.") var instructionEvery = 1
    @Option(name: .customLong("policy"), help: "Preset name or policy file (repeatable).")
    var policies: [String] = ["keep-all", "strip-after-response"]
    @Option(help: "Exchanges to simulate.") var exchanges = 200
    @Option(help: "Report the exchanges retained after this exchange.") var at = 100
    @Flag(help: "JSON for machines instead of the table.") var json = false
    @Option(help: "Write a chart of context tokens per exchange, stacked by segment.") var plot: String?
    @OptionGroup var provider: ProviderOptions

    /// 1 M exchanges: ~50 hours of call at one exchange every 10 s, ~18 s of simulation.
    static let maxExchanges = 1_000_000

    func validate() throws {
        guard script == nil || scriptTokens == nil else { throw ValidationError("give --script or --script-tokens, not both") }
        guard exchanges >= 1, at >= 1, window >= 1, reserve >= 0, userTokens >= 0, modelTokens >= 0,
            instructionTokens >= 0, instructionEvery >= 1, (scriptTokens ?? 0) >= 0
        else { throw ValidationError("counts must be positive (tokens may be 0)") }
        // Past these a token count overflowed a sum (trap) and --exchanges reserved its series up
        // front (an abort allocating 6.4 TB); the engine's own bound on a window is the same.
        let most = Bounds.maxWindow
        guard window <= most, reserve <= most, userTokens <= most, modelTokens <= most, instructionTokens <= most,
            (scriptTokens ?? 0) <= most, at <= CapacityCommand.maxExchanges
        else { throw ValidationError("token counts must be at most \(most), --at at most \(CapacityCommand.maxExchanges)") }
        guard exchanges <= CapacityCommand.maxExchanges else {
            throw ValidationError("--exchanges must be at most \(CapacityCommand.maxExchanges)")
        }
    }

    /// `--script-tokens`, or the script file counted with `tokenizer`; 20,000 by default.
    func scriptSize(_ tokenizer: any TextTokenizer) throws -> Int {
        guard let script else { return scriptTokens ?? 20_000 }
        guard let data = FileManager.default.contents(atPath: script) else { throw CLIError("cannot read \(script)") }
        return tokenizer.count(String(decoding: data, as: UTF8.self))
    }

    func run() throws {
        if provider.provider != nil { return try runProvider() }
        let tokenizer: any TextTokenizer
        do { tokenizer = try Tokenizers.named(encoding) } catch { throw CLIError("\(error)") }
        let scriptSize = try scriptSize(tokenizer)
        let profile = CapacityProfile(
            userTokens: userTokens, modelTokens: modelTokens, instructionTokens: instructionTokens,
            instructionEvery: instructionEvery)
        func simulate(_ policy: ContextPolicy) throws -> CapacityReport {
            do {
                return try CapacitySimulation.run(
                    policy: policy, scriptTokens: scriptSize, window: window, reserve: reserve, profile: profile,
                    exchanges: exchanges, retainedAt: at, tokenizer: tokenizer)
            } catch let error as ContextError {
                throw CLIError("\(policy.name): \(error.message)")
            }
        }
        let baseline = try simulate(.keepAll)
        let reports = try policies.map { try simulate(try loadPolicy($0)) }
        if json {
            let value: JSONValue = [
                "scriptTokens": JSONValue(scriptSize), "window": JSONValue(window), "reserve": JSONValue(reserve),
                "profile": [
                    "userTokens": JSONValue(userTokens), "modelTokens": JSONValue(modelTokens),
                    "instructionTokens": JSONValue(instructionTokens), "instructionEvery": JSONValue(instructionEvery),
                ],
                "exchanges": JSONValue(exchanges),
                "policies": .array(reports.map { report in
                    [
                        "policy": .string(report.policy),
                        "exchangesBeforeFirstEviction": report.evictedAtAll ? JSONValue(report.exchangesBeforeFirstEviction) : .null,
                        "retainedAtExchange": JSONValue(report.retainedAtExchange), "retained": JSONValue(report.retained),
                        "contextTokensPerSession": JSONValue(report.contextTokensSum),
                        "tokensSavedVsKeepAll": JSONValue(baseline.contextTokensSum - report.contextTokensSum),
                        "instructionsInjected": JSONValue(report.instructionsInjected),
                        "instructionsStripped": JSONValue(report.instructionsStripped),
                        "evictions": JSONValue(report.evictions),
                    ]
                }),
            ]
            writeStandardOutput(JSONWriter.string(value) + "\n")
        } else {
            var out = "script \(scriptSize) tokens, window \(window), reserve \(reserve); per exchange: client \(userTokens), "
                + "agent \(modelTokens), instruction \(instructionTokens) every \(instructionEvery); \(exchanges) exchanges\n\n"
            out += pad("policy", 24, right: false) + pad("first eviction", 15) + pad("retained@\(min(at, exchanges))", 13)
                + pad("context tokens", 16) + pad("saved vs keep-all", 19) + pad("injected", 10) + pad("stripped", 10)
                + pad("evictions", 11) + "\n"
            for report in reports {
                let first = report.evictedAtAll ? String(report.exchangesBeforeFirstEviction) : "none"
                let saved = baseline.contextTokensSum - report.contextTokensSum
                let percent = baseline.contextTokensSum > 0 ? 100 * Double(saved) / Double(baseline.contextTokensSum) : 0
                out += pad(report.policy, 24, right: false) + pad(first, 15) + pad(String(report.retained), 13)
                    + pad(String(report.contextTokensSum), 16) + pad("\(saved) (\(String(format: "%.1f", percent))%)", 19)
                    + pad(String(report.instructionsInjected), 10) + pad(String(report.instructionsStripped), 10)
                    + pad(String(report.evictions), 11) + "\n"
            }
            out += "\nfirst eviction: complete exchanges before the first eviction; context tokens: what the model reads "
                + "over the session (the context at each answer, summed)\n"
            writeStandardOutput(out)
        }
        if let plot {
            let panels = reports.map { report in
                SVGChart.Panel(
                    title: "\(report.policy): first eviction after \(report.evictedAtAll ? String(report.exchangesBeforeFirstEviction) : "none") exchanges",
                    samples: report.series)
            }
            try writeFile(
                SVGChart.render(title: "Context tokens per exchange (window \(window), script \(scriptSize))", panels: panels),
                to: plot)
        }
    }
}
