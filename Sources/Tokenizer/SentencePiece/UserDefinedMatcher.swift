/// Longest-prefix matching of SentencePiece's user-defined pieces (Gemma: `\n` runs, `▁▁`…, tab
/// runs, `<start_of_turn>`, HTML tags, `<unusedN>`: 6,410 of them), as SentencePiece's
/// `PrefixMatcher` does before BPE: a match becomes one frozen symbol that never merges.
///
/// A byte trie whose edges sit in one open-addressing table keyed by `node << 8 | byte`; a first-byte
/// filter answers the common case (a letter) with one array read.
struct UserDefinedMatcher: Sendable {
    private var firstBytes = [Bool](repeating: false, count: 256)
    /// Edge table: `node << 8 | byte` + 1 per slot (0 = empty), and the child node it leads to.
    private var keys: [UInt64] = []
    private var children: [UInt32] = []
    private var mask = 0
    /// The piece id ending at each node, or `Rank.max`.
    private var terminals: [Rank] = [RankTable.none]
    /// The longest piece's length in bytes (Gemma 3 and 4: 93, a run of 31 U+2581): `longestMatch`
    /// never reads further than this from where it starts, and `mayGrow` is false further back.
    private(set) var longestPiece = 0

    init(_ pieces: [(bytes: [UInt8], id: Rank)]) {
        var edges: [(key: UInt64, child: UInt32)] = []
        var edgeIndex: [UInt64: UInt32] = [:]
        for piece in pieces {
            firstBytes[Int(piece.bytes[0])] = true
            longestPiece = max(longestPiece, piece.bytes.count)
            var node: UInt32 = 0
            for byte in piece.bytes {
                let key = UInt64(node) << 8 | UInt64(byte)
                if let child = edgeIndex[key] {
                    node = child
                } else {
                    let child = UInt32(terminals.count)
                    terminals.append(RankTable.none)
                    edgeIndex[key] = child
                    edges.append((key, child))
                    node = child
                }
            }
            terminals[Int(node)] = piece.id
        }
        var capacity = 16
        while capacity < edges.count * 4 { capacity <<= 1 }
        mask = capacity - 1
        keys = [UInt64](repeating: 0, count: capacity)
        children = [UInt32](repeating: 0, count: capacity)
        for edge in edges {
            var slot = Self.slot(edge.key, mask)
            while keys[slot] != 0 { slot = (slot &+ 1) & mask }
            keys[slot] = edge.key &+ 1
            children[slot] = edge.child
        }
    }

    @inline(__always)
    private static func slot(_ key: UInt64, _ mask: Int) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Whether any user-defined piece starts with `byte`.
    @inline(__always)
    func mayStart(with byte: UInt8) -> Bool { firstBytes[Int(byte)] }

    /// The longest user-defined piece at `text[start...]`: its length in bytes and id, or nil.
    func longestMatch(in text: UnsafeBufferPointer<UInt8>, from start: Int) -> (length: Int, id: Rank)? {
        var node: UInt32 = 0
        var best: (Int, Rank)? = nil
        var position = start
        while position < text.count, let child = child(of: node, text[position]) {
            node = child
            position += 1
            if terminals[Int(node)] != RankTable.none { best = (position - start, terminals[Int(node)]) }
        }
        return best
    }

    /// Whether all of `text[start...]` is the beginning of some piece, so that the longest match at
    /// `start` may change when text is appended (otherwise a byte before the end decided it).
    func mayGrow(in text: UnsafeBufferPointer<UInt8>, from start: Int) -> Bool {
        var node: UInt32 = 0
        for position in start ..< text.count {
            guard let child = child(of: node, text[position]) else { return false }
            node = child
        }
        return true
    }

    /// The first position of `text` at which all the rest is the beginning of some piece (see
    /// `mayGrow`), or its length when there is none. Only the last `longestPiece` bytes can be.
    func firstOpenPosition(in text: UnsafeBufferPointer<UInt8>) -> Int {
        // The filter read through one pointer: through the array, each position was a bounds check
        // and the caller's copy of the matcher retained and released its four arrays (~440
        // instructions a call, 12 % of a streamed Gemma chunk, callgrind).
        firstBytes.withUnsafeBufferPointer { firstBytes in
            for position in max(0, text.count - longestPiece) ..< text.count
            where firstBytes[Int(text[position])] && mayGrow(in: text, from: position) {
                return position
            }
            return text.count
        }
    }

    /// The node that `byte` leads to from `node`, or nil.
    @inline(__always)
    private func child(of node: UInt32, _ byte: UInt8) -> UInt32? {
        let key = UInt64(node) << 8 | UInt64(byte)
        var slot = Self.slot(key, mask)
        while keys[slot] != 0 {
            if keys[slot] == key &+ 1 { return children[slot] }
            slot = (slot &+ 1) & mask
        }
        return nil
    }
}
