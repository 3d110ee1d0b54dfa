import ContextEngine
import Tokenizer

enum TestSupport {
    static let o200k: BPEEncoding = try! BPEEncoding.named("o200k_base")

    /// A script of a given token count (profiles give sizes, not texts).
    static func script(tokens: Int, text: String = "SCRIPT") -> Script {
        Script(text: text, tokens: tokens, encoding: "o200k_base")
    }

    static func session(
        scriptTokens: Int = 20_000, window: Int = 32_000, reserve: Int = 0, policy: ContextPolicy = .stripAfterResponse
    ) throws -> ContextSession {
        try ContextSession(
            id: "s", script: script(tokens: scriptTokens),
            configuration: SessionConfiguration(window: window, reserve: reserve, policy: policy), tokenizer: o200k)
    }
}

extension EventOutcome {
    var evicted: Bool { notes.contains { if case .evicted = $0 { return true } else { return false } } }
}

/// SplitMix64, seeded: the same cases on every machine.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
