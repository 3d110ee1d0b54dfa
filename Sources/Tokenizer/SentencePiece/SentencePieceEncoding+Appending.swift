/// Counting a Gemma turn that grows by appending (a turn streamed in chunks) from its settled prefix on.
///
/// Why a segment start b is settled when no position before b is open (offsets in normalized bytes;
/// a position is open when all the text from it to the end is the beginning of a user-defined piece,
/// `UserDefinedMatcher.mayGrow`):
/// - The encoder's scan (`forEachSegment`) goes left to right and decides at each character from
///   the longest user-defined piece starting there and from whether a U+2581 starts there and the
///   byte before it. It reads nothing else. Normalization is per byte, so appended text only appends
///   normalized bytes.
/// - At a position that is not open, the match walk stops on a byte already there, so the longest
///   match is the same whatever is appended (`<ta` + `ble>` is open at `<`; `<tax` is not). So with
///   no open position before b, every decision before b is the same: no piece starting before b can
///   come to match across b (`<s` + `ub>` is `<sub>`, a run of 20 spaces grows to 31), none can appear
///   or vanish at q < b. The segments before b are the same and merge to the same ids: none crosses b.
/// - b stays a segment start: the piece that ends there was decided before b; a piece that starts
///   there only grows with more text (the longest match never disappears); an escaped space after a
///   byte not in `spaceJoins` still cuts (its bytes and the one before it are there), or starts a piece.
/// A scan begun at b with b as its segment start makes the same decisions from b on as the scan of
/// the whole text, so the settled count plus the count from b on is the whole count; and a position
/// before b that was not open stays so, so each call scans and checks only the text after the
/// previous settled prefix. A boundary inside a user-defined piece is never a segment start, so it
/// is never settled. Only the last `longestPiece` bytes (93 for Gemma 3 and 4) can be open, and for
/// Gemma none is followed by a segment start (no user-defined piece extends another but the runs,
/// whose every length is a piece, or holds a byte that starts one past its first): the settled
/// prefix ends at the last segment start, the last word. `GemmaIncrementalCountTests` checks a
/// model where that is not so.
extension SentencePieceEncoding {
    /// `TextTokenizer.countAppending`: counts from the settled prefix on, so a turn streamed as n
    /// chunks costs O(total bytes), not O(n × bytes). Exact (`GemmaIncrementalCountTests`).
    public func countAppending(_ text: String, settled: SettledPrefix?) -> (tokens: Int, settled: SettledPrefix?) {
        withUTF8(text) { bytes in
            let from = SettledPrefix.resuming(settled, within: bytes.count)
            let counted = withEncoder { $0.countSettling(UnsafeBufferPointer(rebasing: bytes[from.bytes...])) }
            let next = SettledPrefix(bytes: from.bytes + counted.settledAt, tokens: from.tokens + counted.settledTokens)
            return (from.tokens + counted.total, next)
        }
    }
}

extension SentencePieceEncoder {
    /// The number of ids of `text`, and its last settled boundary (see above) as a byte offset of
    /// `text` (0 when there is none) with the number of ids before it.
    func countSettling(_ text: UnsafeBufferPointer<UInt8>) -> (total: Int, settledAt: Int, settledTokens: Int) {
        normalize(text)
        let open = firstOpenPosition()
        var total = 0
        var settled = (at: 0, tokens: 0)
        forEachSegment { start, segment, frozen in
            if start <= open { settled = (start, total) }
            total += count(segment, frozen)
            return true
        }
        // Normalized offset back to `text`'s: walk back from the end over the unsettled bytes only.
        var offset = text.count
        var normalizedOffset = normalized.count
        while normalizedOffset > settled.at {
            offset -= 1
            normalizedOffset -= text[offset] == 0x20 ? SentencePieceVocabulary.space.count : 1
        }
        return (total, offset, settled.tokens)
    }

    /// The first open position of `normalized` (see above), or its length when there is none. Positions
    /// inside a matched piece, which the scan skips, are checked too: that can only settle less.
    private func firstOpenPosition() -> Int {
        let matcher = vocabulary.userDefined
        return normalized.withUnsafeBufferPointer { bytes in
            for position in max(0, bytes.count - matcher.longestPiece) ..< bytes.count
            where matcher.mayStart(with: bytes[position]) && matcher.mayGrow(in: bytes, from: position) {
                return position
            }
            return bytes.count
        }
    }
}
