import Foundation
import Tokenizer

/// The fixed system text pinned first in every context, tokenized once.
///
/// Immutable and shared: 10,000 sessions on one 20k-token script hold one `Script`.
public final class Script: Sendable {
    public let text: String
    public let tokens: Int
    /// XXH3-64 of the text: the identity used for sharing and storage.
    public let hash: UInt64
    /// The tokenizer's name that produced `tokens`.
    public let encoding: String

    public init(text: String, tokens: Int, encoding: String) {
        self.text = text
        self.tokens = tokens
        self.hash = xxh3(text)
        self.encoding = encoding
    }

    /// The hash as 16 lowercase hex digits.
    public var hashHex: String { hex16(hash) }
}

/// Interns scripts by (encoding, XXH3 of the text), so each distinct script is tokenized and
/// stored once per process. Thread-safe.
public final class ScriptRegistry: @unchecked Sendable {
    // @unchecked: `scripts` is only touched under `lock`.
    private let lock = NSLock()
    private var scripts: [Key: Script] = [:]

    private struct Key: Hashable {
        var encoding: String
        var hash: UInt64
    }

    public init() {}

    public static let shared = ScriptRegistry()

    /// The shared `Script` for `text`, tokenized with `tokenizer` the first time it is seen.
    /// `tokens`, when given, is trusted instead of counting (for profiles given as token counts).
    public func script(text: String, tokenizer: any TextTokenizer, tokens: Int? = nil) -> Script {
        let key = Key(encoding: tokenizer.name, hash: xxh3(text))
        lock.lock()
        if let script = scripts[key], script.text == text, tokens == nil || tokens == script.tokens {
            lock.unlock()
            return script
        }
        lock.unlock()
        // Count outside the lock: a 20k-token script takes ~1 ms.
        let script = Script(text: text, tokens: tokens ?? tokenizer.count(text), encoding: tokenizer.name)
        lock.lock()
        defer { lock.unlock() }
        if tokens == nil, let existing = scripts[key], existing.text == text { return existing }
        if tokens == nil { scripts[key] = script }
        return script
    }

    /// Number of distinct scripts held.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return scripts.count
    }
}

/// 16 lowercase hex digits.
public func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
