import Foundation

/// A token's rank in a BPE vocabulary: its id, and its merge priority (lower merges first).
public typealias Rank = UInt32

/// The mergeable tokens of a BPE vocabulary: bytes → rank and rank → bytes.
///
/// All token bytes sit in one flat array with offsets (as rust-gems `bpe` does), and the reverse map
/// is an open-addressing table keyed by XXH3 of the bytes: a lookup is one hash, one probe in most
/// cases and one `memcmp`, with no allocation, against ~60 ns for `Dictionary<[UInt8], Int>` with
/// its SipHash and array boxing.
public struct RankTable: Sendable {
    /// Rank returned for byte strings that are not tokens.
    public static let none: Rank = .max

    /// Token bytes, concatenated in rank order.
    let bytes: [UInt8]
    /// `offsets[r] ..< offsets[r + 1]` are the bytes of rank `r`; an empty range is a gap in the ranks.
    let offsets: [UInt32]
    /// Slot = (upper 32 bits of the hash) << 32 | (rank + 1); 0 is an empty slot.
    let slots: [UInt64]
    let slotMask: Int
    /// A blocked Bloom filter of the slots' tags: 2^15 words (256 KiB, stays in L2), 3 bits of one
    /// word per token. On unseen text most pieces looked up are no token (35k of the 55k distinct
    /// pieces of the held-out corpus need merging), and the probe of the 8 MiB slots they cost
    /// was the largest single stall of cold encoding (perf: ~13 % of the time on that load).
    let filter: [UInt64]
    /// The rank of each single byte, looked up once: every BPE starts from bytes.
    public let byteRanks: [Rank]
    /// The rank of each two-byte token, indexed by `first << 8 | second` (256 KiB): the first round
    /// of every merge reads these n − 1 ranks without hashing.
    public let bytePairRanks: [Rank]

    /// Number of ranks, gaps included (the largest rank + 1).
    public var rankCount: Int { offsets.count - 1 }

    /// Builds the table from `(bytes, rank)` pairs.
    ///
    /// - Throws: `TokenizerError.vocabularyMalformed` when two entries share bytes or a rank.
    public init(tokens: [(bytes: ArraySlice<UInt8>, rank: Rank)]) throws {
        let maxRank = tokens.map(\.rank).max() ?? 0
        var byRank = [Int](repeating: -1, count: Int(maxRank) + 1)
        var totalBytes = 0
        for (index, token) in tokens.enumerated() {
            guard byRank[Int(token.rank)] < 0 else {
                throw TokenizerError(.vocabularyMalformed, "rank \(token.rank) appears twice")
            }
            guard !token.bytes.isEmpty else {
                throw TokenizerError(.vocabularyMalformed, "rank \(token.rank) has no bytes")
            }
            byRank[Int(token.rank)] = index
            totalBytes += token.bytes.count
        }
        var flat = [UInt8]()
        flat.reserveCapacity(totalBytes)
        var offsets = [UInt32]()
        offsets.reserveCapacity(byRank.count + 1)
        for index in byRank {
            offsets.append(UInt32(flat.count))
            if index >= 0 { flat.append(contentsOf: tokens[index].bytes) }
        }
        offsets.append(UInt32(flat.count))
        try self.init(flatBytes: flat, offsets: offsets)
    }

    /// Reassembles a table from the parts `VocabularyCache` stored; nothing is recomputed.
    init(flatBytes: [UInt8], offsets: [UInt32], slots: [UInt64], byteRanks: [Rank], bytePairRanks: [Rank]) {
        self.bytes = flatBytes
        self.offsets = offsets
        self.slots = slots
        self.slotMask = slots.count - 1
        self.filter = RankTable.filter(of: slots)
        self.byteRanks = byteRanks
        self.bytePairRanks = bytePairRanks
    }

    /// Builds the table from token bytes already laid out in rank order.
    init(flatBytes: [UInt8], offsets: [UInt32]) throws {
        self.bytes = flatBytes
        self.offsets = offsets
        let rankCount = offsets.count - 1
        // Load factor <= 0.25 keeps probe sequences ~1 slot: 2^20 slots (8 MiB) for o200k's 200k ranks.
        var capacity = 16
        while capacity < rankCount * 4 { capacity <<= 1 }
        var slots = [UInt64](repeating: 0, count: capacity)
        let mask = capacity - 1
        try flatBytes.withUnsafeBytes { all in
            for rank in 0 ..< rankCount {
                let start = Int(offsets[rank]), end = Int(offsets[rank + 1])
                if start == end { continue }
                let token = UnsafeRawBufferPointer(rebasing: all[start ..< end])
                let hash = xxh3(token)
                var slot = Int(truncatingIfNeeded: hash) & mask
                while slots[slot] != 0 {
                    let other = Int(slots[slot] & 0xFFFF_FFFF) - 1
                    let otherStart = Int(offsets[other]), otherEnd = Int(offsets[other + 1])
                    if otherEnd - otherStart == end - start,
                        memcmp(all.baseAddress! + otherStart, token.baseAddress!, token.count) == 0
                    {
                        throw TokenizerError(.vocabularyMalformed, "ranks \(other) and \(rank) have the same bytes")
                    }
                    slot = (slot &+ 1) & mask
                }
                slots[slot] = (hash & 0xFFFF_FFFF_0000_0000) | UInt64(rank + 1)
            }
        }
        self.slots = slots
        self.slotMask = mask
        self.filter = RankTable.filter(of: slots)
        var byteRanks = [Rank](repeating: RankTable.none, count: 256)
        for rank in 0 ..< rankCount where offsets[rank + 1] - offsets[rank] == 1 {
            byteRanks[Int(flatBytes[Int(offsets[rank])])] = Rank(rank)
        }
        self.byteRanks = byteRanks
        var pairRanks = [Rank](repeating: RankTable.none, count: 65_536)
        for rank in 0 ..< rankCount where offsets[rank + 1] - offsets[rank] == 2 {
            let start = Int(offsets[rank])
            pairRanks[Int(flatBytes[start]) << 8 | Int(flatBytes[start + 1])] = Rank(rank)
        }
        self.bytePairRanks = pairRanks
    }

    /// The rank of `token`, or `RankTable.none`.
    ///
    /// - Complexity: one XXH3 of the bytes and, in most cases, one probe.
    @inline(__always)
    public func rank(of token: UnsafeRawBufferPointer) -> Rank {
        rank(of: token, hash: xxh3(token))
    }

    /// The rank of `token` whose XXH3-64 the caller already has (the piece cache keys on the same
    /// hash, so a piece is hashed once).
    @inline(__always)
    func rank(of token: UnsafeRawBufferPointer, hash: UInt64) -> Rank {
        let tag = hash & 0xFFFF_FFFF_0000_0000
        let (word, bits) = RankTable.filterPosition(tag)
        if filter.withUnsafeBufferPointer({ $0[word] }) & bits != bits { return RankTable.none }
        return slots.withUnsafeBufferPointer { slots in
            bytes.withUnsafeBytes { all in
                offsets.withUnsafeBufferPointer { offsets in
                    var slot = Int(truncatingIfNeeded: hash) & slotMask
                    while true {
                        let entry = slots[slot]
                        if entry == 0 { return RankTable.none }
                        if entry & 0xFFFF_FFFF_0000_0000 == tag {
                            let rank = Int(entry & 0xFFFF_FFFF) &- 1
                            let start = Int(offsets[rank])
                            if Int(offsets[rank &+ 1]) &- start == token.count,
                                memcmp(all.baseAddress! + start, token.baseAddress!, token.count) == 0
                            {
                                return Rank(rank)
                            }
                        }
                        slot = (slot &+ 1) & slotMask
                    }
                }
            }
        }
    }

    static let filterBits: UInt64 = 15

    /// The filter of the tags of `slots` (each slot's upper 32 bits), built in one pass (~1 ms for
    /// o200k's 2^20 slots).
    static func filter(of slots: [UInt64]) -> [UInt64] {
        var filter = [UInt64](repeating: 0, count: 1 << RankTable.filterBits)
        for entry in slots where entry != 0 {
            let (word, bits) = filterPosition(entry & 0xFFFF_FFFF_0000_0000)
            filter[word] |= bits
        }
        return filter
    }

    /// Where a tag (a hash's upper 32 bits, in place) sets its bits.
    @inline(__always)
    static func filterPosition(_ tag: UInt64) -> (word: Int, bits: UInt64) {
        let mixed = (tag >> 32) &* 0x9E37_79B9_7F4A_7C15
        let word = Int(truncatingIfNeeded: mixed >> (64 - RankTable.filterBits))
        let bits = (1 as UInt64) << ((mixed >> 20) & 63) | (1 as UInt64) << ((mixed >> 26) & 63) | (1 as UInt64) << ((mixed >> 32) & 63)
        return (word, bits)
    }

    /// The bytes of `rank`, or nil when the vocabulary has no such rank.
    public func bytes(of rank: Rank) -> ArraySlice<UInt8>? {
        guard Int(rank) < rankCount else { return nil }
        let start = Int(offsets[Int(rank)]), end = Int(offsets[Int(rank) + 1])
        return start == end ? nil : bytes[start ..< end]
    }

    /// Appends the bytes of `rank` to `output`; false when the vocabulary has no such rank.
    @inline(__always)
    func appendBytes(of rank: Rank, to output: inout [UInt8]) -> Bool {
        guard Int(rank) < rankCount else { return false }
        let start = Int(offsets[Int(rank)]), end = Int(offsets[Int(rank) + 1])
        if start == end { return false }
        output.append(contentsOf: bytes[start ..< end])
        return true
    }
}
