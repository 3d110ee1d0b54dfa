import Foundation

/// The rank of every token of at most 16 bytes, keyed by `ShortPieceMemo`'s exact key (the bytes as
/// two words, plus the length): a lookup reads one cache line of three slots, with no XXH3, no
/// offsets and no `memcmp`.
///
/// `RankTable` touches three lines for a token it finds (its 8 MiB slots, then the offsets, then the
/// token's bytes), each a miss on text the process has not seen; 78.5 % of o200k pieces are one
/// token, and on unseen text most of them are asked here first time.
///
/// A line is 8 words: the keys of slots 0–2 (words 0–5), word 6 = rank 0 | rank 1 << 32, word 7 =
/// rank 2 | length 0 << 32 | length 1 << 40 | length 2 << 48 (length 0: empty). Lines are probed
/// linearly from the key's line; at most half the slots are used, so a token is almost always in
/// its first line. A 256 KiB blocked Bloom filter in front turns most non-tokens away before their
/// line is read.
final class ShortTokenTable: @unchecked Sendable {
    // @unchecked: immutable after init; the memory is owned here and freed in deinit.
    static let maxTokenBytes = ShortPieceMemo.maxPieceBytes

    private let allocation: UnsafeMutableRawPointer
    private let lines: UnsafeMutablePointer<UInt64>
    /// log2 of the number of lines.
    let lineBits: UInt64
    private let lineShift: UInt64
    private let lineMask: Int
    private let filter: UnsafeMutablePointer<UInt64>
    static let filterWords = 1 << 15
    /// The line counts a table may have (2^4 ... 2^24 lines).
    static let lineBitsRange: ClosedRange<UInt64> = 4 ... 24

    /// The words a table of `1 << lineBits` lines takes in the image: its lines, then its filter.
    /// - Precondition: `lineBits` in `lineBitsRange`.
    static func storedWords(lineBits: UInt64) -> Int { (8 << Int(lineBits)) + filterWords }

    /// The table's words as stored in the vocabulary image: the lines, then the filter.
    var lineWords: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: lines, count: 8 << Int(lineBits)) }
    var filterWords: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: filter, count: ShortTokenTable.filterWords) }

    /// `1 << lineBits` lines and the filter, zeroed, then written by `fill`: with the lines and the
    /// filter `VocabularyCache` stored (each lookup stops at a line with an empty slot, which a
    /// stored table has: it was built by the initializer below), or with nothing. Nil when the line
    /// count is out of range or `fill` fails.
    init?(lineBits: UInt64, fill: (UnsafeMutablePointer<UInt64>, UnsafeMutablePointer<UInt64>) -> Bool) {
        guard ShortTokenTable.lineBitsRange.contains(lineBits) else { return nil }
        self.lineBits = lineBits
        // Zeroed without a `memset`: one before the copy from the image touched the pages twice.
        (allocation, lines) = CacheLineWords.allocate(8 << Int(lineBits), zeroed: true, for: "the short-token table")
        lineShift = 64 - lineBits
        lineMask = (1 << Int(lineBits)) - 1
        filter = .allocate(capacity: ShortTokenTable.filterWords)
        filter.initialize(repeating: 0, count: ShortTokenTable.filterWords)
        guard fill(lines, filter) else { return nil }
    }

    /// Every token of `table` of 1 ... 16 bytes. Building o200k's takes ~13 ms (196k inserts into
    /// 8 MiB, each a cache miss: a process start of `count` on 1 KB went 43.5 → 56.3 ms, medians
    /// of 20 alternations), so it is stored in the vocabulary image and copied from it
    /// (`VocabularyCache`): 38.6 → 44.6 ms (25 alternations), the 8 MiB zeroed, checksummed and
    /// copied. o200k fills 99.7 % of the half-full limit of 2^17 lines: a few hundred more short
    /// tokens would double the table.
    convenience init(_ table: RankTable) {
        var count = 0
        ShortTokenTable.forEachShortToken(of: table) { _, _, _ in count += 1; return true }
        // Slots at least twice the tokens: 2^17 lines (8 MiB) for o200k's 196,011 (cl100k: 99,451).
        var lineBits = ShortTokenTable.lineBitsRange.lowerBound
        while 3 << lineBits < 2 * count { lineBits += 1 }
        self.init(lineBits: lineBits) { _, _ in true }!
        ShortTokenTable.forEachShortToken(of: table) { key, length, rank in
            insert(key, count: length, rank: rank)
            return true
        }
    }

    /// Calls `body` with the key, length and rank of every `stride`-th rank's token of 1 ... 16
    /// bytes, lowest rank first (or highest: `MemoSeed`), while it returns true; false if stopped.
    @discardableResult
    static func forEachShortToken(
        of table: RankTable, every stride: Int = 1, highestRankFirst: Bool = false, _ body: ((UInt64, UInt64), Int, Rank) -> Bool
    ) -> Bool {
        let count = (table.rankCount + stride - 1) / stride
        return table.bytes.withUnsafeBytes { all in
            (0 ..< count).allSatisfy { index in
                let rank = (highestRankFirst ? count - 1 - index : index) * stride
                let start = Int(table.offsets[rank]), length = Int(table.offsets[rank + 1]) - start
                guard length > 0 && length <= maxTokenBytes else { return true }
                return body(ShortPieceMemo.key(UnsafeRawBufferPointer(rebasing: all[start ..< start + length])), length, Rank(rank))
            }
        }
    }

    /// Whether every 997th token of `table` (1 ... 16 bytes) is found with its rank: a stored table
    /// whose layout or hashing is not this build's (the image's magic not bumped with a change
    /// here) fails this and is rebuilt; ~200 lookups for o200k. A table that misses tokens would
    /// not change ids (a token it misses is merged from its bytes, and every token merges back to
    /// itself) but slow every piece; one that answered a wrong rank would change them, and such a
    /// table does not find this sample either.
    func agrees(with table: RankTable) -> Bool {
        ShortTokenTable.forEachShortToken(of: table, every: 997) { key, length, rank in
            self.rank(key, count: length) == rank
        }
    }

    deinit {
        free(allocation)
        filter.deallocate()
    }

    @inline(__always)
    private static func mix(_ key: (UInt64, UInt64), _ count: Int) -> UInt64 {
        (key.0 ^ (key.1 &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(truncatingIfNeeded: count) << 56) &* 0xD6E8_FEB8_6659_FD93
    }

    /// The filter word and bits of a mixed key, from a second multiply (the low bits of the first
    /// depend only on the key's low bits).
    @inline(__always)
    private static func filterPosition(_ mixed: UInt64) -> (word: Int, bits: UInt64) {
        let again = (mixed ^ mixed >> 32) &* 0x9E37_79B9_7F4A_7C15
        let word = Int(truncatingIfNeeded: again >> 49)
        let bits = (1 as UInt64) << ((again >> 20) & 63) | (1 as UInt64) << ((again >> 26) & 63) | (1 as UInt64) << ((again >> 32) & 63)
        return (word, bits)
    }

    private func insert(_ key: (UInt64, UInt64), count: Int, rank: Rank) {
        let mixed = ShortTokenTable.mix(key, count)
        let (word, bits) = ShortTokenTable.filterPosition(mixed)
        filter[word] |= bits
        var index = Int(truncatingIfNeeded: mixed >> lineShift)
        while true {
            let line = lines + index << 3
            for slot in 0 ..< 3 where (line[7] >> (32 + 8 * UInt64(slot))) & 0xFF == 0 {
                line[2 * slot] = key.0
                line[2 * slot + 1] = key.1
                line[7] |= UInt64(truncatingIfNeeded: count) << (32 + 8 * UInt64(slot))
                switch slot {
                case 0: line[6] |= UInt64(rank)
                case 1: line[6] |= UInt64(rank) << 32
                default: line[7] |= UInt64(rank)
                }
                return
            }
            index = (index &+ 1) & lineMask
        }
    }

    /// The rank of the piece with this key (`ShortPieceMemo.key`) and length (1 ... 16), or
    /// `RankTable.none`.
    @inline(__always)
    func rank(_ key: (UInt64, UInt64), count: Int) -> Rank {
        let mixed = ShortTokenTable.mix(key, count)
        let (word, bits) = ShortTokenTable.filterPosition(mixed)
        if filter[word] & bits != bits { return RankTable.none }
        let length = UInt64(truncatingIfNeeded: count)
        var index = Int(truncatingIfNeeded: mixed >> lineShift)
        // At most every line once: a stored table with no empty slot (a crafted image whose
        // checksum holds) must not hang the load's `agrees` or a lookup.
        for _ in 0 ... lineMask {
            let line = lines + index << 3
            let meta = line[7]
            let length0 = (meta >> 32) & 0xFF, length1 = (meta >> 40) & 0xFF, length2 = (meta >> 48) & 0xFF
            if length0 == length && line[0] == key.0 && line[1] == key.1 { return Rank(truncatingIfNeeded: line[6]) }
            if length1 == length && line[2] == key.0 && line[3] == key.1 { return Rank(truncatingIfNeeded: line[6] >> 32) }
            if length2 == length && line[4] == key.0 && line[5] == key.1 { return Rank(truncatingIfNeeded: meta) }
            // Slots fill in order, so an empty one means the key is in no later line either.
            if length2 == 0 { return RankTable.none }
            index = (index &+ 1) & lineMask
        }
        return RankTable.none
    }
}
