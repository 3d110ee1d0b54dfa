/// Boundaries inside a streamed text's open last piece — a long run of letters, whitespace or
/// symbols that the next chunk may still extend — at which the piece's merge is known: its bytes
/// from the settled prefix up to `at` merge into `tokens` tokens, the last of them `last`.
///
/// Without them, every chunk merged the whole open piece again: a 40 KB run of "aaaaa" (a model's
/// degenerate repetition) streamed in 5-byte chunks took 24.5 s of `serve` (`--store none`), 40 KB
/// of spaces 31.6 s, quadratic in the run. With them a chunk merges only the piece's bytes from
/// the near boundary on (`margin` to ~2 × `margin` bytes) and asks `TokenSplits.compatible(last,
/// first token after it)`: merging is prefix-closed, and the piece's merge is the two merges side
/// by side exactly when that pair passes. The tokens just before the end are the ones an append
/// may change, so the near boundary's test sometimes fails (spaces: ~3 % of chunks, where a
/// 64-space token met a tail that merges into one of 76); then the far boundary, `farMargin`
/// back, is tried, and only then the whole piece. Not state: a checkpoint drops it, and
/// `SettledPrefix`'s `==` ignores it.
struct OpenPieceCut: Sendable, Equatable {
    struct Boundary: Sendable, Equatable {
        /// Byte offset in the text (past `SettledPrefix.bytes`, where the piece starts).
        var at: Int
        /// Tokens of the piece's bytes before `at`.
        var tokens: Int
        /// The token that ends at `at`.
        var last: Rank
    }

    // Packed into three words, so that `SettledPrefix` — copied at every chunk of every streamed
    // turn, also where no piece is open — grows by 24 bytes and no optional: with the two
    // boundaries as plain optional structs it was 66 bytes, and streamed held-out turns took 4 %
    // more instructions (callgrind on `countAppending`). Per boundary: `at` << 32 | `tokens`; both
    // tokens in `lasts`. `at` 0 is no boundary (a real one is past the piece's start).
    private var nearWord: UInt64 = 0
    private var farWord: UInt64 = 0
    private var lasts: UInt64 = 0

    /// Holds nothing (`SettledPrefix` without an open piece).
    static let none = OpenPieceCut()
    private init() {}

    /// Nil when an offset or a count does not fit in 32 bits (no hint is kept then).
    init?(near: Boundary, far: Boundary?) {
        guard let nearWord = Self.pack(near) else { return nil }
        self.nearWord = nearWord
        lasts = UInt64(near.last)
        if let far, let farWord = Self.pack(far) {
            self.farWord = farWord
            lasts |= UInt64(far.last) << 32
        }
    }

    private static func pack(_ boundary: Boundary) -> UInt64? {
        guard boundary.at > 0, boundary.at <= Int(UInt32.max), boundary.tokens >= 0, boundary.tokens <= Int(UInt32.max) else { return nil }
        return UInt64(boundary.at) << 32 | UInt64(boundary.tokens)
    }

    var isNone: Bool { nearWord == 0 }

    var near: Boundary {
        Boundary(at: Int(nearWord >> 32), tokens: Int(nearWord & 0xFFFF_FFFF), last: Rank(truncatingIfNeeded: lasts))
    }

    /// Before `near`, at least `farMargin` before the end when it was chosen.
    var far: Boundary? {
        farWord == 0 ? nil : Boundary(at: Int(farWord >> 32), tokens: Int(farWord & 0xFFFF_FFFF), last: Rank(truncatingIfNeeded: lasts >> 32))
    }

    /// Pieces shorter than this keep no boundary: merging them again is cheaper than the bookkeeping.
    static let minPieceBytes = 192
    /// `near` stays at least this far from the piece's end.
    static let margin = 64
    /// `far` at least this far: past two of the longest tokens of a run (o200k: 128 spaces).
    static let farMargin = 320

    /// The same boundaries `shift` bytes further into the text; nil if one would leave 1 ... 2^32 - 1.
    func shifted(by shift: Int) -> OpenPieceCut? {
        guard !isNone else { return nil }
        var near = self.near, far = self.far
        near.at += shift
        far?.at += shift
        return OpenPieceCut(near: near, far: far)
    }
}
