/// A boundary inside a streamed Gemma turn's open last segment, so that a chunk merges the segment
/// from it on instead of whole.
///
/// Gemma cuts segments only at spaces and user-defined pieces, so a line of Japanese, Chinese or
/// Thai, or a run of one letter, is one segment until its next space or line break, and every chunk
/// merged it whole again: a 2,000-byte Japanese turn with no space streamed in 5-byte chunks cost
/// 51× counting it once (`StreamedTurnCount 1 gemma3`), 8,000 chunks of "aaaaa" 33 s of `serve`.
///
/// Why it is exact. SentencePiece merges the pair with the best score, leftmost among equals; its
/// merge is prefix-closed: where no symbol of a text's merge spans offset b, the symbols before b
/// are the merge of the bytes before b (each merge before b was the best pair of the whole text, so
/// of the part before b too, and leftmost among them). So when a chunk appends to a segment whose
/// merge had a boundary at b, the bytes before b still merge into the same `tokens` ids ending in
/// `last`; the segment's merge is those and the merge of its bytes from b on exactly when no merge
/// crosses b. One does exactly when `last` and the first symbol after b do not stay two symbols when
/// their bytes alone are merged: the merge of the whole segment, with merges across b forbidden, is
/// the two merges side by side; the first merge across b it would make instead beats, at that
/// moment, every pair inside the two symbols' spans, whose histories are those of merging each
/// symbol's bytes alone (prefix- and suffix-closed), so merging the two symbols' bytes alone reaches
/// the same state and merges across b too. When they do not stay two, the segment is merged whole.
/// Only for vocabularies without UNUSED pieces (Gemma 3 and 4 have none): their resegmentation
/// keeps the halves of the last merge of the same piece anywhere in the segment.
extension SentencePieceEncoder {
    /// Segments shorter than this keep no boundary (normalized bytes): merging them again costs less
    /// than the bookkeeping.
    static let openSegmentMinBytes = 160
    /// The boundary stays at least this many normalized bytes before the segment's end. A chunk
    /// merges them and itself, so the margin is most of its cost; too near the end, the next chunk
    /// moves the boundary and the segment is merged whole. 2,000-byte turns of held-out Japanese,
    /// Chinese, Thai and Korean with the ASCII removed, 5-byte chunks (`StreamedTurnCount 1 gemma3`,
    /// 48,506 chunks counted from a boundary): margin 96 → 10.6× counting once, 48 → 6.3×, 24 → 4.9×
    /// with no boundary moved, 16 → 4.5× with 15 moved, 12 → 4.5× (107), 8 → 5.2× (434). On runs of
    /// one letter, symbol or script: 24 → 3.5×, 32 → 5.7× (a tail of over 32 characters leaves the
    /// merger's linear scan).
    static let openSegmentMargin = 24

    /// A boundary of an open segment's merge: offset in `normalized`, ids from the settled start.
    struct OpenSegmentCut {
        var at: Int
        var tokens: Int
        var last: Rank
    }

    /// Where a resumed count starts: `normalized` holds the text from `before` bytes before `last`'s
    /// start, `lastBytes` bytes of `last` later the boundary.
    struct ResumedSegment {
        var cut: OpenPieceCut
        var before: Int
        var lastBytes: Int
    }

    /// `OpenPieceCut.last` of a symbol that is no piece (a character spelled as its bytes' pieces):
    /// this bit and the character's length in bytes, past every id of the vocabulary. Without it, a
    /// run of such characters (private-use ones, which neither Gemma model has) kept no boundary and
    /// stayed quadratic: 32,000 one-character chunks took 26 s of `serve` (audit).
    static let unknownCharacter: Rank = 1 << 20

    func keepsCut(_ segment: UnsafeRawBufferPointer) -> Bool {
        !vocabulary.hasUnusedPieces && segment.count >= Self.openSegmentMinBytes
    }

    /// The number of ids of `segment`, its last boundary at least `margin` bytes before its end
    /// (offset, ids before it, the symbol that ends there), and where its first symbol ends.
    func mergeOpenSegment(_ segment: UnsafeRawBufferPointer) -> (count: Int, cut: OpenSegmentCut?, firstEnd: Int) {
        let limit = segment.count - Self.openSegmentMargin
        var count = 0, firstEnd = 0
        var cut: OpenSegmentCut?
        var previous = RankTable.none
        let namesUnknown = vocabulary.scores.count < Self.unknownCharacter
        merger.forEachSymbol(of: segment, vocabulary: vocabulary) { start, end, id in
            if start == 0 {
                firstEnd = end
            } else if start <= limit, previous != RankTable.none {
                cut = OpenSegmentCut(at: start, tokens: count, last: previous)
            }
            // A character that is no piece is spelled as its bytes' pieces (byte fallback).
            count += id == RankTable.none ? end - start : 1
            if id != RankTable.none {
                previous = id
            } else {
                previous = namesUnknown ? Self.unknownCharacter | Rank(end - start) : RankTable.none
            }
        }
        return (count, cut, firstEnd)
    }

    /// Normalizes `text` from the start of `cut.last`, and the longest user-defined piece before it,
    /// when the text still holds `cut.last` there; nil otherwise. The bytes before `last` are there
    /// for `firstOpenPosition`, which must see every position that may be open; and so that the scan
    /// from there ends its first segment where the whole text's scan does: a user-defined piece can
    /// come to match only at a position that was open, within `longestPiece` bytes of the end when
    /// the boundary was kept, so one starting before the normalized bytes would have to span more
    /// than them. (A piece that comes to match after `last`'s start ends the first segment early,
    /// and the whole text is counted.)
    func normalizeResuming(_ text: UnsafeBufferPointer<UInt8>, at cut: OpenPieceCut) -> ResumedSegment? {
        guard !vocabulary.hasUnusedPieces, cut.at < text.count else { return nil }
        // `last`'s start: walk back from the boundary over its normalized bytes.
        let piece: ArraySlice<UInt8>?, lastBytes: Int
        if cut.last & Self.unknownCharacter != 0, vocabulary.scores.count < Self.unknownCharacter {
            // A character that is no piece (no space: its normalized bytes are its bytes).
            (piece, lastBytes) = (nil, Int(cut.last & ~Self.unknownCharacter))
            guard (1 ... 4).contains(lastBytes), lastBytes <= cut.at, utf8Length(text[cut.at - lastBytes]) == lastBytes,
                vocabulary.id(of: UnsafeRawBufferPointer(text), cut.at - lastBytes, cut.at) == RankTable.none
            else { return nil }
        } else {
            guard let bytes = vocabulary.table.bytes(of: cut.last) else { return nil }
            (piece, lastBytes) = (bytes, bytes.count)
        }
        var walk = (text: cut.at, normalized: lastBytes)
        let begin = Self.walkBack(text, &walk, to: 0)
        guard walk.normalized == 0 else { return nil }
        // Then back over the bytes a user-defined piece may still come to cover, to a character's start.
        let longest = vocabulary.userDefined.longestPiece
        walk = (text: begin, normalized: longest)
        var start = Self.walkBack(text, &walk, to: 0), before = longest - walk.normalized
        while start < begin, text[start] & 0xC0 == 0x80 {
            start += 1
            before -= 1
        }
        normalize(UnsafeBufferPointer(rebasing: text[start...]))
        let holdsLast = withNormalized { normalized in
            guard normalized.count > before + lastBytes, let piece else { return normalized.count > before + lastBytes }
            return normalized[before ..< before + lastBytes].elementsEqual(piece)
        }
        guard holdsLast else { return nil }
        return ResumedSegment(cut: cut, before: before, lastBytes: lastBytes)
    }

    /// The ids of the open segment that `resumed` resumes (from the settled start), and its new
    /// boundary, given `segment`, the first segment of `normalized`; nil when the merge does not hold
    /// at the boundary.
    func countResumed(
        _ segment: UnsafeRawBufferPointer, _ frozen: Rank, _ resumed: ResumedSegment
    ) -> (count: Int, cut: OpenSegmentCut)? {
        let split = resumed.before + resumed.lastBytes, cut = resumed.cut
        guard frozen == RankTable.none, segment.count > split else { return nil }
        let tail = mergeOpenSegment(UnsafeRawBufferPointer(rebasing: segment[split...]))
        let pair = UnsafeRawBufferPointer(rebasing: segment[resumed.before ..< split + tail.firstEnd])
        guard staysTwo(pair, split: resumed.lastBytes) else { return nil }
        let next = tail.cut.map { OpenSegmentCut(at: split + $0.at, tokens: cut.tokens + $0.tokens, last: $0.last) }
        return (cut.tokens + tail.count, next ?? OpenSegmentCut(at: split, tokens: cut.tokens, last: cut.last))
    }

    /// Whether `bytes` merge into exactly two symbols that meet at `split`.
    private func staysTwo(_ bytes: UnsafeRawBufferPointer, split: Int) -> Bool {
        var symbols = 0, meets = false
        merger.forEachSymbol(of: bytes, vocabulary: vocabulary) { start, _, _ in
            symbols += 1
            if start == split { meets = true }
        }
        return symbols == 2 && meets
    }
}
