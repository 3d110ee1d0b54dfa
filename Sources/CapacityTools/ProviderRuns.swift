import ContextEngine
import Tokenizer

/// A token-count profile or a recorded dialogue played as a provider call under each strategy.
public enum ProviderRuns {
    /// The reference profile's exchanges (an instruction every k-th, the client's turn, the agent's
    /// turn) as a call: spoken turns when `timing.audio`, held at the profile's audio rates.
    ///
    /// - Throws: `ContextError` (a script over the budget, a turn that never fits).
    public static func capacity(
        strategy: ProviderStrategy, provider: ProviderProfile, policy: ContextPolicy, scriptTokens: Int,
        window: Int? = nil, reserve: Int? = nil, profile: CapacityProfile, timing: CallTiming, exchanges: Int,
        historyAt: Int, tokenizer: any TextTokenizer
    ) throws -> ProviderFigures {
        let configuration = strategy.configuration(profile: provider, policy: policy, window: window, reserve: reserve)
        let session = try ContextSession(
            id: "capacity", script: Script(text: "script", tokens: scriptTokens, encoding: tokenizer.name),
            configuration: configuration, tokenizer: tokenizer)
        var call = ProviderCall(session: session, strategy: strategy, timing: timing, historyAt: historyAt)
        let userMs = timing.audio ? Int(timing.userSeconds * 1_000) : nil
        let modelMs = timing.audio ? Int(timing.modelSeconds * 1_000) : nil
        let ids = provider.canDelete
        for exchange in 1 ... max(1, exchanges) {
            if profile.instructionTokens > 0 && profile.instructionEvery > 0 && (exchange - 1) % profile.instructionEvery == 0 {
                try call.apply(.instruction(text: "instruction", tokens: profile.instructionTokens(under: configuration.policy)), exchange: exchange)
            }
            try call.apply(.speechStarted, exchange: exchange)
            try call.apply(
                .turn(.user, text: "user", tokens: profile.userTokens, audioMs: userMs, providerItemID: ids ? "u\(exchange)" : nil),
                exchange: exchange)
            try call.advance(seconds: timing.userSeconds, exchange: exchange)
            call.answer(exchange: exchange)
            try call.apply(
                .turn(.model, text: "model", tokens: profile.modelTokens, audioMs: modelMs, providerItemID: ids ? "m\(exchange)" : nil),
                exchange: exchange)
            try call.advance(seconds: timing.modelSeconds, exchange: exchange)
            try call.apply(.turnComplete, exchange: exchange)
            call.finishExchange(exchange)
        }
        return call.figures
    }

    /// A recorded dialogue as a call: `client.speechStarted` before each user turn, a synthesized
    /// instruction every `synthetic.every` exchanges, `model.turnComplete` after each model turn; every
    /// turn spoken at `timing.wordsPerMinute`. `tokens[i]` is the count of `events[i].text` (counted
    /// once per dialogue and encoding, shared by every strategy).
    public static func replay(
        _ events: [RecordedEvent], tokens: [Int], strategy: ProviderStrategy, provider: ProviderProfile, policy: ContextPolicy,
        script: Script, window: Int? = nil, reserve: Int? = nil, synthetic: SyntheticInstructions?, timing: CallTiming,
        historyAt: Int, tokenizer: any TextTokenizer
    ) throws -> ProviderFigures {
        let configuration = strategy.configuration(profile: provider, policy: policy, window: window, reserve: reserve)
        let session = try ContextSession(id: "replay", script: script, configuration: configuration, tokenizer: tokenizer)
        var call = ProviderCall(session: session, strategy: strategy, timing: timing, historyAt: historyAt)
        var exchanges = ExchangeCounter()
        for (index, event) in events.enumerated() {
            let seconds = timing.seconds(speaking: event.text)
            let audioMs = timing.audio ? Int(seconds * 1_000) : nil
            let id = provider.canDelete ? "e\(index)" : nil
            switch event.kind {
            case .instruction:
                try call.apply(.instruction(text: event.text), exchange: max(exchanges.exchange, 1))
            case .user:
                let previous = exchanges.exchange
                if exchanges.user() && previous > 0 { call.finishExchange(previous) }
                let (exchange, userTurns) = (exchanges.exchange, exchanges.userTurns)
                if let synthetic, synthetic.every > 0, userTurns % synthetic.every == 0 {
                    try call.apply(.instruction(text: synthetic.text(userTurns / synthetic.every - 1)), exchange: exchange)
                }
                try call.apply(.speechStarted, exchange: exchange)
                try call.apply(
                    .turn(.user, text: event.text, tokens: tokens[index], audioMs: audioMs, providerItemID: id), exchange: exchange)
                try call.advance(seconds: seconds, exchange: exchange)
            case .model:
                exchanges.model()
                let exchange = exchanges.exchange
                call.answer(exchange: exchange)
                try call.apply(
                    .turn(.model, text: event.text, tokens: tokens[index], audioMs: audioMs, providerItemID: id), exchange: exchange)
                try call.advance(seconds: seconds, exchange: exchange)
                try call.apply(.turnComplete, exchange: exchange)
            }
        }
        if exchanges.exchange > 0 { call.finishExchange(exchanges.exchange) }
        return call.figures
    }
}
