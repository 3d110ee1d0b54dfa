/// The merge loop for pieces of many parts: parts keep their positions, and the lowest pair is the
/// minimum of 32-bit keys found eight at a time.
///
/// The linear scan of `mergeByScan` finds the lowest rank with a compare and two conditional moves
/// per part and then shifts the parts after the merge down one: for a Thai or Devanagari word of
/// 40 characters that is ~40 compares and ~20 moves per merge, ~40 merges — O(n²) with a large
/// constant, most of the cold instructions of mo-th.txt (merging was 58 % of them, callgrind).
/// Here a pair's key is `rank << 8 | position`: its minimum is the lowest rank and, among equal
/// ranks, the leftmost pair, the same choice as tiktoken's; a merged-away part's key is `none`
/// (`Int32.max`), and its neighbours are found through links, so nothing moves.
extension BytePairMerger {
    /// Pieces with more parts than this take the keyed loop; below it the scan's constant is lower.
    static let keyedMergeMinParts = 16
    /// Positions are 8 bits and 255 marks "no part before": `merge` never scans more than 192 parts
    /// (`atomScanLimit` bytes), a direct call with more takes the scan.
    static let keyedMergeMaxParts = 254

    /// Finishes a merge started by `mergeByScan`: `parts[0 ..< live]` hold each part's id (low half)
    /// and the rank it merges into with the next part (high half; `RankTable.none` when none).
    /// Appends the final ids to `output`. `live` must be at most `keyedMergeMaxParts`.
    static func mergeByKeys(
        _ parts: UnsafeMutablePointer<UInt64>, live: Int, pairs: PairTable, into output: inout [Rank]
    ) {
        // Signed: x86-64's baseline SSE2 has a signed 32-bit compare, the unsigned one costs two more
        // instructions a lane group (ranks fit in 21 bits, so a key is below 2^29).
        let none = Int32.max
        // Keys padded with `none` to whole lanes of 8: every lane load is in bounds.
        let lanes = (live &+ 7) >> 3
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: lanes << 3) { keyBuffer in
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: live) { idBuffer in
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 2 &* live) { linkBuffer in
                    let keys = keyBuffer.baseAddress!, ids = idBuffer.baseAddress!
                    let next = linkBuffer.baseAddress!, previous = next + live
                    @inline(__always) func key(_ rank: Rank, _ position: Int) -> Int32 {
                        rank == RankTable.none ? none : Int32(truncatingIfNeeded: rank << 8 | UInt32(truncatingIfNeeded: position))
                    }
                    for index in 0 ..< live {
                        ids[index] = UInt32(truncatingIfNeeded: parts[index])
                        keys[index] = key(Rank(truncatingIfNeeded: parts[index] >> 32), index)
                        next[index] = UInt8(truncatingIfNeeded: index &+ 1)
                        previous[index] = UInt8(truncatingIfNeeded: index &- 1)  // 255 for the first
                    }
                    for index in live ..< lanes << 3 { keys[index] = none }
                    let raw = UnsafeRawPointer(keys)
                    while true {
                        var lowest = SIMD8<Int32>(repeating: none)
                        for lane in 0 ..< lanes {
                            lowest = pointwiseMin(lowest, raw.loadUnaligned(fromByteOffset: lane &<< 5, as: SIMD8<Int32>.self))
                        }
                        let best = lowest.min()
                        if best == none { break }
                        // Part `at` absorbs the next live part and becomes the token `best >> 8`.
                        let at = Int(best & 0xFF)
                        let absorbed = Int(next[at])
                        let merged = Rank(truncatingIfNeeded: best >> 8)
                        ids[at] = merged
                        keys[absorbed] = none
                        let after = Int(next[absorbed])
                        next[at] = UInt8(truncatingIfNeeded: after)
                        if after < live {
                            previous[after] = UInt8(truncatingIfNeeded: at)
                            keys[at] = key(pairs.merged(merged, ids[after]), at)
                        } else {
                            keys[at] = none
                        }
                        let before = Int(previous[at])
                        if before != 255 { keys[before] = key(pairs.merged(ids[before], merged), before) }
                    }
                    var node = 0
                    while node < live {
                        output.append(ids[node])
                        node = Int(next[node])
                    }
                }
            }
        }
    }
}
