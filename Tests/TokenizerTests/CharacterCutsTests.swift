import Testing
@testable import Tokenizer

/// Cutting a piece where `CharacterCuts` allows must never change its merge: the segments merged
/// one by one give exactly the whole piece merged (tiktoken's algorithm, itself checked against
/// tiktoken's ids in ExactnessTests).
@Suite struct CharacterCutsTests {
    /// Characters of 3–4 bytes that sit side by side inside tokens, so that random strings of them
    /// hit the bigram set and the straddling byte pairs often, plus kana, Hangul, emoji and
    /// characters no token holds.
    static func characters(of table: RankTable) -> [[UInt8]] {
        var found = Set<[UInt8]>()
        for rank in 0 ..< table.rankCount {
            guard let bytes = table.bytes(of: Rank(rank)), bytes.count >= 6,
                let text = String(validating: Array(bytes), as: UTF8.self)
            else { continue }
            for scalar in text.unicodeScalars where scalar.utf8.count >= 3 { found.insert(Array(String(scalar).utf8)) }
            if found.count >= 3_000 { break }
        }
        let extra = "ぁかゃー한국어😀👍🏽🀄𠀀𪚥\u{3000}、。「」"
        return found.sorted { $0.lexicographicallyPrecedes($1) } + extra.unicodeScalars.map { Array(String($0).utf8) }
    }

    @Test(arguments: ["o200k_base", "cl100k_base"])
    func segmentsMergeAsTheWholePiece(_ name: String) throws {
        let encoding = Fixtures.encoding(name)
        let characters = Self.characters(of: encoding.table)
        var generator = SeededGenerator(seed: 0xC7_C075)
        var merger = BytePairMerger()
        var cutPieces = 0
        for _ in 0 ..< 3_000 {
            var piece = [UInt8]()
            for _ in 0 ..< Int.random(in: 2 ... 40, using: &generator) {
                piece += characters.randomElement(using: &generator)!
            }
            var whole = [Rank](), joined = [Rank]()
            piece.withUnsafeBytes { bytes in
                merger.merge(bytes, table: encoding.table, pairs: encoding.pairs, into: &whole)
                let cut = encoding.cuts.forEachSegment(bytes) { segment in
                    merger.merge(segment, table: encoding.table, pairs: encoding.pairs, into: &joined)
                }
                if cut { cutPieces += 1 } else { joined = whole }
            }
            #expect(joined == whole, "\(String(decoding: piece, as: UTF8.self).debugDescription)")
        }
        // The property is only tested where cuts happen: most of these pieces must have some.
        #expect(cutPieces > 1_500, "\(cutPieces) of 3,000 pieces were cut")
    }

    /// Pieces that are not well-formed UTF-8 (possible through `Encoder`'s byte API) are never cut.
    @Test func malformedPiecesAreNotCut() {
        let cuts = Fixtures.o200k.cuts
        for bytes: [UInt8] in [[0xE4, 0xB8, 0xE4, 0xB8, 0xAD, 0xE5, 0x9B, 0xBD], [0xAD, 0xE4, 0xB8, 0xAD, 0xE5, 0x9B, 0xBD, 0xE4]] {
            let cut = bytes.withUnsafeBytes { cuts.forEachSegment($0) { _ in } }
            #expect(!cut)
        }
        let wellFormed = Array("中国的的的人".utf8)
        #expect(wellFormed.withUnsafeBytes { cuts.forEachSegment($0) { _ in } })
    }
}
