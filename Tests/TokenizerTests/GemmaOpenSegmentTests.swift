import Foundation
import Testing
@testable import Tokenizer

/// A Gemma turn's long open last segment (a line of Japanese, Chinese or Thai with no space, a run
/// of one letter or symbol) is counted from a boundary of its merge
/// (`SentencePieceEncoder+OpenSegment.swift`): its tail merged alone and the two symbols that meet
/// there merged again. Oracle: `count` of the whole text (itself checked against sentencepiece's
/// ids in `GemmaExactnessTests`).
@Suite struct GemmaOpenSegmentTests {
    /// Runs a relay may stream long, each one segment: scripts with no space, one letter or symbol
    /// repeated, characters only byte fallback spells (among pieces, and alone: no symbol of such a
    /// run has a piece id), and `>` before a space (a space that does not cut the segment: its
    /// normalized offsets are not the text's).
    static let alphabets: [[String]] = [
        ["日", "本", "語", "で", "す", "。", "、", "は", "が"], ["人", "工", "智", "能", "，", "的"],
        ["ภา", "ษา", "ไทย", "ครับ"],
        ["한", "국", "어"], ["a"], ["ha"], ["!", "?", "."], ["0", "1", "2", "9"], ["🙂", "👍"],
        ["中", "\u{E000}", "\u{F8FF}", "文"], ["日本", "> ", "語"], ["a", "b", "c", "d", "e", "A", "é"],
        ["\u{E123}", "\u{E00B}", "\u{F0000}"],
    ]

    static func runs(seed: UInt64, count: Int) -> [String] {
        var generator = SeededGenerator(seed: seed)
        return (0 ..< count).map { round in
            let alphabet = alphabets[round % alphabets.count]
            var text = round % 3 == 0 ? "Well, " : ""
            for part in 0 ..< (round % 4 == 0 ? 2 : 1) {
                // Every separator in turn (`round % 4` is 0 here).
                if part > 0 { text += [" and then ", "\n", "<start_of_turn>", "x"][(round / 4) % 4] }
                let length = Int.random(in: 300 ... 1_100, using: &generator)
                var run = ""
                while run.utf8.count < length { run += alphabet.randomElement(using: &generator)! }
                text += run
            }
            return text
        }
    }

    /// Streamed in chunks of 1–8 scalars, every count equals the whole count, and most chunks of a
    /// long open segment are counted from its boundary (the two symbols there stayed two).
    @Test(.needsModel(.gemma3)) func gemma3LongOpenSegmentsCountExactly() throws {
        try Self.expectLongOpenSegmentsCountExactly(.gemma3, seed: 0x6E3)
    }

    @Test(.needsModel(.gemma4)) func gemma4LongOpenSegmentsCountExactly() throws {
        try Self.expectLongOpenSegmentsCountExactly(.gemma4, seed: 0x6E4)
    }

    static func expectLongOpenSegmentsCountExactly(_ spec: SentencePieceSpec, seed: UInt64) throws {
        // An instance of its own: its count of resumptions is this test's alone.
        let tokenizer = try SentencePieceEncoding.load(spec)
        var wrong = [String](), longChunks = 0, kept = 0, seldomKept = [Int]()
        for (index, text) in runs(seed: seed, count: 26).enumerated() {
            var settled: SettledPrefix?
            var grown = ""
            var textLongChunks = 0, textKept = 0
            for chunk in scalarChunks(text, maxChunk: 8, seed: seed &+ UInt64(index)) {
                grown += chunk
                let counted: Int
                (counted, settled) = tokenizer.countAppending(grown, settled: settled)
                if counted != tokenizer.count(grown) { wrong.append("text \(index) at \(grown.utf8.count) bytes") }
                if let settled, grown.utf8.count - settled.bytes > 3 * SentencePieceEncoder.openSegmentMinBytes {
                    textLongChunks += 1
                    if settled.openPiece != nil { textKept += 1 }
                }
            }
            // Every kind keeps one: a run of characters that are no piece too.
            if textLongChunks >= 20 && textKept * 10 < textLongChunks * 8 { seldomKept.append(index) }
            (longChunks, kept) = (longChunks + textLongChunks, kept + textKept)
        }
        #expect(wrong.isEmpty, "\(spec.name): \(wrong.count) wrong counts, e.g. \(wrong.prefix(3))")
        #expect(seldomKept.isEmpty, "texts that seldom kept a boundary: \(seldomKept)")
        let keptShare = "\(kept) of \(longChunks) chunks of long segments kept a boundary"
        #expect(longChunks > 1_000 && kept * 10 > longChunks * 9, "\(keptShare)")
        let resumptions = tokenizer.openSegmentResumptions.load(ordering: .relaxed)
        #expect(resumptions * 10 > longChunks * 9, "\(resumptions) of \(longChunks) chunks resumed from a boundary")
    }

    /// Runs that end in the beginning of a user-defined piece, or hold one: a position before a
    /// resumed boundary may be open, and a piece may come to match across it.
    static let endingInPieces: [String] = zip(
        runs(seed: 0xF4A, count: 5), ["<start_of_tur", "<blockquo", "[multimod", "<h", "<h1>語"]
    ).map { run, piece in String(run.suffix(120)) + piece }

    /// A boundary is only a hint: given one at every character of a segment — true of the text
    /// before it (its ids and last id are that prefix's own), but mostly not a boundary of the whole
    /// segment's merge —, the count is still the whole count. Where the two symbols that meet there
    /// do not stay two, the segment is merged whole; both happen.
    @Test(.needsModel(.gemma3)) func anyBoundaryTrueOfItsPrefixCountsExactly() throws {
        let tokenizer = try SentencePieceEncoding.load(.gemma3)  // its count of resumptions this test's alone
        var wrong = [String](), tried = 0, spelledHints = 0
        for text in Self.runs(seed: 0xB0D, count: 13) + Self.endingInPieces {
            let whole = tokenizer.count(text)
            let bytes = Array(text.utf8)
            for at in 1 ..< bytes.count - 1 where bytes[at] & 0xC0 != 0x80 {
                let prefix = String(decoding: bytes[..<at], as: UTF8.self)
                let ids = tokenizer.encodeOrdinary(prefix)
                guard var last = ids.last else { continue }
                // A last character spelled as its bytes' pieces is a symbol that is no piece: named
                // by its length, as `countAppending` keeps it.
                var start = at - 1
                while bytes[start] & 0xC0 == 0x80 { start -= 1 }
                let spelled = bytes[start ..< at].map { tokenizer.vocabulary.byteIDs[Int($0)] }
                if ids.count >= spelled.count, ids.suffix(spelled.count).elementsEqual(spelled) {
                    last = SentencePieceEncoder.unknownCharacter | Rank(spelled.count)
                    spelledHints += 1
                }
                let hint = OpenPieceCut(at: at, tokens: tokenizer.count(prefix), last: last)
                let settled = SettledPrefix(bytes: 0, tokens: 0, openPiece: hint)
                let counted = tokenizer.countAppending(text, settled: settled).tokens
                if counted != whole { wrong.append("\(at) of \(bytes.count) bytes: \(counted) ≠ \(whole)") }
                tried += 1
            }
        }
        let resumptions = tokenizer.openSegmentResumptions.load(ordering: .relaxed)
        #expect(wrong.isEmpty, "\(wrong.count) of \(tried) wrong, e.g. \(wrong.prefix(3))")
        #expect(resumptions > tried / 10 && resumptions < tried * 9 / 10, "\(resumptions) of \(tried) hints held")
        #expect(spelledHints > 100, "\(spelledHints) hints after a character spelled as bytes")
    }

    /// What a chunk settles holds whatever comes next: a space, a line break, a tag, a space that
    /// does not cut (after `>`), more of the run.
    @Test(.needsModel(.gemma3)) func settledPrefixInALongSegmentHoldsForAnyContinuation() throws {
        let tokenizer = try SentencePieceEncoding.named("gemma3")
        let text = String(Self.runs(seed: 0xC0, count: 1)[0].prefix(700))
        GemmaIncrementalCountTests.expectSettledPrefixHolds(
            tokenizer, text, [" ", "\n", "<start_of_turn>", "> x", "語で", "aaaa", "\u{E000}", "\u{2581}"])
    }
}
