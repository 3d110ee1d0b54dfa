/// Byte-pair merging of one piece, exactly as tiktoken's `_byte_pair_merge`: repeatedly merge the
/// adjacent pair whose concatenation has the lowest rank, the leftmost one among equal ranks, until
/// no adjacent pair is a token.
///
/// Two implementations with the same result: a linear scan over a small array for short pieces
/// (what tiktoken does; pieces average 5.4 bytes) and a tournament tree over a linked list for long
/// ones (`BytePairMerge+Tree.swift`), so that 1 MB of one repeated character is O(n log n), not O(n²).
struct BytePairMerger {
    /// Pieces up to this many parts use the linear scan. Above ~64 the O(n²) scan lost to the
    /// heap's O(n log n) with its bookkeeping (the tree that replaced the heap is cheaper still).
    static let linearScanLimit = 64
    /// Longer pieces are counted in characters first: with `atoms` a part is mostly a character, so
    /// a 150-byte Thai or Hindi word still takes the scan (heap merges were 6.7 % of the
    /// instructions on cold held-out text, mostly mo-th's).
    static let atomScanLimit = 3 * linearScanLimit

    // `mergeByTree`'s scratch, reused across pieces: no allocation per piece once warmed up.
    var tree: [UInt64] = []
    var links: [Int32] = []
    var tokens: [Rank] = []

    init() {}

    /// Merges `piece` and appends the resulting token ranks to `output`.
    ///
    /// - Precondition: every single byte is a token (true for tiktoken's byte-level vocabularies).
    /// With `atoms`, characters start whole where that is exact (`CharacterAtoms`), and so do two
    /// bytes' tokens (`BytePairAtoms`).
    mutating func merge(
        _ piece: UnsafeRawBufferPointer, table: RankTable, pairs: PairTable, atoms: CharacterAtoms? = nil, into output: inout [Rank]
    ) {
        if piece.count <= BytePairMerger.linearScanLimit
            || (atoms != nil && piece.count <= BytePairMerger.atomScanLimit && BytePairMerger.characters(piece) <= BytePairMerger.linearScanLimit)
        {
            mergeByScan(piece, table: table, pairs: pairs, atoms: atoms, into: &output)
        } else {
            mergeByTree(piece, table: table, pairs: pairs, into: &output)
        }
    }

    /// The number of UTF-8 sequences in `piece`: its bytes that are no continuation byte.
    @inline(__always)
    static func characters(_ piece: UnsafeRawBufferPointer) -> Int {
        var starts = 0
        for byte in piece where byte & 0xC0 != 0x80 { starts &+= 1 }
        return starts
    }

    // MARK: - Linear scan (tiktoken's algorithm)

    func mergeByScan(
        _ piece: UnsafeRawBufferPointer, table: RankTable, pairs: PairTable, atoms: CharacterAtoms? = nil,
        into output: inout [Rank]
    ) {
        let count = piece.count
        if count == 1 {
            output.append(table.byteRanks[Int(piece[0])])
            return
        }
        // Parts live on the stack (at most 64 words): no array bookkeeping, no retain/release per
        // piece — on first sight of a text most short pieces are merged once.
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { scratch in
            // Part i is one word: the rank parts i and i + 1 merge into (high half; `none` when
            // they do not) and part i's id (low half). One word per part halves the shifting a
            // merge does (two arrays: 6.5M of the 41.6M instructions of cold merges on 9 held-out
            // files, callgrind). After the first round the bytes are not needed: a merge is a
            // lookup of two ids.
            let parts = scratch.baseAddress!
            var live = 0
            table.byteRanks.withUnsafeBufferPointer { byteRanks in
                table.bytePairRanks.withUnsafeBufferPointer { bytePairRanks in
                    // Each part is a byte, or a whole character or two bytes' token where `atoms`
                    // allows; a pair of two bytes is read from the byte-pair ranks, any other pair
                    // from `pairs`.
                    var index = 0
                    var previousByte = -1
                    while index < count {
                        let byte = piece[index]
                        var token = byteRanks[Int(byte)], length = 1
                        if byte >= 0xC2, let atom = atoms?.atom(piece, at: index) {
                            (token, length) = atom
                        } else if index &+ 1 < count, let pairToken = atoms?.bytePairs.atom(piece, at: index), pairToken != RankTable.none {
                            (token, length) = (pairToken, 2)
                        }
                        if live > 0 {
                            let before = parts[live &- 1]
                            let rank = previousByte >= 0 && length == 1
                                ? bytePairRanks[previousByte << 8 | Int(byte)] : pairs.merged(Rank(truncatingIfNeeded: before), token)
                            parts[live &- 1] = UInt64(rank) << 32 | before
                        }
                        parts[live] = UInt64(token)
                        live &+= 1
                        previousByte = length == 1 ? Int(byte) : -1
                        index &+= length
                    }
                    parts[live &- 1] |= UInt64(RankTable.none) << 32
                }
            }
            if live > BytePairMerger.keyedMergeMinParts && live <= BytePairMerger.keyedMergeMaxParts {
                BytePairMerger.mergeByKeys(parts, live: live, pairs: pairs, into: &output)
                return
            }
            let noRank = UInt64(RankTable.none) << 32
            while true {
                // The lowest rank, the leftmost among equals (strict `<`); the last part's rank is
                // always `none`, so it is not scanned.
                var best = noRank
                var at = -1
                for index in 0 ..< live &- 1 where parts[index] & 0xFFFF_FFFF_0000_0000 < best {
                    best = parts[index] & 0xFFFF_FFFF_0000_0000
                    at = index
                }
                if at < 0 { break }
                // Part `at` absorbs part `at + 1` and becomes the token `best`.
                let merged = Rank(truncatingIfNeeded: best >> 32)
                // The parts after it move down one, word by word: a handful of words, where the
                // call to `memmove` cost more than the move.
                var move = at &+ 1
                while move < live &- 1 {
                    parts[move] = parts[move &+ 1]
                    move &+= 1
                }
                live &-= 1
                let after = at &+ 1 < live ? UInt64(pairs.merged(merged, Rank(truncatingIfNeeded: parts[at &+ 1]))) << 32 : noRank
                parts[at] = after | UInt64(merged)
                if at > 0 {
                    let before = Rank(truncatingIfNeeded: parts[at &- 1])
                    parts[at &- 1] = UInt64(pairs.merged(before, merged)) << 32 | UInt64(before)
                }
            }
            for index in 0 ..< live { output.append(Rank(truncatingIfNeeded: parts[index])) }
        }
    }
}
