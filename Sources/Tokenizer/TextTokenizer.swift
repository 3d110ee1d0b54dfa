/// What the context engine needs from a tokenizer: exact counts, ids, and text back from ids.
///
/// Implementations are immutable, shared by every session, and safe to call from any thread.
public protocol TextTokenizer: AnyObject, Sendable {
    /// The encoding's name, e.g. `o200k_base`.
    var name: String { get }
    /// The ids of `text`, special-token strings taken as ordinary text.
    func encodeOrdinary(_ text: String) -> [Rank]
    /// The number of tokens of `text`; equal to `encodeOrdinary(text).count`.
    func count(_ text: String) -> Int
    /// The number of tokens of `text`, or nil as soon as it is known to exceed `limit`.
    func count(_ text: String, upTo limit: Int) -> Int?
    /// The bytes of `ids`.
    func decodeBytes(_ ids: [Rank]) throws -> [UInt8]
    /// The count of a text that grows by appending, counting only past what a previous call settled
    /// (a default counts it whole; see the extension).
    func countAppending(_ text: String, settled: SettledPrefix?) -> (tokens: Int, settled: SettledPrefix?)
}

/// What `countAppending` keeps of a growing text: the first `bytes` bytes hold `tokens` tokens
/// whatever is appended later (they end at a boundary no merge crosses, far enough from the end:
/// a pre-tokenizer piece's or a `RunCut` inside a trailing run of letters for BPE, a segment's for
/// SentencePiece).
public struct SettledPrefix: Sendable, Equatable {
    // Two words in all, as before the open piece's boundary joined them: `SettledPrefix?` and the
    // `countAppending` result are copied at every chunk of every streamed turn (with the boundary
    // in three more words, streamed held-out turns took 2 % more instructions, ~4 % more time).
    // A count past 2^32 − 1 (a 4 GiB text) settles nothing: counting from the start is exact.
    private var settledBytes: UInt32
    private var settledTokens: UInt32
    private var open: UInt64 = 0

    public var bytes: Int {
        get { Int(settledBytes) }
        set { self = SettledPrefix(bytes: newValue, tokens: tokens) }
    }

    public var tokens: Int {
        get { Int(settledTokens) }
        set { self = SettledPrefix(bytes: bytes, tokens: newValue) }
    }

    /// A known boundary inside the open piece that starts at `bytes` (a long run still growing): a
    /// hint for the next call, not state (not checkpointed, not compared).
    var openPiece: OpenPieceCut? {
        get { OpenPieceCut.unpacked(open) }
        set { open = OpenPieceCut.packed(newValue) }
    }

    public init(bytes: Int, tokens: Int) {
        guard let bytes = UInt32(exactly: bytes), let tokens = UInt32(exactly: tokens) else {
            (settledBytes, settledTokens) = (0, 0)
            return
        }
        (settledBytes, settledTokens) = (bytes, tokens)
    }

    init(bytes: Int, tokens: Int, openPiece: OpenPieceCut?) {
        self.init(bytes: bytes, tokens: tokens)
        // Only beside the prefix it was found after (not one that settled nothing instead).
        if self.bytes == bytes { self.openPiece = openPiece }
    }

    /// Equal when they settle the same prefix; the open piece's boundary is only a hint.
    public static func == (lhs: SettledPrefix, rhs: SettledPrefix) -> Bool {
        lhs.settledBytes == rhs.settledBytes && lhs.settledTokens == rhs.settledTokens
    }

    /// Where counting a text of `byteCount` bytes resumes: `settled`, or the start when there is
    /// none or it lies past the text's end (the text is not the one it was settled in).
    static func resuming(_ settled: SettledPrefix?, within byteCount: Int) -> SettledPrefix {
        guard let settled, settled.bytes <= byteCount else { return SettledPrefix(bytes: 0, tokens: 0) }
        return settled
    }
}

extension TextTokenizer {
    /// The count of `text`, a text that grows by appending (a turn streamed in chunks), and what of
    /// it is settled for the next call. `settled` must come from a previous call on a prefix of
    /// `text` (nil: count from the start). Exact: equal to `count(text)`.
    ///
    /// This default counts the whole text; `BPEEncoding` and `SentencePieceEncoding` count only from
    /// the settled prefix on.
    public func countAppending(_ text: String, settled: SettledPrefix?) -> (tokens: Int, settled: SettledPrefix?) {
        (count(text), nil)
    }

    /// The text of `ids`, invalid UTF-8 replaced by U+FFFD.
    public func decode(_ ids: [Rank]) throws -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }
}
