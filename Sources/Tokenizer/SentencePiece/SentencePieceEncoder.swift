import Foundation

/// The per-thread half of a `SentencePieceEncoding`: normalization buffer, merge scratch and the
/// segment cache. Not thread-safe; `SentencePieceEncoding` lends one per call from a pool, or
/// `makeEncoder()` gives one for a thread's own use.
///
/// SentencePiece runs BPE over the whole text as one symbol sequence. Two kinds of boundary can never
/// be crossed by a merge, so the text is cut there into segments that merge independently (merges
/// inside one segment happen in the same relative order, so the ids are the same):
/// - around user-defined pieces (Gemma: `\n`, space and tab runs, tags): frozen, they never merge;
/// - before a U+2581 (an escaped space) unless the byte before it is one that some piece holds right
///   before an inner U+2581 (`SentencePieceVocabulary.spaceJoins`).
/// Segments are mostly words and repeat, so their ids are cached by XXH3 like tiktoken pieces.
public final class SentencePieceEncoder {
    let vocabulary: SentencePieceVocabulary
    /// The normalized text is its first `normalizedCount` bytes; the rest is room kept from longer
    /// texts (never shrunk, never zeroed again).
    private var normalizedRoom: [UInt8] = []
    private(set) var normalizedCount = 0
    var merger: SymbolMerger
    private let cache = PieceCache()
    private var scratch: [Rank] = []

    init(vocabulary: SentencePieceVocabulary) {
        self.vocabulary = vocabulary
        self.merger = SymbolMerger(vocabulary: vocabulary)
    }

    /// Appends the ids of `text` to `output`.
    public func encode(_ text: UnsafeBufferPointer<UInt8>, into output: inout [Rank]) {
        normalize(text)
        forEachSegment { _, segment, frozen in
            if frozen != RankTable.none {
                output.append(frozen)
            } else {
                appendSegment(segment, into: &output)
            }
            return true
        }
    }

    /// The number of ids of `text`, or nil as soon as it exceeds `limit`.
    public func count(_ text: UnsafeBufferPointer<UInt8>, limit: Int = .max) -> Int? {
        normalize(text)
        var total = 0
        let complete = forEachSegment { _, segment, frozen in
            total += count(segment, frozen)
            return total <= limit
        }
        return complete ? total : nil
    }

    /// The number of ids of one segment, or 1 for a user-defined piece.
    func count(_ segment: UnsafeRawBufferPointer, _ frozen: Rank) -> Int {
        guard frozen == RankTable.none else { return 1 }
        let hash = xxh3(segment)
        // A cached segment's count is the length of its ids' range: nothing is copied.
        if let cached = cache.lookup(segment, hash: hash) { return cached.count }
        scratch.removeAll(keepingCapacity: true)
        merge(segment, hash: hash, into: &scratch)
        return scratch.count
    }

    private func appendSegment(_ segment: UnsafeRawBufferPointer, into output: inout [Rank]) {
        let hash = xxh3(segment)
        if let cached = cache.lookup(segment, hash: hash) {
            cache.appendTokens(cached, to: &output)
            return
        }
        merge(segment, hash: hash, into: &output)
    }

    /// Appends the ids of `segment`, which is not in the cache, to `output`, and caches them.
    private func merge(_ segment: UnsafeRawBufferPointer, hash: UInt64, into output: inout [Rank]) {
        let first = output.count
        merger.encode(segment, vocabulary: vocabulary, into: &output)
        cache.insert(segment, hash: hash, tokens: output, from: first)
    }

    /// Normalizes `text` into `normalized` (identity, spaces escaped as U+2581).
    func normalize(_ text: UnsafeBufferPointer<UInt8>) {
        // Filled as a local and put back: appending to the stored property checks exclusivity at
        // every byte. Written through a pointer into room for the worst case (every byte a space,
        // 3 bytes): `append` per byte was 15 instructions a byte, 8 % of a cold pass over
        // mo-zh_CN.txt (callgrind). The room is kept: growing it with zeros and cutting it back to
        // length at every call was ~300 instructions of a streamed chunk's ~4,000.
        var room = normalizedRoom
        normalizedRoom = []
        if room.count < 3 * text.count { room.append(contentsOf: repeatElement(0, count: 3 * text.count - room.count)) }
        let space = SentencePieceVocabulary.space
        let (space0, space1, space2) = (space[0], space[1], space[2])
        normalizedCount = room.withUnsafeMutableBufferPointer { out -> Int in
            guard let out = out.baseAddress else { return 0 }
            var length = 0
            for byte in text {
                if byte == 0x20 {
                    out[length] = space0
                    out[length &+ 1] = space1
                    out[length &+ 2] = space2
                    length &+= 3
                } else {
                    out[length] = byte
                    length &+= 1
                }
            }
            return length
        }
        normalizedRoom = room
    }

    /// Calls `body` with the normalized text.
    func withNormalized<Result>(_ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
        let count = normalizedCount
        return try normalizedRoom.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[..<count])) }
    }

    /// Calls `body` with the offset in `normalized`, bytes and `RankTable.none` of each segment of
    /// `normalized`, or with those of a user-defined piece and its id; stops when `body` returns false,
    /// and then returns false.
    @discardableResult
    func forEachSegment(_ body: (Int, UnsafeRawBufferPointer, Rank) -> Bool) -> Bool {
        let vocabulary = self.vocabulary
        return withNormalized { bytes in
            let raw = UnsafeRawBufferPointer(bytes)
            func emit(_ start: Int, _ end: Int, _ id: Rank) -> Bool {
                body(start, UnsafeRawBufferPointer(rebasing: raw[start ..< end]), id)
            }
            var segmentStart = 0
            var position = 0
            while position < bytes.count {
                let byte = bytes[position]
                if vocabulary.userDefined.mayStart(with: byte),
                    let (length, id) = vocabulary.userDefined.longestMatch(in: bytes, from: position)
                {
                    if position > segmentStart, !emit(segmentStart, position, RankTable.none) { return false }
                    if !emit(position, position + length, id) { return false }
                    position += length
                    segmentStart = position
                    continue
                }
                if byte == 0xE2, position > segmentStart, position + 2 < bytes.count, bytes[position + 1] == 0x96,
                    bytes[position + 2] == 0x81, !vocabulary.spaceJoins[Int(bytes[position - 1])]
                {
                    if !emit(segmentStart, position, RankTable.none) { return false }
                    segmentStart = position
                }
                position += utf8Length(byte)
            }
            if position > segmentStart {
                return emit(segmentStart, bytes.count, RankTable.none)
            }
            return true
        }
    }
}
