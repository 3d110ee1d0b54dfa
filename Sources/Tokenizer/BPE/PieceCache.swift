import Foundation

/// Remembers the tokens of pieces that needed merging, keyed by the XXH3 of their bytes.
///
/// On the corpus only 8.5 % of o200k pieces are distinct, and 21.5 % are not one vocabulary entry,
/// so most merges repeat: a hit costs one probe and a `memcmp` where a merge costs several rank
/// lookups. Bytes are compared on a hit, so a hash collision can never change a result.
/// Bounded: when an arena or the table fills, everything is dropped and refilled.
///
/// Storage is allocated once, flat, and written through pointers: on cold text nearly every merged
/// piece is inserted once and never read again, and the two `Array.append(contentsOf:)` calls of
/// the array version cost ~230 instructions per insert (3.6M of 120M on 0.9 MB of held-out text,
/// callgrind). The arenas are `malloc`ed, not zeroed: pages are touched only as they fill.
final class PieceCache {
    /// Pieces longer than this are merged every time: rare, and they would crowd the arena. (48
    /// bytes merged the 3.9k longer pieces of the held-out corpus again on every pass: 6.3M of the
    /// 120M instructions of a pass that had seen them all; Thai and Hindi words run that long.)
    static let maxPieceBytes = 256
    /// 2^17 slots at most half full: 64k pieces. It holds pieces of more than 16 bytes (whole,
    /// `Encoder.appendTokensOfLongPiece`, and their long segments) and the tokens of short pieces
    /// with more than 3 (the memo keeps only their count); not other short pieces. With
    /// 2^15 slots (16k pieces) the held-out corpus, 35k distinct merged pieces, emptied it several
    /// times a pass: with long pieces cached whole, a pass that had seen every piece took 750M
    /// instructions per 5 passes instead of 685M (callgrind).
    private static let capacity = 1 << 17
    private static let maxEntries = capacity / 2
    /// Bytes and tokens alike: a piece has at most as many tokens as bytes.
    private static let maxArenaBytes = 4 << 20

    private let hashes: UnsafeMutablePointer<UInt64>
    /// Entry index + 1 per slot; 0 is empty.
    private let slots: UnsafeMutablePointer<UInt32>
    /// Entry i's bytes are `bytes[byteStarts[i] ..< byteStarts[i + 1]]`, its tokens likewise.
    private let byteStarts: UnsafeMutablePointer<UInt32>
    private let tokenStarts: UnsafeMutablePointer<UInt32>
    private let bytes: UnsafeMutablePointer<UInt8>
    private let tokens: UnsafeMutablePointer<Rank>
    @exclusivity(unchecked) private var entries = 0

    init() {
        hashes = .allocate(capacity: PieceCache.capacity)
        slots = .allocate(capacity: PieceCache.capacity)
        slots.initialize(repeating: 0, count: PieceCache.capacity)
        byteStarts = .allocate(capacity: PieceCache.maxEntries + 1)
        tokenStarts = .allocate(capacity: PieceCache.maxEntries + 1)
        byteStarts[0] = 0
        tokenStarts[0] = 0
        bytes = .allocate(capacity: PieceCache.maxArenaBytes)
        tokens = .allocate(capacity: PieceCache.maxArenaBytes)
    }

    deinit {
        hashes.deallocate()
        slots.deallocate()
        byteStarts.deallocate()
        tokenStarts.deallocate()
        bytes.deallocate()
        tokens.deallocate()
    }

    /// The cached tokens of `piece`, as a range for `appendTokens`, or nil.
    @inline(__always)
    func lookup(_ piece: UnsafeRawBufferPointer, hash: UInt64) -> Range<Int>? {
        var slot = Int(truncatingIfNeeded: hash) & (PieceCache.capacity - 1)
        while true {
            let entry = Int(slots[slot])
            if entry == 0 { return nil }
            if hashes[slot] == hash {
                let index = entry - 1
                let start = Int(byteStarts[index]), end = Int(byteStarts[index + 1])
                if end - start == piece.count, memcmp(bytes + start, piece.baseAddress!, piece.count) == 0 {
                    return Int(tokenStarts[index]) ..< Int(tokenStarts[index + 1])
                }
            }
            slot = (slot &+ 1) & (PieceCache.capacity - 1)
        }
    }

    /// Appends the cached tokens in `range` to `output`.
    @inline(__always)
    func appendTokens(_ range: Range<Int>, to output: inout [Rank]) {
        output.append(contentsOf: UnsafeBufferPointer(start: tokens + range.lowerBound, count: range.count))
    }

    /// Remembers `output[first...]`, the tokens just appended, for `piece`.
    ///
    /// Read through a pointer, not handed over as `output[first...]`: the slice retained the
    /// array's buffer, and its release after the insert was a locked instruction waiting for the
    /// insert's stores to lines of the cache that are rarely in the core's caches — 2.8 % of the
    /// samples of 15 cold, polluted passes over the held-out corpus (perf), on ~20 instructions.
    func insert(_ piece: UnsafeRawBufferPointer, hash: UInt64, tokens output: [Rank], from first: Int) {
        guard piece.count <= PieceCache.maxPieceBytes else { return }
        let tokenCount = output.count - first
        if entries == PieceCache.maxEntries || Int(byteStarts[entries]) + piece.count > PieceCache.maxArenaBytes {
            clear()
        }
        var slot = Int(truncatingIfNeeded: hash) & (PieceCache.capacity - 1)
        while slots[slot] != 0 { slot = (slot &+ 1) & (PieceCache.capacity - 1) }
        hashes[slot] = hash
        slots[slot] = UInt32(entries + 1)
        let byteStart = Int(byteStarts[entries]), tokenStart = Int(tokenStarts[entries])
        UnsafeMutableRawPointer(bytes + byteStart).copyMemory(from: piece.baseAddress!, byteCount: piece.count)
        output.withUnsafeBufferPointer { (tokens + tokenStart).update(from: $0.baseAddress! + first, count: tokenCount) }
        byteStarts[entries + 1] = UInt32(byteStart + piece.count)
        tokenStarts[entries + 1] = UInt32(tokenStart + tokenCount)
        entries += 1
    }

    private func clear() {
        slots.update(repeating: 0, count: PieceCache.capacity)
        entries = 0
    }
}
