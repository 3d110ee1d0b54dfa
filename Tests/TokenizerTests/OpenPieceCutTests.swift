import Foundation
import Testing
@testable import Tokenizer

/// A long open piece (a run of letters, spaces or symbols that the next chunk may still extend) is
/// counted from a cut inside it (`OpenPieceCut`), its tail merged alone and the pair that meets at
/// the cut tested (`TokenSplits.compatible`). Oracles: the byte-pair merge of the two tokens' bytes
/// for the pair test; `count` of every grown text for the streamed counts.
@Suite struct OpenPieceCutTests {
    /// `compatible(a, b)` is exactly "merging a's bytes then b's gives [a, b]", for pairs of tokens
    /// that merge to themselves: random ones (short tokens weighted: their pairs are the ones that
    /// meet) and the two sides of a token cut at a random byte (which mostly merge back); and every
    /// adjacent pair of merged runs passes.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func pairTestIsTheMergeOfTheTwoTokens(encoding name: String) throws {
        let encoding = try BPEEncoding.named(name)
        let table = encoding.table, pairs = encoding.pairs, splits = encoding.splits
        var merger = BytePairMerger()
        func merged(_ bytes: [UInt8]) -> [Rank] {
            var output = [Rank]()
            bytes.withUnsafeBytes { merger.merge($0, table: table, pairs: pairs, into: &output) }
            return output
        }
        var generator = SeededGenerator(seed: 0xC0417A7)
        var checked = 0, compatible = 0
        while checked < 20_000 {
            var a = Rank(Int.random(in: 0 ..< (checked % 2 == 0 ? 2_000 : table.rankCount), using: &generator))
            var b = Rank(Int.random(in: 0 ..< (checked % 3 == 0 ? 2_000 : table.rankCount), using: &generator))
            if checked % 2 == 1, let bytes = table.bytes(of: a), bytes.count >= 2 {
                // A token cut in two at any byte: pairs that often merge back (or merge otherwise).
                let cut = bytes.startIndex + Int.random(in: 1 ..< bytes.count, using: &generator)
                a = Array(bytes[..<cut]).withUnsafeBytes { table.rank(of: $0) }
                b = Array(bytes[cut...]).withUnsafeBytes { table.rank(of: $0) }
            }
            guard a != RankTable.none, b != RankTable.none, let bytesA = table.bytes(of: a), let bytesB = table.bytes(of: b),
                  merged(Array(bytesA)) == [a], merged(Array(bytesB)) == [b] else { continue }
            let truth = merged(Array(bytesA) + Array(bytesB)) == [a, b]
            #expect(splits.compatible(a, b, pairs: pairs) == truth, "\(a) \(b)")
            checked += 1
            if truth { compatible += 1 }
        }
        // Both answers are common: the test can fail either way.
        #expect(compatible > 2_000 && compatible < 18_000, "\(compatible) of 20,000 pairs compatible")
        // Every adjacent pair of a real merge passes.
        for run in ["hahahahahahahahaha", String(repeating: " ", count: 300), "!?!?!?.....----====", "Zusammenarbeitsvertragsverhandlungen"] {
            let ids = merged(Array(run.utf8))
            for (a, b) in zip(ids, ids.dropFirst()) { #expect(splits.compatible(a, b, pairs: pairs), "\(run): \(a) \(b)") }
        }
    }

    /// Runs of every kind a relay may stream long — repeated syllables, random letters of mixed
    /// case, spaces and tabs, symbols, Cyrillic, Greek, accented Latin, Devanagari with marks — up to
    /// ~1,200 bytes, sometimes ended by a word and followed by another run, streamed in chunks of
    /// 1–8 scalars: the count equals `count` of the grown text at every chunk, and once a run is
    /// past `OpenPieceCut.minPieceBytes` (and 64 more) most chunks keep a boundary and resume from it.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func longOpenPiecesCountExactlyFromTheirCut(encoding name: String) throws {
        let tokenizer = try BPEEncoding.named(name)
        let alphabets: [[String]] = [
            ["ha"], ["la", "li"], ["a", "b", "c", "d", "e"], ["A", "b", "C", "d", "É", "ß"], [" "], [" ", "\t", " "],
            [".", "!", "?", "-", "="], ["ж", "о", "п", "а"], ["α", "β", "γ", "ά"], ["é", "è", "a", "ç"],
            ["ह", "ि", "न", "्", "द"], ["a", "1"],
        ]
        var generator = SeededGenerator(seed: 0x09E4)
        var wrong = 0, longChunks = 0, resumed = 0
        // The encoding's count (other tests running meanwhile can only add to it).
        let resumptionsBefore = tokenizer.openPieceResumptions.load(ordering: .relaxed)
        for round in 0 ..< 36 {
            let alphabet = alphabets[round % alphabets.count]
            var text = round % 4 == 0 ? "Well, " : ""
            for part in 0 ..< (round % 3 == 0 ? 2 : 1) {
                if part > 0 { text += [" and then ", "\n", "? ", "x"][round % 4] }
                let length = Int.random(in: 300 ... 1_200, using: &generator)
                var run = ""
                while run.utf8.count < length { run += alphabet[Int.random(in: 0 ..< alphabet.count, using: &generator)] }
                text += run
            }
            IncrementalCountTests.stream(text, tokenizer, maxChunk: 8, seed: generator.next(), wrongCounts: &wrong) { grown, settled in
                if let settled, grown.utf8.count - settled.bytes > OpenPieceCut.minPieceBytes + 64 {
                    longChunks += 1
                    if settled.openPiece != nil { resumed += 1 }
                }
            }
        }
        #expect(wrong == 0)
        #expect(longChunks > 1_000 && resumed * 10 > longChunks * 7, "\(resumed) of \(longChunks) chunks of long open pieces kept a cut")
        // And most of them were counted from it (the pair test passed), not merged whole.
        let resumptions = tokenizer.openPieceResumptions.load(ordering: .relaxed) - resumptionsBefore
        #expect(resumptions * 10 > longChunks * 8, "\(resumptions) of \(longChunks) chunks resumed from a boundary")
    }

    /// `SettledPrefix` holds its counts in 32 bits and the boundary in one word: a count it cannot
    /// hold settles nothing (counting from the start is exact), and drops the boundary with it.
    @Test func aPrefixThatCannotBeHeldSettlesNothing() {
        let cut = OpenPieceCut(at: 1_000, tokens: 300, last: 42)
        let held = SettledPrefix(bytes: 500, tokens: 120, openPiece: cut)
        #expect(held.bytes == 500 && held.tokens == 120 && held.openPiece == cut)
        let huge = SettledPrefix(bytes: 1 << 33, tokens: 120, openPiece: cut)
        #expect(huge.bytes == 0 && huge.tokens == 0 && huge.openPiece == nil)
        #expect(SettledPrefix(bytes: 10, tokens: -1) == SettledPrefix(bytes: 0, tokens: 0))
        // A boundary too far from the prefix for its word is no boundary.
        #expect(SettledPrefix(bytes: 0, tokens: 0, openPiece: OpenPieceCut(at: 1 << 23, tokens: 1, last: 1)).openPiece == nil)
    }
}
