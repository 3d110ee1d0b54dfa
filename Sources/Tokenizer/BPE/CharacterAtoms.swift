/// Which 2- and 3-byte characters a merge may start from as whole tokens instead of from their bytes,
/// and where in a piece that is exact.
///
/// On unseen text, merging is a third of the time (perf, held-out corpus), and in Cyrillic, Greek,
/// Arabic, Hebrew, Devanagari, Thai, Hangul or CJK most of its rounds only rebuild characters from
/// their bytes: a 16-byte Russian word is 16 parts and 15 pair lookups before its first real merge.
/// Started from whole characters where exact, the distinct pieces of the held-out corpus that need
/// merging start from 333k parts instead of 585k (tiktoken's ranks, o200k_base).
///
/// When starting from a character c is exact. Merging c's bytes alone ends in one token T_c; let
/// `completedBy` be the highest rank among those merges (T_c's rank, or for three bytes the first
/// pair's if higher). If every pair that joins some of c's bytes to bytes outside c has a rank above
/// `completedBy`, then:
/// - while c is unfinished one of its own pairs (rank ≤ `completedBy`) is always available, so no
///   pair reaching outside c is ever the lowest: c's bytes merge exactly as alone, into T_c;
/// - every other merge chosen meanwhile has a rank ≤ that pending pair's, so it is also the lowest
///   when c is T_c from the start (T_c's pairs with its neighbours rank above `completedBy`).
/// So the merges outside c happen in the same order either way, and the result is the same. A pair
/// reaching outside c is a token that either holds c whole with more bytes (`wholeRanks`: the lowest
/// such rank per character, checked once) or holds part of c and a neighbouring byte across one of
/// c's edges (`straddleRanks`: the lowest rank of a token with byte x then byte y at a character
/// start, one of the two characters cut short; checked per occurrence, against the actual
/// neighbours). Per occurrence matters: o200k has low-ranked tokens such as a space followed by a
/// Cyrillic lead byte, so only 377 of its 5,115 one-token characters are safe everywhere, but 85 %
/// of the character occurrences in merged held-out pieces are safe where they stand.
/// Checked against merging from bytes (`CharacterAtomsTests`), and by every oracle test.
struct CharacterAtoms: Sendable {
    static let none = UInt64.max

    /// Per code point below U+10000: `completedBy << 32 | T_c`, or `none` when c is ASCII, a
    /// surrogate, not one token, or held whole by a token ranked at or below `completedBy`.
    let atoms: [UInt64]
    /// Per byte pair `x << 8 | y`: the lowest rank of a token holding byte x then byte y at a character
    /// start, where the token begins inside the character before y or ends inside the one y starts.
    let straddleRanks: [Rank]
    /// Where two bytes outside any whole character start as their token instead.
    let bytePairs: BytePairAtoms

    /// Reassembles the tables `VocabularyCache` stored.
    init?(atoms: [UInt64], straddleRanks: [Rank], bytePairs: BytePairAtoms) {
        guard atoms.count == 65_536, straddleRanks.count == 65_536 else { return nil }
        self.atoms = atoms
        self.straddleRanks = straddleRanks
        self.bytePairs = bytePairs
    }

    /// Derives the tables from the vocabulary (~10 ms for o200k; stored in the vocabulary image).
    init(_ table: RankTable) {
        var straddleRanks = [Rank](repeating: RankTable.none, count: 65_536)
        var wholeRanks = [Rank](repeating: RankTable.none, count: 65_536)
        table.bytes.withUnsafeBufferPointer { all in
            for rank in 0 ..< table.rankCount {
                let start = Int(table.offsets[rank]), end = Int(table.offsets[rank + 1])
                guard end - start >= 2 else { continue }
                func straddle(at index: Int) {
                    let pair = Int(all[index - 1]) << 8 | Int(all[index])
                    straddleRanks[pair] = min(straddleRanks[pair], Rank(rank))
                }
                var index = start
                while index < end && all[index] & 0xC0 == 0x80 { index += 1 }
                // Begins inside a character and goes on past it.
                if index > start && index < end { straddle(at: index) }
                while index < end {
                    let length = CharacterCuts.sequenceLength(all[index])
                    guard length > 0 else { break }
                    if index + length > end {
                        // Ends inside a character, with something before it.
                        if index > start && CharacterCuts.continues(all, index + 1, end) { straddle(at: index) }
                        break
                    }
                    guard CharacterCuts.continues(all, index + 1, index + length) else { break }
                    if length >= 2 && length <= 3 && end - start > length {
                        let scalar = Int(CharacterAtoms.decode(all.baseAddress! + index, length))
                        wholeRanks[scalar] = min(wholeRanks[scalar], Rank(rank))
                    }
                    index += length
                }
            }
        }
        var atoms = [UInt64](repeating: CharacterAtoms.none, count: 65_536)
        for scalar in 0x80 ..< 0x1_0000 where !(0xD800 ..< 0xE000).contains(scalar) {
            let bytes = Array(String(Unicode.Scalar(UInt32(scalar))!).utf8)
            let token = bytes.withUnsafeBytes { table.rank(of: $0) }
            guard token != RankTable.none else { continue }
            var completedBy = token
            if bytes.count == 3 {
                // Alone, the lower-ranked of its two byte pairs merges first, then the third byte.
                let first = min(table.bytePairRanks[Int(bytes[0]) << 8 | Int(bytes[1])], table.bytePairRanks[Int(bytes[1]) << 8 | Int(bytes[2])])
                guard first != RankTable.none else { continue }
                completedBy = max(completedBy, first)
            }
            guard wholeRanks[scalar] > completedBy else { continue }
            atoms[scalar] = UInt64(completedBy) << 32 | UInt64(token)
        }
        self.atoms = atoms
        self.straddleRanks = straddleRanks
        self.bytePairs = BytePairAtoms(table)
    }

    /// The token of the character starting at `index` and its length in bytes, when the merge of
    /// this piece may start from it whole; nil otherwise (also for malformed or overlong UTF-8).
    @inline(__always)
    func atom(_ bytes: UnsafeRawBufferPointer, at index: Int) -> (token: Rank, length: Int)? {
        let count = bytes.count
        let lead = bytes[index]
        guard lead >= 0xC2 && lead < 0xF0 else { return nil }
        let length = lead < 0xE0 ? 2 : 3
        let end = index &+ length
        guard end <= count else { return nil }
        let second = bytes[index &+ 1]
        guard second & 0xC0 == 0x80 else { return nil }
        var scalar = UInt32(lead & 0x1F) << 6 | UInt32(second & 0x3F)
        if length == 3 {
            let third = bytes[index &+ 2]
            guard third & 0xC0 == 0x80 else { return nil }
            scalar = UInt32(lead & 0x0F) << 12 | UInt32(second & 0x3F) << 6 | UInt32(third & 0x3F)
            guard scalar >= 0x800 else { return nil }
        }
        let entry = atoms.withUnsafeBufferPointer { $0[Int(scalar)] }
        guard entry != CharacterAtoms.none else { return nil }
        let completedBy = Rank(truncatingIfNeeded: entry >> 32)
        return straddleRanks.withUnsafeBufferPointer { straddles -> (token: Rank, length: Int)? in
            if index > 0 && straddles[Int(bytes[index &- 1]) << 8 | Int(lead)] <= completedBy { return nil }
            if end < count && straddles[Int(bytes[end &- 1]) << 8 | Int(bytes[end])] <= completedBy { return nil }
            return (Rank(truncatingIfNeeded: entry), length)
        }
    }

    /// The code point of a well-formed 2- or 3-byte sequence.
    @inline(__always)
    static func decode(_ bytes: UnsafePointer<UInt8>, _ length: Int) -> UInt32 {
        if length == 2 { return UInt32(bytes[0] & 0x1F) << 6 | UInt32(bytes[1] & 0x3F) }
        return CharacterCuts.decode(bytes, 3)
    }
}
