/// A boundary inside a streamed text's open last piece — a long run of letters, whitespace or
/// symbols that the next chunk may still extend — at which the piece's merge is known: its bytes
/// from the settled prefix (where the piece starts) up to `at` merge into `tokens` tokens, the last
/// of them `last`.
///
/// Without it, every chunk merged the whole open piece again: a 40 KB run of "aaaaa" (a model's
/// degenerate repetition) streamed in 5-byte chunks took 24.5 s of `serve` (`--store none`), 40 KB
/// of spaces 31.6 s, quadratic in the run. With it a chunk merges only the piece's bytes from the
/// boundary on (`margin` bytes and the chunk) and asks `TokenSplits.compatible(last, first token
/// after it)`: merging is prefix-closed, and the piece's merge is the two merges side by side
/// exactly when that pair passes; when it fails, the whole piece is merged. The tokens near the end
/// are the ones an append may change: 64 bytes back, the test failed on ~3 % of chunks of spaces (a
/// 64-space token met a tail that merged into one of 76), each a merge of the whole run; `margin`
/// is past two of o200k's longest tokens (128 spaces). Not state: a checkpoint drops it, and
/// `SettledPrefix`'s `==` ignores it.
struct OpenPieceCut: Sendable, Equatable {
    /// Byte offset from the piece's start (`SettledPrefix.bytes`), where the counting code reads it.
    var at: Int
    /// Tokens of the piece's bytes before `at`.
    var tokens: Int
    /// The token that ends at `at`.
    var last: Rank
    /// A character before `at` changed how a scan restarted inside the piece reads it
    /// (`OpenPieceRescan`): for o200k a lower-case letter (a letter piece's second class has begun),
    /// for cl100k a line break (a whitespace piece may end after it when a non-space follows).
    /// Carried on as the boundary moves: found over the bytes between the old boundary and the new.
    var turned = false

    /// Pieces shorter than this keep no boundary: merging them again is cheaper than the bookkeeping.
    static let minPieceBytes = 384
    /// The boundary stays at least this far from the piece's end.
    static let margin = 256

    // Packed in one word of `SettledPrefix`: 22 bits of offset, 20 of tokens, 1 for
    // `turned`, 21 of the last token; 0 is none (a boundary is past the piece's start). A
    // boundary past a million tokens (a 4 MiB run of two-byte tokens) is none: merging whole is exact.
    static func packed(_ cut: OpenPieceCut?) -> UInt64 {
        guard let cut, cut.at > 0, cut.at < 1 << 22, cut.tokens >= 0, cut.tokens < 1 << 20, cut.last < 1 << 21 else { return 0 }
        return UInt64(cut.at) << 42 | UInt64(cut.tokens) << 22 | (cut.turned ? 1 << 21 : 0) | UInt64(cut.last)
    }

    static func unpacked(_ word: UInt64) -> OpenPieceCut? {
        guard word != 0 else { return nil }
        return OpenPieceCut(
            at: Int(word >> 42), tokens: Int(word >> 22 & 0xF_FFFF), last: Rank(word & 0x1F_FFFF),
            turned: word >> 21 & 1 == 1)
    }
}
