/// Which two adjacent bytes a merge may start from as their token, and where in a piece that is
/// exact: `CharacterAtoms`' argument applied to a span of two bytes.
///
/// On unseen Latin-script text a first-seen word that is no token is merged from its bytes, ~6
/// rounds for a German word, each a scan for the lowest pair and two pair lookups (man-de: 1,500
/// instructions per merged piece). Many of those rounds only join two bytes that were bound to be
/// joined first: with the rule below, the distinct held-out pieces of ≤ 16 bytes that need merging
/// take 117,657 rounds instead of 226,601 (tiktoken's ranks, o200k_base; the same tokens for all
/// 32,113).
///
/// When starting from the token t = xy of bytes x, y (rank r) is exact. Merging x and y alone takes
/// one merge, of rank r. A pair that joins x or y to a byte outside makes a token that either
///   1. holds x y and more bytes — `atomRanks` keeps r only when every such token ranks above r;
///   2. holds y but not x: it begins with y followed by the next byte n — `startRanks[y n]`, the
///      lowest rank of a token beginning with those two bytes, must be above r;
///   3. holds x but not y: it ends with the byte p before x, then x — `endRanks[p x]` above r.
/// Then, as for characters, x y is always a lower pair than any reaching outside it, so it merges
/// before any of them, and every other merge happens in the same order either way. Two candidate
/// spans that overlap cannot both hold (x y z: y z begins with y z, so case 2 for x y needs the rank
/// of y z above r, and case 3 for y z needs r above it), and disjoint ones combine as characters do.
/// Check 1 is implied by 2 and 3 where every token ranks above the two it is merged from, as in
/// tiktoken's vocabularies; it is kept so that the argument does not rest on that, and costs
/// nothing per occurrence (it is folded into `atomRanks`).
/// Checked against merging from bytes (`BytePairAtomsTests`) and by every oracle test.
struct BytePairAtoms: Sendable {
    /// Per byte pair `x << 8 | y`: the rank of the token x y when no longer token holding x y ranks
    /// at or below it, else `RankTable.none`.
    let atomRanks: [Rank]
    /// Per byte pair: the lowest rank of a token whose first two bytes they are.
    let startRanks: [Rank]
    /// Per byte pair: the lowest rank of a token whose last two bytes they are.
    let endRanks: [Rank]

    /// Reassembles the tables `VocabularyCache` stored.
    init?(atomRanks: [Rank], startRanks: [Rank], endRanks: [Rank]) {
        guard atomRanks.count == 65_536, startRanks.count == 65_536, endRanks.count == 65_536 else { return nil }
        self.atomRanks = atomRanks
        self.startRanks = startRanks
        self.endRanks = endRanks
    }

    /// Derives the tables from the vocabulary: one pass over every token's bytes.
    init(_ table: RankTable) {
        var startRanks = [Rank](repeating: RankTable.none, count: 65_536)
        var endRanks = [Rank](repeating: RankTable.none, count: 65_536)
        var longerRanks = [Rank](repeating: RankTable.none, count: 65_536)
        table.bytes.withUnsafeBufferPointer { all in
            for rank in 0 ..< table.rankCount {
                let start = Int(table.offsets[rank]), end = Int(table.offsets[rank + 1])
                guard end - start >= 2 else { continue }
                let first = Int(all[start]) << 8 | Int(all[start + 1])
                let last = Int(all[end - 2]) << 8 | Int(all[end - 1])
                startRanks[first] = min(startRanks[first], Rank(rank))
                endRanks[last] = min(endRanks[last], Rank(rank))
                guard end - start >= 3 else { continue }
                for index in start ..< end - 1 {
                    let pair = Int(all[index]) << 8 | Int(all[index + 1])
                    longerRanks[pair] = min(longerRanks[pair], Rank(rank))
                }
            }
        }
        var atomRanks = [Rank](repeating: RankTable.none, count: 65_536)
        for pair in 0 ..< 65_536 {
            let rank = table.bytePairRanks[pair]
            if rank != RankTable.none && longerRanks[pair] > rank { atomRanks[pair] = rank }
        }
        self.atomRanks = atomRanks
        self.startRanks = startRanks
        self.endRanks = endRanks
    }

    /// The token of the two bytes at `index` and `index + 1` when the merge of this piece may start
    /// from it, else `RankTable.none`.
    ///
    /// - Precondition: `index + 1 < bytes.count`.
    @inline(__always)
    func atom(_ bytes: UnsafeRawBufferPointer, at index: Int) -> Rank {
        let first = Int(bytes[index]), second = Int(bytes[index &+ 1])
        let rank = atomRanks.withUnsafeBufferPointer { $0[first << 8 | second] }
        if rank == RankTable.none { return rank }
        if index > 0 && endRanks.withUnsafeBufferPointer({ $0[Int(bytes[index &- 1]) << 8 | first] }) <= rank { return RankTable.none }
        if index &+ 2 < bytes.count && startRanks.withUnsafeBufferPointer({ $0[second << 8 | Int(bytes[index &+ 2])] }) <= rank {
            return RankTable.none
        }
        return rank
    }
}
