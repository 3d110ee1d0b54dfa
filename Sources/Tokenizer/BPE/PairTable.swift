/// Which token two adjacent tokens merge into: `(left, right) → rank of left's bytes + right's bytes`.
///
/// Equivalent to looking up the concatenated bytes in `RankTable` (it holds an entry for every way
/// of splitting every token into two tokens: 446,189 for o200k), but keyed by the two ranks: a
/// multiply-shift hash and an integer compare instead of XXH3 over the bytes and a `memcmp`. It made
/// merging ~2x faster.
///
/// Each slot packs the whole entry — left, right and merged rank, 21 bits each — into one `UInt64`,
/// so a probe is one cache miss. On Chinese text these probes are half of the merge loop's time
/// (perf); with keys and values in two arrays, every hit paid a second miss for the value.
/// 2^20 slots (load 0.43, 8 MiB); built in ~60 ms, paid once since `VocabularyCache` stores it.
public struct PairTable: Sendable {
    static let empty = UInt64.max
    /// Ranks must fit in 21 bits, with all-ones kept free so that no entry looks empty.
    static let maxRanks = (1 << 21) - 1

    let slots: [UInt64]
    let shift: UInt64

    /// Builds the table from every token of `table` that splits into two tokens.
    ///
    /// - Throws: `.vocabularyMalformed` for a vocabulary of more than `maxRanks` ranks.
    init(_ table: RankTable) throws {
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
        self.slots = slots
        self.shift = shift
    }

    init(slots: [UInt64], shift: UInt64) {
        self.slots = slots
        self.shift = shift
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
