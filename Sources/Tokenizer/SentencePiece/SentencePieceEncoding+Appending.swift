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
    /// chunks costs O(total bytes), not O(n × bytes); a long open last segment (a line of Japanese,
    /// Chinese or Thai with no space, a run of one letter) from a boundary of its merge on
    /// (`SentencePieceEncoder+OpenSegment.swift`). Exact (`GemmaIncrementalCountTests`).
    public func countAppending(_ text: String, settled: SettledPrefix?) -> (tokens: Int, settled: SettledPrefix?) {
        withUTF8(text) { bytes in
            let from = SettledPrefix.resuming(settled, within: bytes.count)
            let counted = withEncoder {
                $0.countSettling(UnsafeBufferPointer(rebasing: bytes[from.bytes...]), resuming: from.openPiece)
            }
            if counted.resumed { openSegmentResumptions.add(1, ordering: .relaxed) }
            let next = SettledPrefix(
                bytes: from.bytes + counted.settledAt, tokens: from.tokens + counted.settledTokens,
                openPiece: counted.openSegment)
            return (from.tokens + counted.total, next)
        }
    }
}

extension SentencePieceEncoder {
    /// What `countSettling` found: the number of ids of the text, its last settled boundary (see
    /// above) as a byte offset of the text (0 when there is none) with the number of ids before it,
    /// and a boundary inside the open segment that starts there, its offset from that start.
    struct Settling {
        var total: Int
        var settledAt: Int
        var settledTokens: Int
        var openSegment: OpenPieceCut?
        /// Whether the open segment was counted from the boundary it was given.
        var resumed = false
    }

    /// Counts `text`, the part of a growing turn past its settled prefix: the open segment the
    /// prefix ends with from `cut` on when that is a boundary of its merge still (see
    /// `SentencePieceEncoder+OpenSegment.swift`), else the whole text.
    func countSettling(_ text: UnsafeBufferPointer<UInt8>, resuming cut: OpenPieceCut?) -> Settling {
        let resumed = cut.flatMap { normalizeResuming(text, at: $0) }
        if resumed == nil { normalize(text) }
        let open = firstOpenPosition()
        // Read once: `normalizedCount` is a class's stored `var`, and each read in the loop below
        // was a dynamic exclusivity check (+12 % instructions on streamed held-out turns, callgrind).
        let end = normalizedCount
        var total = 0
        // The settled prefix that `text` starts at until a segment start past it settles.
        var settled = (beforeNormalized: true, at: 0, tokens: 0)
        var openCut: OpenSegmentCut?
        var first = true
        let complete = forEachSegment { start, segment, frozen in
            defer { first = false }
            if first, let resumed {
                guard let counted = countResumed(segment, frozen, resumed) else { return false }
                total = counted.count
                if start + segment.count == end { openCut = counted.cut }
                return true
            }
            if start <= open { settled = (false, start, total) }
            if start <= open, frozen == RankTable.none, start + segment.count == end, keepsCut(segment) {
                let merged = mergeOpenSegment(segment)
                openCut = merged.cut.map { OpenSegmentCut(at: start + $0.at, tokens: $0.tokens, last: $0.last) }
                total += merged.count
            } else {
                total += count(segment, frozen)
            }
            return true
        }
        // The merge did not hold at `cut`: the whole text.
        guard complete else { return countSettling(text, resuming: nil) }
        // Normalized offsets back to `text`'s: walk back from the end over the unsettled bytes only.
        // The boundary first: it lies at or after the settled start.
        var walk = (text: text.count, normalized: end)
        var cutAt = 0
        if let openCut { cutAt = Self.walkBack(text, &walk, to: openCut.at) }
        let settledAt = settled.beforeNormalized ? 0 : Self.walkBack(text, &walk, to: settled.at)
        let cutFromSettled = openCut.map { OpenPieceCut(at: cutAt - settledAt, tokens: $0.tokens, last: $0.last) }
        return Settling(
            total: total, settledAt: settledAt, settledTokens: settled.tokens, openSegment: cutFromSettled,
            resumed: resumed != nil)
    }

    /// Walks `offset` back through `text` and its normalized bytes (a space is 3) to the text offset
    /// of the normalized offset `position`, or until the text's start; stops at or before `position`.
    /// A static function of locals passed `inout`: a nested function capturing them checked
    /// exclusivity dynamically at every byte (+7 % instructions on streamed held-out turns, callgrind).
    static func walkBack(
        _ text: UnsafeBufferPointer<UInt8>, _ offset: inout (text: Int, normalized: Int), to position: Int
    ) -> Int {
        let spaceBytes = SentencePieceVocabulary.space.count
        while offset.normalized > position, offset.text > 0 {
            offset.text -= 1
            offset.normalized -= text[offset.text] == 0x20 ? spaceBytes : 1
        }
        return offset.text
    }

    /// The first open position of `normalized` (see above), or its length when there is none. Positions
    /// inside a matched piece, which the scan skips, are checked too: that can only settle less.
    func firstOpenPosition() -> Int {
        withNormalized { vocabulary.userDefined.firstOpenPosition(in: $0) }
    }
}
