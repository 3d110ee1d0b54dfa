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
///
/// With a `capacity` it holds at most about twice that many scripts: two generations, the newer
/// filled by first sights and by scripts of the older seen again; when the newer is full the older is
/// dropped (a session still holds its own `Script`). Unbounded, a process serving calls that each
/// bring their own script kept every script it ever saw.
public final class ScriptRegistry: @unchecked Sendable {
    // @unchecked: `scripts` and `older` are only touched under `lock`.
    private let lock = NSLock()
    private var scripts: [Key: Script] = [:]
    private var older: [Key: Script] = [:]
    private let capacity: Int

    private struct Key: Hashable {
        var encoding: String
        var hash: UInt64
    }

    /// - Parameter capacity: scripts per generation; `.max` keeps every script (the default).
    public init(capacity: Int = .max) {
        self.capacity = max(1, capacity)
    }

    public static let shared = ScriptRegistry()

    /// The shared `Script` for `text`, tokenized with `tokenizer` the first time it is seen.
    /// `tokens`, when given, is trusted instead of counting (for profiles given as token counts).
    public func script(text: String, tokenizer: any TextTokenizer, tokens: Int? = nil) -> Script {
        let key = Key(encoding: tokenizer.name, hash: xxh3(text))
        lock.lock()
        if let script = lookup(key), script.text == text, tokens == nil || tokens == script.tokens {
            lock.unlock()
            return script
        }
        lock.unlock()
        // Count outside the lock: a 20k-token script takes ~1 ms.
        let script = Script(text: text, tokens: tokens ?? tokenizer.count(text), encoding: tokenizer.name)
        lock.lock()
        defer { lock.unlock() }
        if tokens == nil, let existing = lookup(key), existing.text == text { return existing }
        if tokens == nil { insert(script, key) }
        return script
    }

    /// Under `lock`: the newer generation, else the older one (promoted).
    private func lookup(_ key: Key) -> Script? {
        if let script = scripts[key] { return script }
        guard let script = older[key] else { return nil }
        insert(script, key)
        return script
    }

    /// Under `lock`.
    private func insert(_ script: Script, _ key: Key) {
        if scripts.count >= capacity {
            older = scripts
            scripts = [:]
        }
        scripts[key] = script
    }

    /// Number of distinct scripts held.
    public var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return scripts.count + older.filter { scripts[$0.key] == nil }.count
    }
}

/// 16 lowercase hex digits.
public func hex16(_ value: UInt64) -> String {
    let digits = String(value, radix: 16)
    return String(repeating: "0", count: 16 - digits.count) + digits
}
