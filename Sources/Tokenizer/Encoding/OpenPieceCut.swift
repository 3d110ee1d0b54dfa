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

    var near: Boundary
    /// Before `near`, at least `farMargin` before the end when it was chosen.
    var far: Boundary?

    /// Pieces shorter than this keep no boundary: merging them again is cheaper than the bookkeeping.
    static let minPieceBytes = 192
    /// `near` stays at least this far from the piece's end.
    static let margin = 64
    /// `far` at least this far: past two of the longest tokens of a run (o200k: 128 spaces).
    static let farMargin = 320

    /// The same boundaries `shift` bytes further into the text.
    func shifted(by shift: Int) -> OpenPieceCut {
        var moved = self
        moved.near.at += shift
        moved.far?.at += shift
        return moved
    }
}
