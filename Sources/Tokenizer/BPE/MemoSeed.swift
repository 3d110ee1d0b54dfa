import Foundation

/// The sets a new `ShortPieceMemo` starts from: the vocabulary's tokens of at most 16 bytes, each
/// set holding the two lowest ranks that fall in it (114,450 of o200k's 196,011 short tokens in its
/// 131,072 slots; 80,256 of cl100k's 99,451).
///
/// On text an encoder has not seen, a piece that is one token otherwise costs a memo miss and then
/// `ShortTokenTable`'s line; seeded, it is one memo line. fastokens seeds its per-thread cache the
/// same way (every entry of ≤ 15 bytes, copied when an instance first binds a thread). Seeding took
/// 5.6 % off a cold pass over held-out text (`tokenizer_ab.py --cold --pollute 8`, median of 10
/// runs), 1.1 % warm, and moved the relay script's cold held-out ratio to fastokens from 0.90–0.98×
/// to 1.00–1.07× (docs/tokenizer.md, stop 32). A new encoder copies the 4 MiB (~1 ms), so the seed
/// is built once per vocabulary and kept in its image (`VocabularyCache`): building it takes ~15 ms.
final class MemoSeed: @unchecked Sendable {
    // @unchecked: immutable after init; the memory is owned here and freed in deinit.
    private let allocation: UnsafeMutableRawPointer
    /// `ShortPieceMemo.wordCount` words, aligned to a cache line.
    let words: UnsafeMutablePointer<UInt64>

    /// The words as stored in the vocabulary image.
    var storedWords: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: words, count: ShortPieceMemo.wordCount) }

    /// Zeroed words written by `fill` (with the words `VocabularyCache` stored); nil if it fails.
    init?(fill: (UnsafeMutablePointer<UInt64>) -> Bool) {
        (allocation, words) = CacheLineWords.allocate(ShortPieceMemo.wordCount, zeroed: true, for: "the memo seed")
        guard fill(words) else { return nil }
    }

    /// Every token of `table` of 1 ... 16 bytes, inserted highest rank first, so that each set
    /// keeps its two lowest ranks (the memo's insert pushes the previous front slot second and
    /// drops the second). Lowest rank first is the best order of those simulated on the shared
    /// corpus (`Benchmarks/memo_seed_coverage.py`, a fresh encoder per file): 81.1 % of the
    /// distinct pieces that are one token find theirs, against 69.3–80.4 % when tokens that start
    /// with a space go first or weigh more (2^17 sets would hold 92.0 %: measured no faster).
    /// Tokens the pre-tokenizer always splits (" a b", partial characters: 1,572 of o200k's) take
    /// slots too; leaving them out (asking the pre-tokenizer at build) gained 0.4 points.
    convenience init(_ table: RankTable) {
        let memo = ShortPieceMemo(seed: nil)
        ShortTokenTable.forEachShortToken(of: table, highestRankFirst: true) { key, length, rank in
            memo.insert(key, count: length, token: rank)
            return true
        }
        self.init { memo.copyWords(to: $0); return true }!
    }

    deinit { free(allocation) }

    /// Whether every 61st slot holds one token that `shortTokens` gives the same key and length: a
    /// stored seed of another build's key or slot layout (the image's magic not bumped with a
    /// change there) fails this and the image is rebuilt; ~2,000 lookups for o200k. A slot that
    /// named a wrong token would change ids.
    func agrees(with shortTokens: ShortTokenTable) -> Bool {
        stride(from: 0, to: ShortPieceMemo.wordCount, by: 61 * 4).allSatisfy { index in
            let slot = words + index
            let length = Int(slot[2] & 0xFF)
            if length == 0 { return slot[0] == 0 && slot[1] == 0 && slot[2] == 0 && slot[3] == 0 }
            return length <= ShortPieceMemo.maxPieceBytes && (slot[2] >> 8) & 0xFF == 1 && slot[3] == 0
                && shortTokens.rank((slot[0], slot[1]), count: length) == Rank(truncatingIfNeeded: slot[2] >> 32)
        }
    }
}
