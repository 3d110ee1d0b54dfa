import Foundation
import Testing

@testable import Tokenizer

/// `MemoSeed`: every slot a new encoder's memo starts with names the token of its piece, where a
/// lookup of that piece finds it. `RankTable` (XXH3, slots, `memcmp` of the bytes) is the oracle.
struct MemoSeedTests {
    /// The bytes a memo key and length stand for: the key is the bytes themselves (two words of
    /// overlapping loads; for fewer than 4 bytes, the first, middle and last byte).
    static func bytes(_ key: (UInt64, UInt64), count: Int) -> [UInt8] {
        func little(_ word: UInt64, _ width: Int) -> [UInt8] { (0 ..< width).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) } }
        if count >= 8 { return little(key.0, 8) + little(key.1, 8).suffix(count - 8) }
        if count >= 4 { return little(key.0, 4) + little(key.0 >> 32, 4).suffix(count - 4) }
        return Array(little(key.0, 3).prefix(count))  // 1 byte: b0 b0 b0; 2: b0 b1 b1; 3: b0 b1 b2
    }

    @Test(arguments: ["o200k_base", "cl100k_base"])
    func everySeededSlotIsItsTokenAndIsFound(encoding: String) throws {
        let bpe = Fixtures.encoding(encoding)
        let seed = try #require(bpe.memoSeed, "a loaded encoding seeds its encoders' memos")
        var seeded = 0, wrong = 0
        var tokens = Set<Rank>()
        for index in stride(from: 0, to: ShortPieceMemo.wordCount, by: 4) {
            let slot = seed.words + index
            let count = Int(slot[2] & 0xFF)
            guard count > 0 else {
                #expect(slot[0] == 0 && slot[1] == 0 && slot[2] == 0 && slot[3] == 0)
                continue
            }
            seeded += 1
            let bytes = Self.bytes((slot[0], slot[1]), count: count)
            let token = Rank(truncatingIfNeeded: slot[2] >> 32)
            let rank = bytes.withUnsafeBytes { bpe.table.rank(of: $0) }
            let key = bytes.withUnsafeBytes { ShortPieceMemo.key($0) }
            if rank != token || (slot[2] >> 8) & 0xFF != 1 || key != (slot[0], slot[1]) { wrong += 1 }
            tokens.insert(token)
        }
        #expect(wrong == 0, "\(wrong) of \(seeded) seeded slots name another token")
        #expect(tokens.count == seeded, "a token is seeded once")
        // A memo holding the seed finds every one.
        let seededMemo = ShortPieceMemo(seed: seed)
        var found = 0
        for rank in tokens {
            let bytes = Array(bpe.table.bytes(of: rank)!)
            let hit = bytes.withUnsafeBytes { piece in seededMemo.lookup(ShortPieceMemo.key(piece), count: piece.count) }
            if let hit, ShortPieceMemo.tokenCount(hit) == 1, Rank(truncatingIfNeeded: hit[2] >> 32) == rank { found += 1 }
        }
        #expect(found == seeded)
        // Most slots hold a token: o200k's 196k short tokens fill most of the 131k slots.
        #expect(seeded > (encoding == "o200k_base" ? 100_000 : 60_000), "\(seeded) seeded slots")
    }

    /// Each set holds the two lowest ranks among the short tokens that fall in it: a token left out
    /// finds its set full of lower ranks, a token seeded is in the set its key selects.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func eachSetHoldsItsTwoLowestRanks(encoding: String) throws {
        let bpe = Fixtures.encoding(encoding)
        let seed = try #require(bpe.memoSeed)
        var seededRanks = [Int: [Rank]]()
        for index in stride(from: 0, to: ShortPieceMemo.wordCount, by: 4) where (seed.words + index)[2] & 0xFF != 0 {
            seededRanks[index / 8, default: []].append(Rank(truncatingIfNeeded: (seed.words + index)[2] >> 32))
        }
        let seeded = Set(seededRanks.values.joined())
        var misplaced = 0, leftOutWrongly = 0, leftOut = 0
        for rank in 0 ..< Rank(bpe.table.rankCount) {
            guard let bytes = bpe.table.bytes(of: rank), bytes.count <= ShortPieceMemo.maxPieceBytes else { continue }
            let set = Array(bytes).withUnsafeBytes { ShortPieceMemo.set(of: ShortPieceMemo.key($0), count: $0.count) }
            let inSet = seededRanks[set] ?? []
            if seeded.contains(rank) {
                if !inSet.contains(rank) { misplaced += 1 }
            } else {
                leftOut += 1
                if inSet.count < 2 || inSet.contains(where: { $0 > rank }) { leftOutWrongly += 1 }
            }
        }
        #expect(misplaced == 0 && leftOutWrongly == 0, "\(misplaced) seeded outside their set, \(leftOutWrongly) of \(leftOut) left out of a set with room or a higher rank")
        #expect(leftOut > (encoding == "o200k_base" ? 50_000 : 10_000), "\(leftOut) short tokens left out: sets do fill")
    }

    /// A new encoder's ids are those of an encoder whose memo starts empty, on text of every script.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func seededAndEmptyMemosGiveTheSameIds(encoding: String) throws {
        let bpe = Fixtures.encoding(encoding)
        let unseeded = try BPEEncoding(spec: bpe.spec, table: bpe.table)
        #expect(unseeded.memoSeed == nil)
        let url = Fixtures.tokenizerDirectory.appendingPathComponent("random_strings.json")
        let texts = try JSONDecoder().decode([ExactnessTests.RandomCase].self, from: Data(contentsOf: url)).map(\.text)
        #expect(texts.count == 600)
        let seeded = bpe.makeEncoder(), empty = unseeded.makeEncoder()
        for text in texts + [texts.joined(separator: " ")] {
            var a = [Rank](), b = [Rank]()
            var copy = text
            copy.withUTF8 { seeded.encodeOrdinary($0, into: &a); empty.encodeOrdinary($0, into: &b) }
            #expect(a == b, "\(text.debugDescription)")
            #expect(copy.withUTF8 { seeded.countOrdinary($0) } == b.count)
        }
    }
}
