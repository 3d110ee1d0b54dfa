import Testing
@testable import Tokenizer

/// The tree path for long pieces (`mergeByTree`) and the keyed loop for pieces of 17–254 parts
/// (`BytePairMerger.mergeByKeys`) must give exactly the linear scan's (tiktoken's) result.
@Suite struct BytePairMergeTests {
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func treeEqualsLinearScan(_ name: String) throws {
        let table = Fixtures.encoding(name).table
        let pairs = try PairTable(table)
        var generator = SeededGenerator(seed: 42)
        var merger = BytePairMerger()
        let alphabets: [[UInt8]] = [
            Array("ab".utf8), Array("aaab ".utf8), Array("etaoin shrdlu".utf8), Array("0123456789".utf8),
            Array("中文字符".utf8), Array("  \n\t".utf8), (0 ... 255).map { UInt8($0) },
        ]
        for round in 0 ..< 1_500 {
            let alphabet = alphabets[round % alphabets.count]
            let length = Int.random(in: 1 ... 300, using: &generator)
            let piece = (0 ..< length).map { _ in alphabet.randomElement(using: &generator)! }
            var scanned = [Rank](), treed = [Rank]()
            piece.withUnsafeBytes {
                merger.mergeByScan($0, table: table, pairs: pairs, into: &scanned)
                merger.mergeByTree($0, table: table, pairs: pairs, into: &treed)
            }
            #expect(scanned == treed, "piece \(piece)")
            var joined = [UInt8]()
            for rank in treed { joined += table.bytes(of: rank)! }
            #expect(joined == piece)
        }
    }

    /// Words of Thai, Devanagari, Hangul… of 17–64 characters start from whole characters
    /// (`CharacterAtoms`) and so take the keyed loop with fewer parts than bytes; the tree, which
    /// merges from bytes and shares no code with it, is the reference.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func keyedLoopOnCharacterPartsEqualsTree(_ name: String) throws {
        let encoding = Fixtures.encoding(name)
        var generator = SeededGenerator(seed: 0x4B_E7ED)
        var merger = BytePairMerger()
        var keyed = 0
        for round in 0 ..< 3_000 {
            let alphabet = CharacterAtomsTests.alphabets[round % CharacterAtomsTests.alphabets.count]
            let characters = Int.random(in: 17 ... 64, using: &generator)
            let piece = Array((0 ..< characters).map { _ in alphabet.randomElement(using: &generator)! }.joined().utf8)
            guard piece.count <= BytePairMerger.atomScanLimit else { continue }
            var scanned = [Rank](), treed = [Rank]()
            piece.withUnsafeBytes {
                merger.merge($0, table: encoding.table, pairs: encoding.pairs, atoms: encoding.atoms, into: &scanned)
                merger.mergeByTree($0, table: encoding.table, pairs: encoding.pairs, into: &treed)
            }
            keyed += 1
            #expect(scanned == treed, "\(String(decoding: piece, as: UTF8.self).debugDescription)")
        }
        // Most pieces must have been merged by the keyed loop, not the tree (over 192 bytes).
        #expect(keyed > 2_000, "\(keyed) pieces merged from characters")
    }
}

/// The pair table keeps only each token's canonical split (`PairTable.canonicalSplit`): merging with
/// it must give what merging with every split of every token gives, and reach every token.
@Suite struct CanonicalPairTableTests {
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func mergesEqualThoseWithEverySplit(_ name: String) throws {
        let table = Fixtures.encoding(name).table
        let canonical = try PairTable(table), everySplit = try PairTable(allSplitsOf: table)
        var generator = SeededGenerator(seed: 0xCA_0011)
        var merger = BytePairMerger()
        // Pieces of real tokens glued together (so merges cross token boundaries the ways text
        // does), and random bytes of the alphabets above.
        let alphabets: [[UInt8]] = [
            Array("etaoin shrdlu".utf8), Array("中文字符".utf8), Array("привет мир".utf8), Array("  \n\t".utf8), (0 ... 255).map { UInt8($0) },
        ]
        for round in 0 ..< 6_000 {
            var piece = [UInt8]()
            if round % 2 == 0 {
                for _ in 0 ..< Int.random(in: 1 ... 6, using: &generator) {
                    piece += table.bytes(of: Rank.random(in: 0 ..< Rank(table.rankCount), using: &generator))!
                }
            } else {
                let alphabet = alphabets[round % alphabets.count]
                piece = (0 ..< Int.random(in: 1 ... 120, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }
            }
            var withCanonical = [Rank](), withEverySplit = [Rank]()
            piece.withUnsafeBytes {
                merger.merge($0, table: table, pairs: canonical, into: &withCanonical)
                merger.merge($0, table: table, pairs: everySplit, into: &withEverySplit)
            }
            #expect(withCanonical == withEverySplit, "piece \(piece)")
        }
    }

    /// tiktoken 0.14 encodes every token of two or more bytes (as a single piece) to itself: 199,742
    /// for o200k_base, 100,000 for cl100k_base, so each has a canonical split and the table one entry each.
    @Test(arguments: [("o200k_base", 199_742), ("cl100k_base", 100_000)])
    func everyTokenMergesFromItsOwnBytes(_ name: String, _ multiByteTokens: Int) throws {
        let table = Fixtures.encoding(name).table
        let pairs = try PairTable(table)
        #expect(pairs.slots.filter { $0 != PairTable.empty }.count == multiByteTokens)
        var merger = BytePairMerger()
        var unreached = 0
        for rank in 0 ..< Rank(table.rankCount) {
            let bytes = table.bytes(of: rank)!
            guard bytes.count >= 2 else { continue }
            var merged = [Rank]()
            bytes.withUnsafeBytes { merger.merge($0, table: table, pairs: pairs, into: &merged) }
            if merged != [rank] { unreached += 1 }
        }
        #expect(unreached == 0)
    }
}
