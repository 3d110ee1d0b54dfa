import Testing
@testable import Tokenizer

/// Starting a merge from whole characters where `CharacterAtoms` allows must never change it: the
/// reference is merging from bytes with every split of every token in the pair table (tiktoken's
/// algorithm, itself checked against tiktoken's ids in ExactnessTests).
@Suite struct CharacterAtomsTests {
    /// 2- and 3-byte characters of many scripts, glued with the spaces, digits, punctuation and
    /// ASCII letters that straddling tokens start or end with.
    static let alphabets: [[String]] = [
        "привет мир Ёё, съешь же ещё этих мягких булок".map(String.init),
        "Γειά σου κόσμε ά ή".map(String.init),
        "مرحبا بالعالم، كيف حالك؟".map(String.init),
        "שלום עולם".map(String.init),
        "नमस्ते दुनिया क्षत्रिय".map(String.init),
        "สวัสดีชาวโลกภาษาไทย".map(String.init),
        "안녕하세요 세계 한국어".map(String.init),
        "中文字符的人们你好世界、。".map(String.init),
        "こんにちは世界カタカナー".map(String.init),
        "Tiếng Việt có dấu: ệ ở ữ đ".map(String.init),
        "Größe Übermaß façade naïve 1234 ,.;'\"\n\t".map(String.init),
    ]

    /// Random pieces over one alphabet, or over all of them, or real tokens glued together (so that
    /// merges cross token boundaries the ways text does).
    static func pieces(_ table: RankTable, seed: UInt64, count: Int) -> [[UInt8]] {
        var generator = SeededGenerator(seed: seed)
        let everything = alphabets.flatMap { $0 }
        return (0 ..< count).map { round in
            switch round % 3 {
            case 0:
                let alphabet = alphabets[(round / 3) % alphabets.count]
                return Array((0 ..< Int.random(in: 1 ... 24, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! }.joined().utf8)
            case 1:
                return Array((0 ..< Int.random(in: 1 ... 20, using: &generator)).map { _ in everything.randomElement(using: &generator)! }.joined().utf8)
            default:
                var piece = [UInt8]()
                while piece.count < Int.random(in: 2 ... 60, using: &generator) {
                    let bytes = table.bytes(of: Rank.random(in: 0 ..< Rank(table.rankCount), using: &generator))!
                    if String(validating: Array(bytes), as: UTF8.self) != nil { piece += bytes }
                }
                return piece
            }
        }
    }

    @Test(arguments: ["o200k_base", "cl100k_base"])
    func mergesEqualMergingFromBytes(_ name: String) throws {
        let encoding = Fixtures.encoding(name)
        let everySplit = try PairTable(allSplitsOf: encoding.table)
        let merger = BytePairMerger()
        var started = 0
        for piece in Self.pieces(encoding.table, seed: 0xA7_0115, count: 9_000) {
            var fromAtoms = [Rank](), fromBytes = [Rank]()
            piece.withUnsafeBytes { bytes in
                merger.mergeByScan(bytes, table: encoding.table, pairs: encoding.pairs, atoms: encoding.atoms, into: &fromAtoms)
                merger.mergeByScan(bytes, table: encoding.table, pairs: everySplit, into: &fromBytes)
                var index = 0
                while index < bytes.count {
                    if let atom = encoding.atoms.atom(bytes, at: index) {
                        started += 1
                        index += atom.length
                    } else {
                        index += 1
                    }
                }
            }
            #expect(fromAtoms == fromBytes, "\(String(decoding: piece, as: UTF8.self).debugDescription)")
        }
        // The property is only tested where characters start whole: most of them must.
        #expect(started > 30_000, "\(started) characters started whole")
    }

    /// The per-occurrence check is needed: with the straddling tokens ignored (every one-token
    /// character whole wherever it stands), some of the same pieces merge differently.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func ignoringStraddlingTokensChangesMerges(_ name: String) throws {
        let encoding = Fixtures.encoding(name)
        let none = [Rank](repeating: RankTable.none, count: 65_536)
        let noPairAtoms = try #require(BytePairAtoms(atomRanks: none, startRanks: none, endRanks: none))
        let careless = try #require(CharacterAtoms(atoms: encoding.atoms.atoms, straddleRanks: none, bytePairs: noPairAtoms))
        let merger = BytePairMerger()
        var differing = 0
        for piece in Self.pieces(encoding.table, seed: 0xA7_0115, count: 9_000) {
            var carelessly = [Rank](), exactly = [Rank]()
            piece.withUnsafeBytes { bytes in
                merger.mergeByScan(bytes, table: encoding.table, pairs: encoding.pairs, atoms: careless, into: &carelessly)
                merger.mergeByScan(bytes, table: encoding.table, pairs: encoding.pairs, into: &exactly)
            }
            if carelessly != exactly { differing += 1 }
        }
        #expect(differing > 0)
    }

    /// Malformed and overlong sequences (possible through `Encoder`'s byte API) never start whole.
    @Test func malformedSequencesStartAsBytes() {
        let atoms = Fixtures.o200k.atoms
        for bytes: [UInt8] in [[0xD0], [0xD0, 0x41], [0xE4, 0xB8], [0xE0, 0x90, 0x80], [0xC1, 0x81], [0xB0, 0xD0, 0xB0]] {
            #expect(bytes.withUnsafeBytes { atoms.atom($0, at: 0)?.token } == nil, "\(bytes)")
        }
        #expect(Array("а".utf8).withUnsafeBytes { atoms.atom($0, at: 0) }?.length == 2)
    }
}
