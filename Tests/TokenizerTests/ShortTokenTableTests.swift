import Foundation
import Testing

@testable import Tokenizer

/// `ShortTokenTable` answers what `RankTable` answers for every byte string of at most 16 bytes:
/// the token's rank, or none. `RankTable` (XXH3, slots, `memcmp` of the bytes) is the oracle.
struct ShortTokenTableTests {
    static func rank(_ table: ShortTokenTable, _ bytes: [UInt8]) -> Rank {
        bytes.withUnsafeBytes { table.rank(ShortPieceMemo.key($0), count: $0.count) }
    }

    /// Every token of 1 ... 16 bytes is found with its rank; longer ones are not held.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func everyShortTokenHasItsRank(encoding: String) {
        let bpe = Fixtures.encoding(encoding)
        var short = 0, wrong = 0
        for rank in 0 ..< Rank(bpe.table.rankCount) {
            guard let bytes = bpe.table.bytes(of: rank), bytes.count <= ShortTokenTable.maxTokenBytes else { continue }
            short += 1
            if Self.rank(bpe.shortTokens, Array(bytes)) != rank { wrong += 1 }
        }
        #expect(wrong == 0)
        #expect(short > (encoding == "o200k_base" ? 190_000 : 95_000), "\(short) tokens of at most 16 bytes")
    }

    /// Near misses (a token with a byte changed, dropped or added, whose keys share words with the
    /// token's) and random bytes get `RankTable`'s answer, mostly none.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func nearMissesAgreeWithTheRankTable(encoding: String) {
        let bpe = Fixtures.encoding(encoding)
        var generator = SeededGenerator(seed: 0x5407)
        var disagreements = 0, checked = 0, tokens = 0
        for _ in 0 ..< 60_000 {
            let rank = Rank.random(in: 0 ..< Rank(bpe.table.rankCount), using: &generator)
            guard var bytes = bpe.table.bytes(of: rank).map(Array.init), bytes.count <= ShortTokenTable.maxTokenBytes else { continue }
            switch Int.random(in: 0 ..< 4, using: &generator) {
            case 0: bytes[Int.random(in: 0 ..< bytes.count, using: &generator)] ^= UInt8.random(in: 1 ... 255, using: &generator)
            case 1: if bytes.count > 1 { bytes.removeLast() }
            case 2: if bytes.count < ShortTokenTable.maxTokenBytes { bytes.insert(UInt8.random(in: 0 ... 255, using: &generator), at: Int.random(in: 0 ... bytes.count, using: &generator)) }
            default: bytes = (0 ..< bytes.count).map { _ in UInt8.random(in: 0 ... 255, using: &generator) }
            }
            let expected = bytes.withUnsafeBytes { bpe.table.rank(of: $0) }
            if expected != RankTable.none { tokens += 1 }
            if Self.rank(bpe.shortTokens, bytes) != expected { disagreements += 1 }
            checked += 1
        }
        #expect(disagreements == 0, "\(disagreements) of \(checked)")
        // Both answers occur: the check is not all "none".
        #expect(tokens > 1_000 && tokens < checked - 1_000, "\(tokens) of \(checked) are tokens")
    }
}
