import Tokenizer

/// What an item of the context is.
public enum ItemKind: String, Sendable {
    case script, summary, turn, instruction

    var hashCode: UInt8 {
        switch self {
        case .script: return 1
        case .summary: return 2
        case .turn: return 3
        case .instruction: return 4
        }
    }
}

/// Who speaks in an item: `system` (script), `user` (the client; also instructions and summaries,
/// which providers take as user parts), `model` (the agent).
public enum ItemRole: String, Sendable {
    case system, user, model

    var hashCode: UInt8 {
        switch self {
        case .system: return 1
        case .user: return 2
        case .model: return 3
        }
    }
}

/// One item of the context, with a stable id (`script`, `t7`, `i8`, `summary-2`).
public struct ContextItem: Sendable, Equatable {
    public let id: String
    public let kind: ItemKind
    public let role: ItemRole
    /// The text as it goes to the model (an instruction includes its tag line).
    public internal(set) var text: String
    public internal(set) var tokens: Int
    /// What the item costs the budget before the per-item overhead: `tokens`, except a spoken turn on
    /// a provider that deletes (OpenAI), which holds it as audio: its audio tokens.
    public internal(set) var cost: Int
    /// The turn was spoken: milliseconds of audio the provider created it from.
    public internal(set) var audioMs: Int?
    /// The provider's own id for an item it created (OpenAI's server item id of a spoken turn).
    public internal(set) var providerItemID: String?
    /// False while a turn is still arriving as partial transcript chunks.
    public internal(set) var final: Bool
    /// Position key: strictly increasing in context order (the script is 0, the summary 1).
    let ordinal: UInt64
    /// Index of the exchange this item belongs to (turns and instructions).
    let exchange: Int
    /// XXH3-64 of kind, role and text, seeded with the ordinal.
    private(set) var contentHash: UInt64

    init(id: String, kind: ItemKind, role: ItemRole, text: String, tokens: Int, final: Bool, ordinal: UInt64,
         exchange: Int, cost: Int? = nil, audioMs: Int? = nil, providerItemID: String? = nil) {
        self.id = id
        self.kind = kind
        self.role = role
        self.text = text
        self.tokens = tokens
        self.cost = cost ?? tokens
        self.audioMs = audioMs
        self.providerItemID = providerItemID
        self.final = final
        self.ordinal = ordinal
        self.exchange = exchange
        self.contentHash = 0
        self.contentHash = computeHash()
    }

    mutating func update(text: String, tokens: Int, cost: Int, audioMs: Int?, final: Bool) {
        self.text = text
        self.tokens = tokens
        self.cost = cost
        self.audioMs = audioMs
        self.final = final
        contentHash = computeHash()
    }

    /// Appends a chunk to the text in place (a turn still arriving). The counts and the hash are
    /// stale until `update(tokens:cost:audioMs:final:textHash:)`.
    mutating func appendText(_ chunk: String) { text.append(chunk) }

    /// Takes the text back to its first `bytes` UTF-8 bytes (a chunk refused after `appendText`);
    /// `bytes` is where a chunk began, so a scalar boundary.
    mutating func truncateText(toBytes bytes: Int) {
        let end = text.utf8.index(text.utf8.startIndex, offsetBy: bytes)
        text.unicodeScalars.removeSubrange(end...)
    }

    /// The counts of the text as it is now, with the text's hash already known (`textSeed`'s stream).
    mutating func update(tokens: Int, cost: Int, audioMs: Int?, final: Bool, textHash: UInt64) {
        self.tokens = tokens
        self.cost = cost
        self.audioMs = audioMs
        self.final = final
        contentHash = Self.contentHash(textHash: textHash, id: id)
    }

    /// The stored hash is the one of the item as it is (checked by `invariantViolation`: a streamed
    /// turn's hash comes from an XXH3 stream fed chunk by chunk).
    var hashMatchesContent: Bool { contentHash == computeHash() }

    /// The seed of the text's XXH3: the ordinal mixed with kind and role.
    var textSeed: UInt64 {
        let kindRole = UInt64(kind.hashCode) << 8 | UInt64(role.hashCode)
        return ordinal &* 0x9E37_79B9_7F4A_7C15 ^ kindRole
    }

    /// Hashes the text in place (no copy), then folds in the id: no allocation per item.
    private func computeHash() -> UInt64 {
        var text = self.text
        let textHash = text.withUTF8 { xxh3(UnsafeRawBufferPointer($0), seed: textSeed) }
        return Self.contentHash(textHash: textHash, id: id)
    }

    private static func contentHash(textHash: UInt64, id: String) -> UInt64 {
        var id = id
        return id.withUTF8 { xxh3(UnsafeRawBufferPointer($0), seed: textHash) }
    }

    public static func == (lhs: ContextItem, rhs: ContextItem) -> Bool {
        lhs.id == rhs.id && lhs.kind == rhs.kind && lhs.role == rhs.role && lhs.text == rhs.text
            && lhs.tokens == rhs.tokens && lhs.cost == rhs.cost && lhs.final == rhs.final && lhs.audioMs == rhs.audioMs
            && lhs.providerItemID == rhs.providerItemID
    }
}
