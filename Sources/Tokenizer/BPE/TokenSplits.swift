/// Each token's canonical split (the two tokens its own bytes merge from last; a token of one byte
/// is its own split), read off `PairTable`, and the pair test of rust-gems' `bpe`: whether two
/// tokens stay two when byte-pair merging their bytes together.
///
/// What it is for (`countAppending` inside a long open piece, `OpenPieceCut`): byte-pair merging is
/// prefix-closed — the tokens before a boundary of a text's merge are the merge of the bytes before
/// it — and a sequence of tokens is the merge of its bytes exactly when each adjacent pair passes
/// `compatible`. So a piece's merge is the merge before a boundary followed by the merge after it
/// whenever the two tokens that meet there pass: the tail alone is merged again, not the piece.
/// Ranks are merge priorities here (tiktoken's ids are ranks).
struct TokenSplits: Sendable {
    /// Per rank: left << 32 | right. A rank no merge makes (one byte, or a gap) holds itself twice.
    private let splits: [UInt64]

    init(_ pairs: PairTable, rankCount: Int) {
        var splits = (0 ..< UInt64(rankCount)).map { $0 << 32 | $0 }
        for slot in pairs.slots where slot != PairTable.empty {
            let merged = Int(slot & 0x1F_FFFF), key = slot >> 21
            guard merged < rankCount else { continue }
            splits[merged] = (key >> 21) << 32 | (key & 0x1F_FFFF)
        }
        self.splits = splits
    }

    @inline(__always)
    private func split(_ rank: Rank) -> (left: Rank, right: Rank) {
        let word = splits[Int(rank)]
        return (Rank(truncatingIfNeeded: word >> 32), Rank(truncatingIfNeeded: word))
    }

    /// Whether merging the bytes of `left` followed by those of `right` gives the two tokens back:
    /// no token across their boundary is merged before both are complete. Walks the two split trees
    /// down from the boundary, the larger rank first (rust-gems `is_valid_token_pair`): `limit` is
    /// the rank below which a token across the boundary would have won.
    func compatible(_ left: Rank, _ right: Rank, pairs: PairTable) -> Bool {
        var left = left, right = right
        var limit = Rank.max
        while true {
            let across = pairs.merged(left, right)
            if across != RankTable.none && across < limit { return false }
            if left > right {
                limit = left
                left = split(left).right
                if left == limit {
                    limit = right &+ 1
                    right = split(right).left
                    if right &+ 1 == limit { return true }
                }
            } else {
                limit = right &+ 1
                right = split(right).left
                if right &+ 1 == limit {
                    limit = left
                    left = split(left).right
                    if left == limit { return true }
                }
            }
        }
    }
}
