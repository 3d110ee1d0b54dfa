/// Which token two adjacent tokens merge into: `(left, right) → rank of left's bytes + right's bytes`.
///
/// Equivalent to looking up the concatenated bytes in `RankTable` (it holds an entry for every way
/// of splitting every token into two tokens: 446,189 for o200k), but keyed by one `UInt64`: a
/// multiply-shift hash and an integer compare instead of XXH3 over the bytes and a `memcmp`. It made
/// merging ~2x faster; it costs 12 MiB and ~60 ms to build, paid once since `VocabularyCache` stores it.
public struct PairTable: Sendable {
    static let empty = UInt64.max

    let keys: [UInt64]
    let values: [Rank]
    let shift: UInt64

    /// Builds the table from every token of `table` that splits into two tokens.
    init(_ table: RankTable) {
        var entries = [(UInt64, Rank)]()
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
                    entries.append((UInt64(left) << 32 | UInt64(right), Rank(rank)))
                }
            }
        }
        var bits: UInt64 = 4
        while (1 << bits) < entries.count * 2 { bits += 1 }
        var keys = [UInt64](repeating: PairTable.empty, count: 1 << bits)
        var values = [Rank](repeating: RankTable.none, count: 1 << bits)
        let shift = 64 - bits
        let mask = (1 << Int(bits)) - 1
        for (key, value) in entries {
            var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while keys[slot] != PairTable.empty { slot = (slot &+ 1) & mask }
            keys[slot] = key
            values[slot] = value
        }
        self.keys = keys
        self.values = values
        self.shift = shift
    }

    init(keys: [UInt64], values: [Rank], shift: UInt64) {
        self.keys = keys
        self.values = values
        self.shift = shift
    }

    /// The rank `left` and `right` merge into, or `RankTable.none`.
    @inline(__always)
    func merged(_ left: Rank, _ right: Rank) -> Rank {
        let key = UInt64(left) << 32 | UInt64(right)
        return keys.withUnsafeBufferPointer { keys in
            let mask = keys.count &- 1
            var slot = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while true {
                let found = keys[slot]
                if found == key { return values.withUnsafeBufferPointer { $0[slot] } }
                if found == PairTable.empty { return RankTable.none }
                slot = (slot &+ 1) & mask
            }
        }
    }
}
