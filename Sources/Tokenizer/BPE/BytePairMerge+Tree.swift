/// The merge loop for long pieces (over `linearScanLimit` parts): the pairs' keys in a tournament
/// tree, so the lowest pair is the root and a merge rewrites three leaves.
///
/// A pair's key is `rank << 32 | position`, so the root is the lowest rank and, among equal ranks,
/// the leftmost pair — tiktoken's choice. A merge sets the absorbed part's leaf to `none` and
/// re-keys the merged part and its left neighbour, each a walk up of at most log2(n) levels that
/// stops where a parent keeps its minimum. This replaced a binary heap of such keys with stale
/// entries skipped on pop: a run of equal ranks (spaces) pushed two entries per merge and popped
/// each through nine levels of bounds-checked array, ~830 instructions a byte on 300 spaces — 47 %
/// of `serve`'s time on a streamed 160 KB run of spaces, whose open piece merges ~300 bytes a chunk.
extension BytePairMerger {
    mutating func mergeByTree(
        _ piece: UnsafeRawBufferPointer, table: RankTable, pairs: PairTable, into output: inout [Rank]
    ) {
        let count = piece.count
        if count <= 1 {
            if count == 1 { output.append(table.byteRanks[Int(piece[0])]) }
            return
        }
        var leaves = 1
        while leaves < count { leaves <<= 1 }
        // Scratch kept between pieces, taken out of `self` while its buffers are in use.
        var tree = self.tree, links = self.links, tokens = self.tokens
        self.tree = []
        self.links = []
        self.tokens = []
        defer {
            self.tree = tree
            self.links = links
            self.tokens = tokens
        }
        if tree.count < 2 * leaves { tree = [UInt64](repeating: 0, count: 2 * leaves) }
        if links.count < 2 * count { links = [Int32](repeating: 0, count: 2 * count) }
        if tokens.count < count { tokens = [Rank](repeating: 0, count: count) }
        let none = UInt64.max
        tree.withUnsafeMutableBufferPointer { tree in
            links.withUnsafeMutableBufferPointer { links in
                tokens.withUnsafeMutableBufferPointer { tokens in
                    let tree = tree.baseAddress!, tokens = tokens.baseAddress!
                    let next = links.baseAddress!, previous = next + count
                    @inline(__always) func key(_ rank: Rank, _ position: Int) -> UInt64 {
                        rank == RankTable.none ? none : UInt64(rank) << 32 | UInt64(position)
                    }
                    @inline(__always) func set(_ position: Int, _ key: UInt64) {
                        var node = leaves &+ position
                        tree[node] = key
                        while node > 1 {
                            node &>>= 1
                            let lowest = min(tree[node &<< 1], tree[node &<< 1 &+ 1])
                            if tree[node] == lowest { break }
                            tree[node] = lowest
                        }
                    }
                    for index in 0 ..< count {
                        tokens[index] = table.byteRanks[Int(piece[index])]
                        next[index] = Int32(truncatingIfNeeded: index &+ 1)
                        previous[index] = Int32(truncatingIfNeeded: index &- 1)
                    }
                    for index in 0 ..< count &- 1 {
                        tree[leaves &+ index] = key(table.bytePairRanks[Int(piece[index]) << 8 | Int(piece[index &+ 1])], index)
                    }
                    for index in count &- 1 ..< leaves { tree[leaves &+ index] = none }
                    var node = leaves &- 1
                    while node >= 1 {
                        tree[node] = min(tree[node &<< 1], tree[node &<< 1 &+ 1])
                        node &-= 1
                    }
                    while tree[1] != none {
                        let best = tree[1]
                        // Part `start` absorbs the next live part and becomes the token `merged`.
                        let start = Int(best & 0xFFFF_FFFF)
                        let merged = Rank(truncatingIfNeeded: best >> 32)
                        let absorbed = Int(next[start])
                        let after = Int(next[absorbed])
                        tokens[start] = merged
                        set(absorbed, none)
                        next[start] = Int32(truncatingIfNeeded: after)
                        if after < count {
                            previous[after] = Int32(truncatingIfNeeded: start)
                            set(start, key(pairs.merged(merged, tokens[after]), start))
                        } else {
                            set(start, none)
                        }
                        let before = Int(previous[start])
                        if before >= 0 { set(before, key(pairs.merged(tokens[before], merged), before)) }
                    }
                    var part = 0
                    while part < count {
                        output.append(tokens[part])
                        part = Int(next[part])
                    }
                }
            }
        }
    }
}
