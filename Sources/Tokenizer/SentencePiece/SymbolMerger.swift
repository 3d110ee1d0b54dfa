/// SentencePiece's BPE over one segment of normalized text (`bpe_model.cc`, `Model::SampleEncode`
/// without dropout): start from one symbol per character; repeatedly merge the adjacent pair whose
/// concatenation is a piece with the highest score, the leftmost among equal scores; then emit each
/// symbol's id, resegmenting UNUSED pieces into the halves they were merged from and spelling
/// characters that are no piece as byte pieces (byte fallback).
///
/// SentencePiece keeps stale pairs in its heap and drops them on pop when a side is gone or its size
/// changed; a symbol only grows by absorbing its right neighbour, so a pair that passes that check
/// is still adjacent and so "best adjacent pair now" is the same rule. Short segments therefore use
/// a linear scan over small arrays, long ones (a line of Chinese with no space, 1 MB of one
/// character) a binary heap over a linked list, O(n log n).
struct SymbolMerger {
    /// Segments of up to this many characters use the linear scan (words average ~6 characters).
    static let linearScanLimit = 32

    private var starts: [Int32] = []
    private var ends: [Int32] = []
    private var ids: [Rank] = []
    // Heap path only.
    private var next: [Int32] = []
    private var previous: [Int32] = []
    private var heap: [HeapEntry] = []
    /// Halves of merged UNUSED pieces, by id: SentencePiece's `rev_merge` (last merge wins).
    private var unusedHalves: [Rank: (Int32, Int32, Int32)] = [:]
    /// The ids of characters, and of the pieces two symbols join into (`PieceIDMemo`).
    private let characters: PieceIDMemo
    private let joins: PieceIDMemo
    /// The linear scan's symbols, and the ids of the ASCII characters.
    private let scratch: Scratch

    init(vocabulary: SentencePieceVocabulary) {
        characters = PieceIDMemo(pieceCount: vocabulary.scores.count)
        joins = PieceIDMemo(pieceCount: vocabulary.scores.count)
        scratch = Scratch(vocabulary)
    }

    /// Memory a merger keeps: the linear scan's `linearScanLimit` symbols, allocated once, and a
    /// copy of `vocabulary.asciiIDs` read through a pointer (the vocabulary computes them once at
    /// load; no hash lookup per new encoder).
    private final class Scratch {
        let symbols = UnsafeMutablePointer<ScanSymbol>.allocate(capacity: SymbolMerger.linearScanLimit)
        let asciiIDs = UnsafeMutablePointer<Rank>.allocate(capacity: 0x80)

        init(_ vocabulary: SentencePieceVocabulary) {
            vocabulary.asciiIDs.withUnsafeBufferPointer { asciiIDs.initialize(from: $0.baseAddress!, count: 0x80) }
        }

        deinit {
            symbols.deallocate()
            asciiIDs.deallocate()
        }
    }

    /// The id of the character `segment[start ..< end]` (1–4 bytes): its bytes and length are
    /// the key.
    @inline(__always)
    private static func characterID(
        _ characters: PieceIDMemo, _ segment: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ vocabulary: SentencePieceVocabulary
    ) -> Rank {
        guard characters.enabled else { return vocabulary.id(of: segment, start, end) }
        let length = end - start
        var key = UInt64(length) << 32
        if start + 4 <= segment.count {
            // One load: the character's bytes, the rest masked off (little-endian: first byte lowest).
            let word = UInt32(littleEndian: segment.loadUnaligned(fromByteOffset: start, as: UInt32.self))
            key |= UInt64(word) & ((1 << (8 * UInt64(length))) - 1)
        } else {
            for offset in start ..< end { key |= UInt64(segment[offset]) << (8 * UInt64(offset - start)) }
        }
        return characters.id(forKey: key) { vocabulary.id(of: segment, start, end) }
    }

    /// The id of `segment[start ..< end]`, the concatenation of two symbols with ids `left` and
    /// `right`: memoized when both are pieces, else looked up. Static, with `joins` passed in: a
    /// method called from `mergeByScan`'s buffer closure captured `self`, copying the merger and
    /// retaining its arrays at every pair (+50 % instructions on mo-zh_CN.txt).
    @inline(__always)
    private static func joinedID(
        _ joins: PieceIDMemo, _ left: Rank, _ right: Rank, _ segment: UnsafeRawBufferPointer, _ start: Int, _ end: Int,
        _ vocabulary: SentencePieceVocabulary
    ) -> Rank {
        guard joins.enabled, left != RankTable.none, right != RankTable.none else { return vocabulary.id(of: segment, start, end) }
        return joins.id(forKey: UInt64(left) << 21 | UInt64(right)) { vocabulary.id(of: segment, start, end) }
    }

    private struct HeapEntry {
        /// Inverted orderable score in the upper half, left index in the lower: the smallest key is
        /// the highest score, leftmost first — SentencePiece's `SymbolPairComparator`.
        var key: UInt64
        var right: Int32
        var size: Int32
        var id: Rank
    }

    /// Appends the ids of `segment` to `output`.
    mutating func encode(_ segment: UnsafeRawBufferPointer, vocabulary: SentencePieceVocabulary, into output: inout [Rank]) {
        if vocabulary.hasUnusedPieces { unusedHalves.removeAll(keepingCapacity: true) }
        if let live = mergeShort(segment, vocabulary: vocabulary) {
            let symbols = scratch.symbols
            for index in 0 ..< live {
                emit(segment, Int(symbols[index].start), Int(symbols[index].end), symbols[index].id, vocabulary, into: &output)
            }
            return
        }
        mergeByHeap(segment, vocabulary: vocabulary)
        var index: Int32 = 0
        while index >= 0 {
            emit(segment, Int(starts[Int(index)]), Int(ends[Int(index)]), ids[Int(index)], vocabulary, into: &output)
            index = next[Int(index)]
        }
    }

    /// Merges a segment of at most `linearScanLimit` characters (so at most 4 bytes each) by the
    /// linear scan and returns how many symbols remain at the front of `scratch.symbols`; nil for a
    /// longer one (nothing merged). Its symbols built in one pass into the kept scratch: built
    /// through `starts`, `ends`, `ids` and a symbol array, four arrays emptied and appended to per
    /// segment, that was ~30 % of the instructions of a cold mo-zh_CN.txt.
    @inline(__always)
    private mutating func mergeShort(_ segment: UnsafeRawBufferPointer, vocabulary: SentencePieceVocabulary) -> Int? {
        guard segment.count <= 4 * SymbolMerger.linearScanLimit else { return nil }
        let symbols = scratch.symbols
        var count = 0, position = 0
        let asciiIDs = scratch.asciiIDs
        while position < segment.count && count < SymbolMerger.linearScanLimit {
            // ASCII without `utf8Length` and the memo (gemma3 cold held-out 382.1M → 352.2M
            // instructions; the same test inside `characterID`, after the length: 366.8M).
            let lead = segment[position]
            let end: Int, id: Rank
            if lead < 0x80 {
                end = position + 1
                id = asciiIDs[Int(lead)]
            } else {
                end = min(position + utf8Length(lead), segment.count)
                id = SymbolMerger.characterID(characters, segment, position, end, vocabulary)
            }
            symbols[count] = ScanSymbol(start: Int32(position), end: Int32(end), id: id, pairID: RankTable.none, pairScore: 0)
            count += 1
            position = end
        }
        guard position == segment.count else { return nil }
        return mergeByScan(symbols, count, segment, vocabulary: vocabulary)
    }

    /// Calls `body` with the start, end and id of each symbol `segment` merges into, in order: the
    /// merge's own symbols, before `emit` resegments UNUSED pieces and spells unknown characters as
    /// bytes (id `RankTable.none`). For a streamed turn's open segment, which needs where its symbols
    /// meet (`SentencePieceEncoder+OpenSegment.swift`).
    mutating func forEachSymbol(
        of segment: UnsafeRawBufferPointer, vocabulary: SentencePieceVocabulary, _ body: (_ start: Int, _ end: Int, _ id: Rank) -> Void
    ) {
        guard !segment.isEmpty else { return }
        if vocabulary.hasUnusedPieces { unusedHalves.removeAll(keepingCapacity: true) }
        if let live = mergeShort(segment, vocabulary: vocabulary) {
            let symbols = scratch.symbols
            for index in 0 ..< live { body(Int(symbols[index].start), Int(symbols[index].end), symbols[index].id) }
            return
        }
        mergeByHeap(segment, vocabulary: vocabulary)
        var index: Int32 = 0
        while index >= 0 {
            body(Int(starts[Int(index)]), Int(ends[Int(index)]), ids[Int(index)])
            index = next[Int(index)]
        }
    }

    // MARK: - Linear scan

    /// One symbol and the pair it forms with the next one, in one array so that a merge shifts one
    /// contiguous block (no `Array.remove(at:)`, no allocation per merge).
    struct ScanSymbol {
        var start: Int32
        var end: Int32
        var id: Rank
        var pairID: Rank
        var pairScore: Float
    }

    /// Merges `symbols` in place and returns how many remain (at the front).
    private mutating func mergeByScan(
        _ symbols: UnsafeMutablePointer<ScanSymbol>, _ symbolCount: Int, _ segment: UnsafeRawBufferPointer, vocabulary: SentencePieceVocabulary
    ) -> Int {
        var halves: [(Rank, (Int32, Int32, Int32))] = []
        let live = SymbolMerger.mergeByScan(symbols, symbolCount, segment, vocabulary, joins, &halves)
        for (id, half) in halves { unusedHalves[id] = half }  // in merge order: the last one wins
        return live
    }

    /// `mergeByScan`'s loop, static: nothing in it touches the merger's arrays (a closure that
    /// captured `self` copied the merger, retaining its arrays, at every segment).
    private static func mergeByScan(
        _ symbols: UnsafeMutablePointer<ScanSymbol>, _ symbolCount: Int, _ segment: UnsafeRawBufferPointer,
        _ vocabulary: SentencePieceVocabulary, _ joins: PieceIDMemo, _ halves: inout [(Rank, (Int32, Int32, Int32))]
    ) -> Int {
        var count = symbolCount
        @inline(__always) func formPair(_ index: Int) {
            let id = joinedID(joins, symbols[index].id, symbols[index + 1].id, segment, Int(symbols[index].start), Int(symbols[index + 1].end), vocabulary)
            symbols[index].pairID = id
            symbols[index].pairScore = id == RankTable.none ? 0 : vocabulary.scores[Int(id)]
        }
        for index in 0 ..< max(0, count - 1) { formPair(index) }
        while true {
            var best = -1
            var bestScore = -Float.infinity
            var index = 0
            while index < count - 1 {
                if symbols[index].pairID != RankTable.none && (best < 0 || symbols[index].pairScore > bestScore) {
                    best = index
                    bestScore = symbols[index].pairScore
                }
                index += 1
            }
            guard best >= 0 else { return count }
            let merged = symbols[best].pairID
            if vocabulary.isUnused(merged) {
                halves.append((merged, (symbols[best].start, symbols[best].end, symbols[best + 1].end)))
            }
            symbols[best].end = symbols[best + 1].end
            symbols[best].id = merged
            let moved = count - best - 2
            if moved > 0 { (symbols + best + 1).update(from: symbols + best + 2, count: moved) }
            count -= 1
            if best + 1 < count {
                formPair(best)
            } else {
                symbols[best].pairID = RankTable.none
            }
            if best > 0 { formPair(best - 1) }
        }
    }

    // MARK: - Heap

    /// Merges `segment` (not empty) from one symbol per character; the symbols are left in `starts`,
    /// `ends` and `ids`, linked through `next` from index 0.
    private mutating func mergeByHeap(_ segment: UnsafeRawBufferPointer, vocabulary: SentencePieceVocabulary) {
        starts.removeAll(keepingCapacity: true)
        var position = 0
        while position < segment.count {
            starts.append(Int32(position))
            position += utf8Length(segment[position])
        }
        let count = starts.count
        ends.removeAll(keepingCapacity: true)
        for index in 0 ..< count { ends.append(index + 1 < count ? starts[index + 1] : Int32(segment.count)) }
        ids.removeAll(keepingCapacity: true)
        for index in 0 ..< count { ids.append(SymbolMerger.characterID(characters, segment, Int(starts[index]), Int(ends[index]), vocabulary)) }
        next.removeAll(keepingCapacity: true)
        previous.removeAll(keepingCapacity: true)
        for index in 0 ..< count {
            previous.append(Int32(index - 1))
            next.append(index + 1 < count ? Int32(index + 1) : -1)
        }
        heap.removeAll(keepingCapacity: true)
        for index in 1 ..< count { push(left: Int32(index - 1), right: Int32(index), segment, vocabulary) }
        while let top = pop() {
            let left = Int(top.key & 0xFFFF_FFFF), right = Int(top.right)
            let leftSize = ends[left] - starts[left], rightSize = ends[right] - starts[right]
            // Stale: a side was absorbed (empty) or grew since the pair was pushed.
            guard leftSize > 0, rightSize > 0, leftSize + rightSize == top.size else { continue }
            if vocabulary.isUnused(top.id) { unusedHalves[top.id] = (starts[left], ends[left], ends[right]) }
            ends[left] = ends[right]
            ids[left] = top.id
            ends[right] = starts[right]  // empty: absorbed
            next[left] = next[right]
            if next[right] >= 0 { previous[Int(next[right])] = Int32(left) }
            if previous[left] >= 0 { push(left: previous[left], right: Int32(left), segment, vocabulary) }
            if next[left] >= 0 { push(left: Int32(left), right: next[left], segment, vocabulary) }
        }
    }

    private mutating func push(left: Int32, right: Int32, _ segment: UnsafeRawBufferPointer, _ vocabulary: SentencePieceVocabulary) {
        let id = SymbolMerger.joinedID(joins, ids[Int(left)], ids[Int(right)], segment, Int(starts[Int(left)]), Int(ends[Int(right)]), vocabulary)
        guard id != RankTable.none else { return }
        let bits = vocabulary.scores[Int(id)].bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        let entry = HeapEntry(
            key: UInt64(~ascending) << 32 | UInt64(UInt32(left)), right: right,
            size: ends[Int(right)] - starts[Int(left)], id: id)
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].key < heap[parent].key else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func pop() -> HeapEntry? {
        guard let last = heap.popLast() else { return nil }
        guard !heap.isEmpty else { return last }
        let top = heap[0]
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].key < heap[smallest].key { smallest = left }
            if right < heap.count, heap[right].key < heap[smallest].key { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return top
    }

    // MARK: - Output

    private func emit(
        _ segment: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ id: Rank, _ vocabulary: SentencePieceVocabulary,
        into output: inout [Rank]
    ) {
        if id == RankTable.none {
            for offset in start ..< end { output.append(vocabulary.byteIDs[Int(segment[offset])]) }
        } else if vocabulary.isUnused(id), let (leftStart, middle, rightEnd) = unusedHalves[id] {
            // SentencePiece keys `rev_merge` by the piece's text; the recorded halves have that text
            // wherever in the segment they were merged.
            let (leftStart, middle, rightEnd) = (Int(leftStart), Int(middle), Int(rightEnd))
            emit(segment, leftStart, middle, vocabulary.id(of: segment, leftStart, middle), vocabulary, into: &output)
            emit(segment, middle, rightEnd, vocabulary.id(of: segment, middle, rightEnd), vocabulary, into: &output)
        } else {
            output.append(id)
        }
    }
}

/// The byte length of the UTF-8 sequence that starts with `lead`, as SentencePiece's `OneCharLen`.
@inline(__always)
func utf8Length(_ lead: UInt8) -> Int {
    switch lead >> 4 {
    case 0xC, 0xD: return 2
    case 0xE: return 3
    case 0xF: return 4
    default: return 1
    }
}
