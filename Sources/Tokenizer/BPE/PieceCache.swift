import Foundation

/// Remembers the tokens of pieces that needed merging, keyed by the XXH3 of their bytes.
///
/// On the corpus only 8.5 % of o200k pieces are distinct, and 21.5 % are not one vocabulary entry,
/// so most merges repeat: a hit costs one probe and a `memcmp` where a merge costs several rank
/// lookups. Bytes are compared on a hit, so a hash collision can never change a result.
/// Bounded: when an arena or the table fills, everything is dropped and refilled.
struct PieceCache {
    /// Pieces longer than this are merged every time: rare, and they would crowd the arena.
    static let maxPieceBytes = 48
    /// 2^15 slots at most half full: 16k multi-token pieces. It sits behind `ShortPieceMemo` (which
    /// holds the short pieces) and `CharacterCuts` (which turns long CJK pieces into short
    /// segments); 2^16–2^18 slots measured no faster on the corpus (docs/tokenizer.md).
    private static let capacity = 1 << 15
    private static let maxEntries = capacity / 2
    private static let maxArenaBytes = 4 << 20

    private var hashes = [UInt64](repeating: 0, count: capacity)
    /// Entry index + 1 per slot; 0 is empty.
    private var slots = [UInt32](repeating: 0, count: capacity)
    private var byteStarts: [UInt32] = []
    private var tokenStarts: [UInt32] = []
    private var bytes: [UInt8] = []
    private var tokens: [Rank] = []

    init() {
        byteStarts.reserveCapacity(PieceCache.maxEntries + 1)
        tokenStarts.reserveCapacity(PieceCache.maxEntries + 1)
        byteStarts.append(0)
        tokenStarts.append(0)
    }

    /// The cached tokens of `piece`, as a range into `tokens(in:)`, or nil.
    @inline(__always)
    func lookup(_ piece: UnsafeRawBufferPointer, hash: UInt64) -> Range<Int>? {
        var slot = Int(truncatingIfNeeded: hash) & (PieceCache.capacity - 1)
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if hashes[slot] == hash {
                let index = entry - 1
                let start = Int(byteStarts[index]), end = Int(byteStarts[index + 1])
                if end - start == piece.count,
                    bytes.withUnsafeBytes({ memcmp($0.baseAddress! + start, piece.baseAddress!, piece.count) }) == 0
                {
                    return Int(tokenStarts[index]) ..< Int(tokenStarts[index + 1])
                }
            }
            slot = (slot &+ 1) & (PieceCache.capacity - 1)
        }
    }

    /// Appends the cached tokens in `range` to `output`.
    @inline(__always)
    func appendTokens(_ range: Range<Int>, to output: inout [Rank]) {
        output.append(contentsOf: tokens[range])
    }

    /// Remembers `pieceTokens` for `piece`.
    mutating func insert(_ piece: UnsafeRawBufferPointer, hash: UInt64, tokens pieceTokens: ArraySlice<Rank>) {
        guard piece.count <= PieceCache.maxPieceBytes else { return }
        if byteStarts.count > PieceCache.maxEntries || bytes.count + piece.count > PieceCache.maxArenaBytes {
            clear()
        }
        var slot = Int(truncatingIfNeeded: hash) & (PieceCache.capacity - 1)
        while slots[slot] != 0 { slot = (slot &+ 1) & (PieceCache.capacity - 1) }
        hashes[slot] = hash
        slots[slot] = UInt32(byteStarts.count)
        bytes.append(contentsOf: piece)
        tokens.append(contentsOf: pieceTokens)
        byteStarts.append(UInt32(bytes.count))
        tokenStarts.append(UInt32(tokens.count))
    }

    private mutating func clear() {
        for index in slots.indices { slots[index] = 0 }
        byteStarts.removeAll(keepingCapacity: true)
        tokenStarts.removeAll(keepingCapacity: true)
        bytes.removeAll(keepingCapacity: true)
        tokens.removeAll(keepingCapacity: true)
        byteStarts.append(0)
        tokenStarts.append(0)
    }
}
