import Foundation

/// An encoder's memo of piece ids by a key of at most 42 bits, in front of
/// `SentencePieceVocabulary.id(of:)` (an XXH3 of the bytes, a probe of the rank slots, a compare of
/// the piece's bytes). `SymbolMerger` keeps two: the id of each character (its bytes are the key)
/// and the piece two adjacent symbols join into (their two ids are the key: a symbol's bytes are
/// its id's piece, so the ids decide the answer whatever was merged before). In text without
/// spaces (Chinese, Japanese: a line is one segment, merged whole) the same characters and pairs of
/// characters come back all the time.
///
/// Direct mapped, one word per key: `~(key << 21 | id)`, `none` for "not a piece" — the complement
/// so that calloc's zero pages are empty slots. Ids must be below `2^21 - 1` (Gemma: 262,144
/// pieces); a larger model is not memoized (`enabled`).
final class PieceIDMemo {
    /// 2^14 words = 128 KiB.
    static let slotBits: UInt64 = 14
    private static let none: UInt64 = 0x1F_FFFF
    let enabled: Bool
    private let slots: UnsafeMutablePointer<UInt64>

    init(pieceCount: Int) {
        enabled = pieceCount < Int(PieceIDMemo.none)
        let count = 1 << Int(PieceIDMemo.slotBits)
        guard let raw = calloc(count, MemoryLayout<UInt64>.stride) else {
            fatalError("cannot allocate \(count * 8) bytes for a piece-id memo")
        }
        slots = raw.bindMemory(to: UInt64.self, capacity: count)
    }

    deinit { free(slots) }

    /// The id memoized for `key` (below 2^42), else `lookUp()`'s, remembered.
    @inline(__always)
    func id(forKey key: UInt64, lookUp: () -> Rank) -> Rank {
        let slot = slots + Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> (64 - PieceIDMemo.slotBits))
        let held = ~slot.pointee
        if held >> 21 == key {
            let id = held & PieceIDMemo.none
            return id == PieceIDMemo.none ? RankTable.none : Rank(truncatingIfNeeded: id)
        }
        let id = lookUp()
        slot.pointee = ~(key << 21 | (id == RankTable.none ? PieceIDMemo.none : UInt64(id)))
        return id
    }
}
