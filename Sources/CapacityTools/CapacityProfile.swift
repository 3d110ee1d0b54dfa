import ContextEngine
import Tokenizer

/// The shape of a call as token counts: what each exchange adds.
public struct CapacityProfile: Sendable, Equatable {
    public var userTokens: Int
    public var modelTokens: Int
    /// Tokens of a rendered manager instruction (tag included); 0 for none.
    public var instructionTokens: Int
    /// An instruction before every k-th exchange (1 = every exchange).
    public var instructionEvery: Int

    /// The tokens an instruction of the profile has in the context under `policy`: over its
    /// `maxInstructionTokens` it is cut there (`overLimit: truncate`), as the engine cuts a real one.
    /// The engine cuts the text, and the profile's text only stands for its tokens: cut by the
    /// engine, an instruction of 2,001 tokens became the placeholder's 8 and 2,000 stayed 2,000.
    public func instructionTokens(under policy: ContextPolicy) -> Int {
        policy.overLimit == .truncate ? min(instructionTokens, policy.maxInstructionTokens) : instructionTokens
    }

    public init(userTokens: Int = 50, modelTokens: Int = 100, instructionTokens: Int = 400, instructionEvery: Int = 1) {
        self.userTokens = userTokens
        self.modelTokens = modelTokens
        self.instructionTokens = instructionTokens
        self.instructionEvery = instructionEvery
    }

    /// The design notes' profile: 50-token client turns, 100-token agent turns, a 400-token
    /// instruction every exchange.
    public static let reference = CapacityProfile()
}

/// What one policy does with a profile, over a simulated session.
public struct CapacityReport: Sendable {
    public var policy: String
    /// Complete exchanges before the first eviction (the whole run when none happened).
    public var exchangesBeforeFirstEviction: Int
    public var evictedAtAll: Bool
    /// Exchanges still in the context after exchange `retainedAtExchange`.
    public var retainedAtExchange: Int
    public var retained: Int
    /// Context tokens the model reads over the session: the sum of the context size at each model
    /// answer. Providers bill input per answer, so this is the session's input cost.
    public var contextTokensSum: Int
    public var instructionsInjected: Int
    public var instructionsStripped: Int
    public var evictions: Int
    public var series: [SegmentSample]
}

/// Runs a profile through the real `ContextSession` with token counts given, so no text is tokenized.
public enum CapacitySimulation {
    /// - Parameters:
    ///   - exchanges: how long the simulated session runs.
    ///   - retainedAt: the exchange after which `retained` is measured (clamped to `exchanges`).
    /// - Throws: `ContextError` (script over budget, a turn that never fits).
    public static func run(
        policy: ContextPolicy, scriptTokens: Int, window: Int, reserve: Int, profile: CapacityProfile,
        exchanges: Int, retainedAt: Int, tokenizer: any TextTokenizer
    ) throws -> CapacityReport {
        let script = Script(text: "script", tokens: scriptTokens, encoding: tokenizer.name)
        var session = try ContextSession(
            id: "capacity", script: script,
            configuration: SessionConfiguration(window: window, reserve: reserve, policy: policy), tokenizer: tokenizer)
        var report = CapacityReport(
            policy: policy.name, exchangesBeforeFirstEviction: exchanges, evictedAtAll: false,
            retainedAtExchange: min(retainedAt, exchanges), retained: 0, contextTokensSum: 0, instructionsInjected: 0,
            instructionsStripped: 0, evictions: 0, series: [])
        report.series.reserveCapacity(exchanges)
        for exchange in 1 ... max(1, exchanges) {
            var outcomes = [EventOutcome]()
            if profile.instructionTokens > 0 && profile.instructionEvery > 0 && (exchange - 1) % profile.instructionEvery == 0 {
                outcomes.append(try session.apply(.instruction(text: "instruction", tokens: profile.instructionTokens(under: policy))))
            }
            outcomes.append(try session.apply(.speechStarted))
            outcomes.append(try session.apply(.turn(.user, text: "user", tokens: profile.userTokens)))
            outcomes.append(try session.apply(.turn(.model, text: "model", tokens: profile.modelTokens)))
            // The model answered with this context: what it read.
            report.contextTokensSum += session.currentUsage.total
            outcomes.append(try session.apply(.turnComplete))
            for outcome in outcomes {
                for note in outcome.notes {
                    switch note {
                    case .evicted:
                        report.evictions += 1
                        if !report.evictedAtAll {
                            report.evictedAtAll = true
                            report.exchangesBeforeFirstEviction = exchange - 1
                        }
                    case .instructionActivated: report.instructionsInjected += 1
                    case .instructionStripped: report.instructionsStripped += 1
                    default: break
                    }
                }
            }
            report.series.append(SegmentSample(exchange: exchange, usage: session.currentUsage))
            if exchange == report.retainedAtExchange {
                report.retained = session.snapshot().items.filter { $0.kind == .turn && $0.role == .user }.count
            }
        }
        return report
    }
}
