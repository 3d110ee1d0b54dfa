/// The compacted context at one moment: ordered items (script first), usage, and a hash that is
/// equal exactly when the content is (same events → same hash).
public struct Snapshot: Sendable, Equatable {
    public var session: String
    /// Number of state-changing events applied so far.
    public var version: Int
    public var items: [ContextItem]
    public var usage: Usage
    /// XXH3-64 over every item's id, kind, role and text, as 16 hex digits.
    public var hash: String
}

/// What changed in the context since the previous delta: the relay deletes `removed` ids
/// server-side (OpenAI `conversation.item.delete`) and creates `added` items, or re-seeds (Gemini).
public struct Delta: Sendable, Equatable {
    public var added: [ContextItem] = []
    /// Items whose text grew (partial transcript chunks) or that became final.
    public var updated: [ContextItem] = []
    /// For each of `updated`, the UTF-8 length its text had before: the wire carries only the text
    /// appended since (`appended`), so a turn streamed in n chunks answers O(its bytes), not O(n²).
    public var updatedFrom: [Int] = []
    public var removed: [String] = []

    public var isEmpty: Bool { added.isEmpty && updated.isEmpty && removed.isEmpty }

    /// The text `updated[index]` gained in this delta.
    public func appended(_ index: Int) -> String {
        let text = updated[index].text
        let from = updatedFrom.indices.contains(index) ? updatedFrom[index] : 0
        return String(Substring(text.utf8.dropFirst(from)))
    }
}

/// Something the engine did that a caller may want to report or log.
public enum ContextNote: Sendable, Equatable {
    /// Oldest exchanges left the context to make room.
    case evicted(exchanges: Int, items: Int, tokens: Int)
    /// A pending instruction was replaced by a newer one before it was used.
    case instructionReplaced(id: String)
    /// Two pending instructions became one.
    case instructionsCoalesced(id: String)
    /// An instruction exceeded the policy's maximum and was cut.
    case instructionTruncated(id: String, fromTokens: Int, toTokens: Int)
    case instructionActivated(id: String)
    /// An active or kept instruction left the context (it stays in the transcript).
    case instructionStripped(id: String)
    /// An answered instruction stays in the context (keep-all, keep-last-n).
    case instructionKept(id: String)
}

/// A transcript record to persist: every turn and instruction, whatever the context keeps.
/// Upserted by `id`: a turn arriving in chunks is written again with its longer text.
public struct TranscriptMessage: Sendable, Equatable {
    public enum Kind: String, Sendable { case user, model, instruction, system }
    /// Instruction lifecycle, recorded with the message.
    public enum InstructionState: String, Sendable { case pending, active, stripped, kept, replaced }

    public var id: String
    public var kind: Kind
    /// The text without any tag.
    public var content: String
    public var tokens: Int
    public var final: Bool
    public var instructionState: InstructionState?
    /// A turn's chunk: `content` is the record's earlier content with more after this many bytes
    /// (a store's writer may append instead of copying the whole turn again).
    public var appendedFrom: Int?
}

/// The result of one state-changing event.
public struct EventOutcome: Sendable, Equatable {
    public var delta: Delta
    public var usage: Usage
    public var hash: String
    public var notes: [ContextNote]
    public var transcript: [TranscriptMessage]
    /// What the provider holds after the event and what the relay must send (provider sessions only).
    public var provider: ProviderOutcome? = nil
}
