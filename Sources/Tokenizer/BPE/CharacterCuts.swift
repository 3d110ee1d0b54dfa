/// Where a long piece can be cut between two characters without changing its byte-pair merge.
///
/// Chinese and Japanese pieces run a whole clause long (zh: 18.7 bytes on average for pieces that
/// need merging, up to hundreds), rarely repeat whole (23.6k distinct of 36.9k), and merging them was
/// over half of the time on zh.txt. Cut between the characters that no token spans, they fall
/// into words that do repeat: zh's 15.2k long pieces become 104k segments, 7.8k distinct, 99 % of
/// them at most 16 bytes — `ShortPieceMemo` hits.
///
/// Why a cut at `p` is exact: every part a merge ever makes is a token of the vocabulary and a
/// substring of the piece. If no token of the vocabulary spans `p`, no pair across `p` ever has a
/// rank, so each side merges on its own, and in the same order as it would alone (a merge on one
/// side never changes a pair on the other; ties go leftmost on both). A token that spans a
/// boundary between characters L and R (well-formed UTF-8) either
///   1. holds both whole: then L, R are adjacent characters inside it — the `bigrams` set; or
///   2. starts inside L (its first bytes are continuation bytes) and runs into R; or
///   3. holds L's last byte and ends inside R (its last character is cut short) —
/// and in cases 2 and 3 the token has L's last byte followed by R's first byte at a character
/// start: the `straddles` bit set. A boundary in neither set is safe. Only boundaries between two
/// characters of 3 or 4 bytes are considered (CJK, kana, Hangul, emoji…), which keeps the bigram
/// set small (o200k: 11,890 pairs, 166 byte pairs).
/// A one-off check against tiktoken on every distinct long piece of zh, ja and ko (23,176) found no
/// difference; every build checks it again (CharacterCutsTests, and ExactnessTests on the corpus and
/// 1 MB of random ideographs).
struct CharacterCuts: Sendable {
    private static let empty = UInt64.max

    /// Open addressing over `left << 21 | right` code points.
    let bigrams: [UInt64]
    let bigramShift: UInt64
    /// Bit `x << 8 | y`: some token has byte x then byte y at a character start, as in cases 2–3.
    let straddles: [UInt64]

    /// Reassembles the sets `VocabularyCache` stored (building them takes ~5 ms for o200k).
    init?(bigrams: [UInt64], bigramShift: UInt64, straddles: [UInt64]) {
        guard !bigrams.isEmpty, bigrams.count & (bigrams.count - 1) == 0,
            bigramShift == UInt64(64 - bigrams.count.trailingZeroBitCount), straddles.count == 1024
        else { return nil }
        self.bigrams = bigrams
        self.bigramShift = bigramShift
        self.straddles = straddles
    }

    init(_ table: RankTable) {
        var pairs = Set<UInt64>()
        var straddles = [UInt64](repeating: 0, count: 1024)
        func markStraddle(_ before: UInt8, _ after: UInt8) {
            let bit = Int(before) << 8 | Int(after)
            straddles[bit >> 6] |= 1 << UInt64(bit & 63)
        }
        table.bytes.withUnsafeBufferPointer { all in
            for rank in 0 ..< table.rankCount {
                let start = Int(table.offsets[rank]), end = Int(table.offsets[rank + 1])
                var index = start
                while index < end && all[index] & 0xC0 == 0x80 { index += 1 }
                // Case 2: begins inside a character and goes on past it.
                if index > start && index < end { markStraddle(all[index - 1], all[index]) }
                var previous: UInt32? = nil
                while index < end {
                    let length = CharacterCuts.sequenceLength(all[index])
                    if index + length > end {
                        // Case 3: the last character is cut short (and something comes before it).
                        if index > start && CharacterCuts.continues(all, index + 1, end) {
                            markStraddle(all[index - 1], all[index])
                        }
                        break
                    }
                    guard length > 0, CharacterCuts.continues(all, index + 1, index + length) else { break }
                    let scalar = length >= 3 ? CharacterCuts.decode(all.baseAddress! + index, length) : nil
                    if let left = previous, let right = scalar { pairs.insert(UInt64(left) << 21 | UInt64(right)) }
                    previous = scalar
                    index += length
                }
            }
        }
        var bits: UInt64 = 4
        while (1 << bits) < pairs.count * 2 { bits += 1 }
        var slots = [UInt64](repeating: CharacterCuts.empty, count: 1 << bits)
        let mask = (1 << Int(bits)) - 1
        for key in pairs {
            var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> (64 - bits))
            while slots[slot] != CharacterCuts.empty { slot = (slot &+ 1) & mask }
            slots[slot] = key
        }
        self.bigrams = slots
        self.bigramShift = 64 - bits
        self.straddles = straddles
    }

    /// Calls `body` with each segment of `piece` between safe cuts, in order. Returns false, having
    /// called nothing, when the piece has no safe cut or is not well-formed UTF-8. (The encoder
    /// calls `cuts(of:into:)` with a buffer of its own instead; this is the tests' view.)
    func forEachSegment(_ piece: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) -> Bool {
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: CharacterCuts.maxCuts(piece.count)) { cuts in
            let cutCount = self.cuts(of: piece, into: cuts.baseAddress!)
            guard cutCount > 0 else { return false }
            var segmentStart = 0
            for cut in cuts[0 ..< cutCount] {
                body(UnsafeRawBufferPointer(rebasing: piece[segmentStart ..< Int(cut)]))
                segmentStart = Int(cut)
            }
            body(UnsafeRawBufferPointer(rebasing: piece[segmentStart...]))
            return true
        }
    }

    /// The room `cuts(of:into:)` needs for a piece of `count` bytes: a cut falls after a character
    /// of 3 or 4 bytes.
    @inline(__always)
    static func maxCuts(_ count: Int) -> Int { count / 3 + 1 }

    /// Writes the offsets of `piece`'s safe cuts, in order, to `cuts` (room for `maxCuts` of its
    /// count) and returns how many there are: 0 when there is none or the piece is not well-formed
    /// UTF-8. A buffer the caller owns, not a closure: the encoder's segment loop captured the
    /// encoder, which was retained and released per long piece — locked instructions, each waiting
    /// for the memo's stores to cold lines (perf: ~1 % of cold polluted held-out samples).
    @inline(__always)
    func cuts(of piece: UnsafeRawBufferPointer, into cuts: UnsafeMutablePointer<Int32>) -> Int {
        let bytes = piece.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let count = piece.count
        // Cuts fall only between two characters of 3 or 4 bytes: a piece with fewer than two such
        // lead bytes (a long Cyrillic, Greek or Latin word) has none, found without decoding it.
        var longLeads = 0
        for index in 0 ..< count { longLeads &+= bytes[index] >= 0xE0 ? 1 : 0 }
        if longLeads < 2 { return 0 }
        // One pass finds the cuts and checks the piece is well-formed.
        var cutCount = 0
        var index = 0
        var previous: UInt32? = nil
        while index < count {
            let length = CharacterCuts.sequenceLength(bytes[index])
            guard length > 0, index + length <= count, CharacterCuts.continues(bytes, index + 1, index + length) else {
                return 0
            }
            if length >= 3 {
                let scalar = CharacterCuts.decode(bytes + index, length)
                if let left = previous, isSafe(left, scalar, bytes[index - 1], bytes[index]) {
                    cuts[cutCount] = Int32(truncatingIfNeeded: index)
                    cutCount += 1
                }
                previous = scalar
            } else {
                previous = nil
            }
            index += length
        }
        return cutCount
    }

    /// Whether a piece may be cut between the character that starts at `left` and the one that
    /// starts at `right` (the next one): both of 3 or 4 bytes, and no token spans the boundary.
    func isCut(_ bytes: UnsafePointer<UInt8>, left: Int, right: Int) -> Bool {
        let leftLength = right - left
        guard leftLength >= 3, leftLength == CharacterCuts.sequenceLength(bytes[left]) else { return false }
        let rightLength = CharacterCuts.sequenceLength(bytes[right])
        guard rightLength >= 3 else { return false }
        return isSafe(CharacterCuts.decode(bytes + left, leftLength), CharacterCuts.decode(bytes + right, rightLength), bytes[right - 1], bytes[right])
    }

    @inline(__always)
    private func isSafe(_ left: UInt32, _ right: UInt32, _ before: UInt8, _ after: UInt8) -> Bool {
        let bit = Int(before) << 8 | Int(after)
        if straddles.withUnsafeBufferPointer({ $0[bit >> 6] }) & (1 << UInt64(bit & 63)) != 0 { return false }
        let key = UInt64(left) << 21 | UInt64(right)
        return bigrams.withUnsafeBufferPointer { slots in
            let mask = slots.count &- 1
            var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> bigramShift)
            while true {
                let found = slots[slot]
                if found == key { return false }
                if found == CharacterCuts.empty { return true }
                slot = (slot &+ 1) & mask
            }
        }
    }

    /// The length of the UTF-8 sequence a lead byte starts; 0 for a continuation or invalid byte.
    @inline(__always)
    static func sequenceLength(_ lead: UInt8) -> Int {
        if lead < 0x80 { return 1 }
        if lead < 0xC0 { return 0 }
        if lead < 0xE0 { return 2 }
        if lead < 0xF0 { return 3 }
        return lead < 0xF8 ? 4 : 0
    }

    /// Whether `bytes[from ..< to]` are all continuation bytes.
    @inline(__always)
    static func continues(_ bytes: UnsafePointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        var index = from
        while index < to {
            if bytes[index] & 0xC0 != 0x80 { return false }
            index += 1
        }
        return true
    }

    @inline(__always)
    static func continues(_ bytes: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
        continues(bytes.baseAddress!, from, to)
    }

    /// The code point of a well-formed 3- or 4-byte sequence.
    @inline(__always)
    static func decode(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
        if length == 3 {
            return UInt32(bytes[0] & 0x0F) << 12 | UInt32(bytes[1] & 0x3F) << 6 | UInt32(bytes[2] & 0x3F)
        }
        return UInt32(bytes[0] & 0x07) << 18 | UInt32(bytes[1] & 0x3F) << 12 | UInt32(bytes[2] & 0x3F) << 6
            | UInt32(bytes[3] & 0x3F)
    }
}
