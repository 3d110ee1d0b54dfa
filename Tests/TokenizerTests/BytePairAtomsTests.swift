import Testing
@testable import Tokenizer

/// Starting a merge from two bytes' token where `BytePairAtoms` allows must never change it: the
/// reference is merging from bytes with every split of every token in the pair table, as in
/// `CharacterAtomsTests` (whose pieces these extend with Latin words, code and digits, where most
/// byte pairs are candidates).
@Suite struct BytePairAtomsTests {
    static let latin: [String] = [
        "the", "The", " quick", " brown", " fox", "jumps", " over", " lazy", " dog", "Konfiguration", "sdatei", " über",
        "straße", " façade", " naïve", "ing", "tion", " un", "re", "ly", "'s", "'ll", "__init__", "self.", "def ", "()", "{}",
        "=>", "!=", "  ", "\n", "\t", "1234", "0x", "ab", "ba", "aa", "zz", "qu", "th", "er", "an", " the", ".", ",", ";", "-",
    ]

    /// Random glued Latin fragments, random ASCII bytes, and `CharacterAtomsTests`' pieces.
    static func pieces(_ table: RankTable, seed: UInt64, count: Int) -> [[UInt8]] {
        var generator = SeededGenerator(seed: seed)
        let ascii = Array(" etaoinshrdluETAOIN.,'-_0123456789\n()".utf8)
        let mixed = CharacterAtomsTests.pieces(table, seed: seed ^ 0x5EED, count: count / 3)
        return (0 ..< count - count / 3).map { round in
            if round % 2 == 0 {
                return Array((0 ..< Int.random(in: 1 ... 6, using: &generator)).map { _ in latin.randomElement(using: &generator)! }.joined().utf8)
            }
            return (0 ..< Int.random(in: 2 ... 24, using: &generator)).map { _ in ascii.randomElement(using: &generator)! }
        } + mixed
    }

    /// Byte-pair atoms alone (no character starts whole), against merging from bytes.
    static func onlyBytePairs(_ bytePairs: BytePairAtoms) -> CharacterAtoms {
        CharacterAtoms(atoms: Array(repeating: CharacterAtoms.none, count: 65_536), straddleRanks: Array(repeating: 0, count: 65_536), bytePairs: bytePairs)!
    }

    /// The test pieces of one encoding and their merges from bytes with every split of every token
    /// (the reference), made once: each test compares several kinds of atoms against them.
    struct Case {
        let encoding: BPEEncoding
        let pieces: [[UInt8]]
        let fromBytes: [[Rank]]

        init(_ encoding: BPEEncoding) {
            self.encoding = encoding
            pieces = BytePairAtomsTests.pieces(encoding.table, seed: 0xB1_7E5, count: 9_000)
            let everySplit = try! PairTable(allSplitsOf: encoding.table)
            let merger = BytePairMerger()
            fromBytes = pieces.map { piece in
                var ids = [Rank]()
                piece.withUnsafeBytes { merger.mergeByScan($0, table: encoding.table, pairs: everySplit, into: &ids) }
                return ids
            }
        }

        static let o200k = Case(Fixtures.o200k)
        static let cl100k = Case(Fixtures.cl100k)
        static func named(_ name: String) -> Case { name == "o200k_base" ? o200k : cl100k }
    }

    /// How many of the case's merges change when started from `atoms` instead of bytes, and how
    /// many byte pairs started whole.
    static func differences(_ test: Case, atoms: CharacterAtoms) -> (differing: Int, started: Int) {
        let merger = BytePairMerger()
        var differing = 0, started = 0
        for (piece, fromBytes) in zip(test.pieces, test.fromBytes) {
            var fromAtoms = [Rank]()
            piece.withUnsafeBytes { bytes in
                merger.mergeByScan(bytes, table: test.encoding.table, pairs: test.encoding.pairs, atoms: atoms, into: &fromAtoms)
                var index = 0
                while index + 1 < bytes.count {
                    if atoms.bytePairs.atom(bytes, at: index) != RankTable.none {
                        started += 1
                        index += 2
                    } else {
                        index += 1
                    }
                }
            }
            if fromAtoms != fromBytes { differing += 1 }
        }
        return (differing, started)
    }

    @Test(arguments: ["o200k_base", "cl100k_base"])
    func mergesEqualMergingFromBytes(_ name: String) throws {
        let test = Case.named(name)
        let alone = Self.differences(test, atoms: Self.onlyBytePairs(test.encoding.atoms.bytePairs))
        #expect(alone.differing == 0)
        // With characters whole as well (what `Encoder` merges with).
        #expect(Self.differences(test, atoms: test.encoding.atoms).differing == 0)
        // The property is only tested where pairs start whole: many must.
        #expect(alone.started > 10_000, "\(alone.started) byte pairs started whole")
    }

    /// Each edge check is needed: without either, some of the same pieces merge differently. (The
    /// longer-token check is not needed with these vocabularies: every token ranks above the two
    /// it is merged from, so a longer token holding x y ranked below x y also begins or ends with
    /// a lower-ranked pair across one of its edges. Taking every two-byte token whole, edges
    /// checked, changes none of these pieces; the check costs nothing per occurrence.)
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func eachCheckIsNeeded(_ name: String) throws {
        let test = Case.named(name)
        let encoding = test.encoding
        let pairs = encoding.atoms.bytePairs
        let none = [Rank](repeating: RankTable.none, count: 65_536)
        let noEdges = try #require(BytePairAtoms(atomRanks: pairs.atomRanks, startRanks: none, endRanks: none))
        let noLeftEdge = try #require(BytePairAtoms(atomRanks: pairs.atomRanks, startRanks: pairs.startRanks, endRanks: none))
        let noRightEdge = try #require(BytePairAtoms(atomRanks: pairs.atomRanks, startRanks: none, endRanks: pairs.endRanks))
        let everyToken = try #require(BytePairAtoms(atomRanks: encoding.table.bytePairRanks, startRanks: pairs.startRanks, endRanks: pairs.endRanks))
        #expect(Self.differences(test, atoms: Self.onlyBytePairs(everyToken)).differing == 0)
        for (check, careless) in [("edges", noEdges), ("left edge", noLeftEdge), ("right edge", noRightEdge)] {
            #expect(Self.differences(test, atoms: Self.onlyBytePairs(careless)).differing > 0, "without the \(check) check")
        }
    }

    /// The tables hold what their names say, checked against the token list for a few pairs.
    @Test func tablesMatchTheVocabulary() throws {
        let encoding = Fixtures.o200k
        let pairs = encoding.atoms.bytePairs
        let table = encoding.table
        var lowestStart = [Int: Rank](), lowestEnd = [Int: Rank](), lowestLonger = [Int: Rank]()
        for rank in 0 ..< table.rankCount {
            let bytes = Array(table.bytes(of: Rank(rank))!)
            guard bytes.count >= 2 else { continue }
            let first = Int(bytes[0]) << 8 | Int(bytes[1]), last = Int(bytes[bytes.count - 2]) << 8 | Int(bytes[bytes.count - 1])
            lowestStart[first] = min(lowestStart[first] ?? RankTable.none, Rank(rank))
            lowestEnd[last] = min(lowestEnd[last] ?? RankTable.none, Rank(rank))
            if bytes.count >= 3 {
                for index in 0 ..< bytes.count - 1 {
                    let pair = Int(bytes[index]) << 8 | Int(bytes[index + 1])
                    lowestLonger[pair] = min(lowestLonger[pair] ?? RankTable.none, Rank(rank))
                }
            }
        }
        for pair in 0 ..< 65_536 {
            #expect(pairs.startRanks[pair] == lowestStart[pair] ?? RankTable.none)
            #expect(pairs.endRanks[pair] == lowestEnd[pair] ?? RankTable.none)
            let rank = table.bytePairRanks[pair]
            let expected = rank != RankTable.none && (lowestLonger[pair] ?? RankTable.none) > rank ? rank : RankTable.none
            #expect(pairs.atomRanks[pair] == expected)
        }
    }
}
