import Foundation
import Testing
@testable import Tokenizer

/// A long open piece's end is scanned for from inside it (`OpenPieceRescan`), not from its start:
/// oracles are PCRE2 running tiktoken's pattern (the match from the restart ends where the match
/// from the piece's start ends, whatever is appended) and `count` of every grown text.
@Suite struct OpenPieceRescanTests {
    /// Runs that stay one piece, as segments (alphabet, fewest, most characters): letters of each
    /// case class and script, marks, lower-case letters then Lm/Lo ones, symbols, emoji, symbols
    /// then a line break and slashes (o200k's trailing `[\r\n/]*`), whitespace with and without
    /// line breaks. The same kinds as `scripts/check_open_piece_rescan.py`, which checks the rule
    /// against the `regex` module.
    static let runs: [[([String], Int, Int)]] = [
        [(["a", "b", "ж", "é"], 6, 40)], [(["A", "B", "Ж"], 6, 40)], [(["A", "b", "Ж", "д"], 6, 40)],
        [(["م", "ر", "ح", "ب", "ا"], 6, 40)], [(["ภ", "า", "ษ", "ไ", "ท", "ย", "่", "ั"], 6, 40)],
        [(["न", "म", "स", "्", "त", "े"], 6, 40)], [(["日", "本", "ー"], 6, 40)], [(["م", "ا", "a", "b", "\u{30001}"], 6, 40)],
        [(["A", "B", "م"], 6, 40)], [(["ʰ", "م", "X"], 6, 40)], [(["a", "ж"], 1, 4), (["م", "ا", "日"], 6, 30)],
        [([".", "!", "?", "/", "-"], 6, 40)], [(["😀", "!", "\u{301}"], 6, 40)], [(["'", "!", "s"], 6, 40)],
        [(["!", "?"], 1, 4), (["\n"], 1, 2), (["/"], 6, 30)], [([" ", "\t", "\u{3000}"], 6, 40)],
        [([" ", "\n", "\t"], 6, 40)], [(["\n", "\r"], 6, 40)], [(["/", "\n", "!"], 6, 40)],
    ]
    static let prefixes = ["", "", " ", "!", "\u{301}", "'", "\n"]
    static let suffix = [
        " ", "\n", "\t", "\r", "\u{3000}", "x", "s", "ll", "X", "LT", "Ж", "д", "م", "日", "ʰ", "\u{301}", "'", "'s",
        "'ll", "!", "/", ".", "1", "12", "😀", "\u{30001}", "a b", "!\n", " \n", "\n x",
    ]

    /// For texts that are one piece (the open piece as the last chunk left it) and a boundary at
    /// any character but the last four, wherever the rule restarts the scan, PCRE2's match from
    /// there ends where its match from the start ends, with anything appended — or, where o200k
    /// reads its second letter class on from there (or cl100k a whitespace run after a line
    /// break), that reading ends there. Every kind of run that is often one piece restarts somewhere.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func aRestartEndsWhereTheMatchFromTheStartEnds(encoding name: String) throws {
        let spec = EncodingSpec.all[name]!
        let matcher = try RegexPattern(spec.pattern, extraOptions: spec.patternOptions).makeMatcher()
        let o200k = name == "o200k_base"
        func matchEnd(_ bytes: [UInt8], from start: Int) -> Int? {
            bytes.withUnsafeBufferPointer { buffer in
                (try? matcher.firstMatch(in: buffer.baseAddress!, count: buffer.count, from: start)).flatMap { $0?.upperBound }
            }
        }
        var generator = SeededGenerator(seed: 0x5CA9)
        let secondClass = O200kUnicodeScanner(table: .shared), whitespace = Cl100kScanner(table: .shared)
        var checked = 0, wrong = 0, continuedRestarts = 0, restartsByKind = [Int](repeating: 0, count: Self.runs.count)
        for attempt in 0 ..< 6_000 {
            let kind = attempt % Self.runs.count
            var text = Self.prefixes[Int.random(in: 0 ..< Self.prefixes.count, using: &generator)]
            for (alphabet, fewest, most) in Self.runs[kind] {
                for _ in 0 ..< Int.random(in: fewest ... most, using: &generator) {
                    text += alphabet[Int.random(in: 0 ..< alphabet.count, using: &generator)]
                }
            }
            let bytes = Array(text.utf8)
            guard matchEnd(bytes, from: 0) == bytes.count else { continue }  // not one piece
            let starts = text.unicodeScalars.indices.map { text.utf8.distance(from: text.startIndex, to: $0) }
            let at = starts[Int.random(in: 1 ..< starts.count - 4, using: &generator)]
            let found = bytes.withUnsafeBufferPointer { buffer -> OpenPieceRescan.Restart? in
                let turned = OpenPieceRescan.turns(buffer.baseAddress!, buffer.count, 0 ..< at, o200k: o200k, classes: .shared)
                return OpenPieceRescan.restart(buffer.baseAddress!, buffer.count, boundary: at, turned: turned, o200k: o200k, classes: .shared)
            }
            guard let found else { continue }
            let restart = found.at
            #expect(restart <= at && restart > 0 && starts.contains(restart))
            #expect(o200k ? found.reads != .whitespaceAfterLineBreak : found.reads != .secondLetterClass)
            restartsByKind[kind] += 1
            if found.reads != .pattern { continuedRestarts += 1 }
            for _ in 0 ..< 8 {
                var grown = bytes
                for _ in 0 ..< Int.random(in: 0 ... 5, using: &generator) {
                    grown += Array(Self.suffix[Int.random(in: 0 ..< Self.suffix.count, using: &generator)].utf8)
                }
                let whole = matchEnd(grown, from: 0)
                let restarted: Int? = switch found.reads {
                case .pattern: matchEnd(grown, from: restart)
                case .secondLetterClass: grown.withUnsafeBufferPointer { secondClass.secondClassEnd($0.baseAddress!, $0.count, from: restart) }
                case .whitespaceAfterLineBreak: grown.withUnsafeBufferPointer { whitespace.whitespaceRunEnd($0.baseAddress!, $0.count, from: restart) }
                }
                guard let restarted else { continue }  // undecidable there: the encoder scans from 0
                checked += 1
                if whole != restarted {
                    wrong += 1
                    if wrong < 4 { Issue.record("\(name): \(String(decoding: grown, as: UTF8.self).debugDescription) from \(restart): \(String(describing: restarted)) ≠ \(String(describing: whole))") }
                }
            }
        }
        #expect(wrong == 0)
        #expect(checked > 10_000, "\(checked) restarts checked")
        // o200k reads its second letter class on after a lower-case letter (kinds 7 and 10), cl100k
        // its whitespace run after a line break (kinds 16 and 17).
        #expect(continuedRestarts > 100, "\(continuedRestarts) restarts that read a class or a run on")
        // Every kind that is often one piece restarts: letters of one case or script (cl100k: not
        // those with marks, which split its pieces), symbols, emoji, whitespace.
        let restarting = o200k ? [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 16, 17] : [0, 1, 3, 6, 7, 8, 9, 11, 12, 15, 16, 17]
        for kind in restarting {
            #expect(restartsByKind[kind] > 20, "\(name): kind \(kind) restarted \(restartsByKind[kind]) times")
        }
    }

    /// Long runs of every kind the audit streamed — emoji, Arabic, Devanagari, Thai, Cyrillic,
    /// capitals, symbols, spaces, tabs, line breaks, lower-case letters then Arabic — streamed in
    /// chunks of 1–8 scalars: exact at every chunk, the boundary's `turned` what the bytes before
    /// it give, and once a run is long, most chunks scan for the open piece's end from inside
    /// it (what keeps a chunk's work linear in the chunk).
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func longRunsStreamExactlyScanningFromInside(encoding name: String) throws {
        let tokenizer = try BPEEncoding.named(name)
        let alphabets: [[String]] = [
            ["😀", "🎉"], ["م", "ر", "ح", "ب", "ا"], ["न", "म", "स", "्", "त", "े"], ["ภ", "า", "ษ", "ไ", "ท", "ย", "่"],
            ["п", "р", "и", "в", "е", "т"], ["A", "B", "Ж"], ["!", "?", "."], [" "], ["\t", " "], ["x", "y"], [" ", " ", "\n"],
        ]
        var generator = SeededGenerator(seed: 0x12E5CA)
        var wrong = 0, longChunks = 0, wrongFlags = 0, turnedChunks = 0, otherChunks = 0
        let rescansBefore = tokenizer.openPieceRescans.load(ordering: .relaxed)
        for round in 0 ..< 22 {
            let alphabet = alphabets[round % alphabets.count]
            // Some runs come after lower-case letters (o200k: restarts only at lower-case ones,
            // so none in Arabic there), some end and go on as another run.
            var text = round % 3 == 1 ? "abc" : ""
            let length = Int.random(in: 900 ... 1_800, using: &generator)
            while text.utf8.count < length { text += alphabet[Int.random(in: 0 ..< alphabet.count, using: &generator)] }
            if round % 4 == 3 { text += " then " + String(repeating: alphabet[0], count: 200) }
            // o200k: Arabic, lower-case letters in its middle, Arabic again: one piece, turned once
            // its boundary is past the lower-case letters (then its second class is read on).
            if round % 10 == 1 { text += "xyz" + String(repeating: "مرحبا", count: 80) }
            IncrementalCountTests.stream(text, tokenizer, maxChunk: 8, seed: generator.next(), wrongCounts: &wrong) { grown, settled in
                guard let settled, let open = settled.openPiece else { return }
                if grown.utf8.count - settled.bytes > OpenPieceCut.minPieceBytes + 64 { longChunks += 1 }
                // The flag carried from chunk to chunk is the one the piece's bytes before the
                // boundary give.
                let bytes = Array(grown.utf8[grown.utf8.index(grown.utf8.startIndex, offsetBy: settled.bytes)...])
                let expected = bytes.withUnsafeBufferPointer {
                    OpenPieceRescan.turns($0.baseAddress!, $0.count, 0 ..< open.at, o200k: name == "o200k_base", classes: .shared)
                }
                if open.turned != expected {
                    wrongFlags += 1
                    if wrongFlags < 4 { Issue.record("\(name): turned \(open.turned) at \(open.at) of \(grown.utf8.count - settled.bytes) open bytes") }
                }
                if expected { turnedChunks += 1 } else { otherChunks += 1 }
            }
        }
        #expect(wrong == 0 && wrongFlags == 0)
        // Both values occur: lower-case letters (o200k) or a line break (cl100k) came before.
        #expect(turnedChunks > 100 && otherChunks > 500, "\(turnedChunks) turned, \(otherChunks) not")
        let rescans = tokenizer.openPieceRescans.load(ordering: .relaxed) - rescansBefore
        #expect(longChunks > 1_000 && rescans * 10 > longChunks * 6, "\(rescans) of \(longChunks) long chunks scanned from inside")
    }
    /// o200k: a whitespace run holding line breaks, streamed in chunks that end in a space after
    /// the last one ("\n " at a time), is one piece up to that line break and a piece of spaces
    /// after it. The run's piece does not end where the text ends, yet the settled prefix stays at
    /// its start: it keeps a boundary all the same (it kept none and was merged whole at every
    /// chunk: 40,000 chunks took 96.6 s of `serve`).
    @Test func aWhitespaceRunBeforeTrailingSpacesKeepsItsBoundary() throws {
        let tokenizer = try BPEEncoding.named("o200k_base")
        var grown = "", settled: SettledPrefix?, wrong = 0, longChunks = 0, kept = 0
        for _ in 0 ..< 600 {
            grown += "\n "
            let counted: Int
            (counted, settled) = tokenizer.countAppending(grown, settled: settled)
            if counted != tokenizer.count(grown) { wrong += 1 }
            if grown.utf8.count - (settled?.bytes ?? 0) > OpenPieceCut.minPieceBytes + 64 {
                longChunks += 1
                if settled?.openPiece != nil { kept += 1 }
            }
        }
        #expect(wrong == 0)
        #expect(longChunks > 300 && kept == longChunks, "\(kept) of \(longChunks) long chunks kept a boundary")
    }
}
