/// Which token two adjacent tokens merge into: `(left, right) → rank of left's bytes + right's bytes`,
/// for the pairs byte-pair merging can ever join.
///
/// Merging gives what looking up the concatenated bytes in `RankTable` gives, but keyed by the two
/// ranks: a multiply-shift hash and an integer compare instead of XXH3 over the bytes and a
/// `memcmp`. It made merging ~2x faster.
///
/// Each slot packs the whole entry — left, right and merged rank, 21 bits each — into one `UInt64`,
/// so a probe is one cache miss. On Chinese text these probes are half of the merge loop's time
/// (perf); with keys and values in two arrays, every hit paid a second miss for the value.
/// Only each token's canonical split is kept (`canonicalSplit`): 199,742 entries for o200k (one per
/// token of two or more bytes) where every split into two tokens was 446,189, so 2^19 slots (load
/// 0.38, 4 MiB) instead of 2^20 (8 MiB), and a Bloom filter in front answers most pairs that are no
/// token from L2. Cold held-out text, whole files (`tokenizer_ab.py --cold`, 7 alternations): 60.8
/// ms all splits, 55.9 ms canonical only, 52.2 ms with the filter.
public struct PairTable: Sendable {
    static let empty = UInt64.max
    /// Ranks must fit in 21 bits, with all-ones kept free so that no entry looks empty.
    static let maxRanks = (1 << 21) - 1

    let slots: [UInt64]
    let shift: UInt64
    /// A blocked Bloom filter of the entries' keys: 2^15 words (256 KiB, stays in L2), 3 bits of one
    /// word per key. Most pairs looked up while merging unseen words are no token; the filter
    /// answers those without touching `slots`.
    let filter: [UInt64]
    static let filterBits: UInt64 = 15

    /// Builds the table from each token's canonical split: the two tokens that byte-pair merging
    /// the token's own bytes joins last.
    ///
    /// - Throws: `.vocabularyMalformed` for a vocabulary of more than `maxRanks` ranks.
    init(_ table: RankTable) throws {
        // Merging with every split finds each token's canonical split; only those are kept.
        let allSplits = try PairTable(allSplitsOf: table)
        var canonical = [UInt64]()
        canonical.reserveCapacity(table.rankCount)
        var parts = [Rank]()
        for rank in 0 ..< table.rankCount {
            let start = Int(table.offsets[rank]), end = Int(table.offsets[rank + 1])
            guard end - start >= 2 else { continue }
            parts.removeAll(keepingCapacity: true)
            for index in start ..< end { parts.append(table.byteRanks[Int(table.bytes[index])]) }
            if let (left, right) = allSplits.canonicalSplit(of: Rank(rank), parts: &parts) {
                canonical.append(PairTable.key(left, right) << 21 | UInt64(rank))
            }
        }
        self.init(canonical)
    }

    /// Every way of splitting every token into two tokens (446,189 entries for o200k): what the
    /// canonical table is derived from, and the reference it is tested against.
    init(allSplitsOf table: RankTable) throws {
        guard table.rankCount <= PairTable.maxRanks else {
            throw TokenizerError(.vocabularyMalformed, "\(table.rankCount) ranks; at most \(PairTable.maxRanks) are supported")
        }
        var entries = [UInt64]()
        entries.reserveCapacity(table.rankCount * 3)
        table.bytes.withUnsafeBytes { all in
            for rank in 0 ..< table.rankCount {
                let start = Int(table.offsets[rank]), end = Int(table.offsets[rank + 1])
                guard end - start >= 2 else { continue }
                for split in (start + 1) ..< end {
                    let left = table.rank(of: UnsafeRawBufferPointer(rebasing: all[start ..< split]))
                    guard left != RankTable.none else { continue }
                    let right = table.rank(of: UnsafeRawBufferPointer(rebasing: all[split ..< end]))
                    guard right != RankTable.none else { continue }
                    entries.append(PairTable.key(left, right) << 21 | UInt64(rank))
                }
            }
        }
        self.init(entries)
    }

    /// A table of `entries` (`key << 21 | merged`) at most half full.
    private init(_ entries: [UInt64]) {
        var bits: UInt64 = 4
        while (1 << bits) < entries.count * 2 { bits += 1 }
        var slots = [UInt64](repeating: PairTable.empty, count: 1 << bits)
        let shift = 64 - bits
        let mask = (1 << Int(bits)) - 1
        for entry in entries {
            var slot = PairTable.home(entry >> 21, shift)
            while slots[slot] != PairTable.empty { slot = (slot &+ 1) & mask }
            slots[slot] = entry
        }
        self.init(slots: slots, shift: shift)
    }

    /// The two tokens that merging `parts` (the token's bytes as byte tokens) joins last into
    /// `rank`, or nil when merging them does not end in that token (it can never be formed).
    ///
    /// Why only this pair is needed: when a merge joins parts a and b into t, nothing has crossed
    /// the edges of t's span yet, so the merges inside it were the lowest-rank, leftmost pairs of
    /// the span each time — the same merges, in the same order, as merging t's bytes alone, whose
    /// last merge is t's canonical split. Any other pair (a', b') that spells t is never the
    /// leftmost lowest pair, so answering "no merge" for it changes nothing.
    private func canonicalSplit(of rank: Rank, parts: inout [Rank]) -> (Rank, Rank)? {
        while true {
            var best = RankTable.none, at = -1
            for index in 0 ..< parts.count - 1 {
                let merged = self.merged(parts[index], parts[index + 1])
                if merged < best {
                    best = merged
                    at = index
                }
            }
            if at < 0 { return nil }
            if parts.count == 2 { return best == rank ? (parts[0], parts[1]) : nil }
            parts[at] = best
            parts.remove(at: at + 1)
        }
    }

    init(slots: [UInt64], shift: UInt64) {
        self.slots = slots
        self.shift = shift
        var filter = [UInt64](repeating: 0, count: 1 << PairTable.filterBits)
        for entry in slots where entry != PairTable.empty {
            let (word, bits) = PairTable.filterPosition(entry >> 21)
            filter[word] |= bits
        }
        self.filter = filter
    }

    @inline(__always)
    static func filterPosition(_ key: UInt64) -> (word: Int, bits: UInt64) {
        let mixed = key &* 0xD6E8_FEB8_6659_FD93
        let word = Int(truncatingIfNeeded: mixed >> (64 - PairTable.filterBits))
        let bits = (1 as UInt64) << ((mixed >> 20) & 63) | (1 as UInt64) << ((mixed >> 26) & 63) | (1 as UInt64) << ((mixed >> 32) & 63)
        return (word, bits)
    }

    @inline(__always)
    static func key(_ left: Rank, _ right: Rank) -> UInt64 { UInt64(left) << 21 | UInt64(right) }

    @inline(__always)
    static func home(_ key: UInt64, _ shift: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// The rank `left` and `right` merge into, or `RankTable.none`.
    @inline(__always)
    func merged(_ left: Rank, _ right: Rank) -> Rank {
        let key = PairTable.key(left, right)
        let (word, bits) = PairTable.filterPosition(key)
        if filter.withUnsafeBufferPointer({ $0[word] }) & bits != bits { return RankTable.none }
        return slots.withUnsafeBufferPointer { slots in
            let mask = slots.count &- 1
            var slot = PairTable.home(key, shift)
            while true {
                let found = slots[slot]
                if found >> 21 == key { return Rank(truncatingIfNeeded: found & 0x1F_FFFF) }
                if found == PairTable.empty { return RankTable.none }
                slot = (slot &+ 1) & mask
            }
        }
    }
}
