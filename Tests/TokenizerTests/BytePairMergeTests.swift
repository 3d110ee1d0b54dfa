import Testing
@testable import Tokenizer

/// The heap path for long pieces must give exactly the linear scan's (tiktoken's) result.
@Suite struct BytePairMergeTests {
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func heapEqualsLinearScan(_ name: String) throws {
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
            var scanned = [Rank](), heaped = [Rank]()
            piece.withUnsafeBytes {
                merger.mergeByScan($0, table: table, pairs: pairs, into: &scanned)
                merger.mergeByHeap($0, table: table, pairs: pairs, into: &heaped)
            }
            #expect(scanned == heaped, "piece \(piece)")
            var joined = [UInt8]()
            for rank in heaped { joined += table.bytes(of: rank)! }
            #expect(joined == piece)
        }
    }
}
