import Foundation
import Testing
import Tokenizer

/// The hand-written scanners (o200k: `O200kASCIIScanner` then `O200kUnicodeScanner`; cl100k:
/// `Cl100kScanner`), with PCRE2 deciding what they leave, must cut exactly the pieces PCRE2 alone
/// cuts. The oracle is the encoding's own pattern and options, run with `forEachMatch`.
@Suite struct SplitScannerTests {
    static let encodings = ["o200k_base", "cl100k_base"]
    static let references = encodings.map { name in
        let spec = EncodingSpec.all[name]!
        return try! RegexPattern(spec.pattern, extraOptions: spec.patternOptions)
    }

    static func referencePieces(_ text: String, _ encoding: String) -> [Range<Int>] {
        var ranges = [Range<Int>]()
        let bytes = Array(text.utf8)
        bytes.withUnsafeBufferPointer { buffer in
            try! references[encodings.firstIndex(of: encoding)!].makeMatcher().forEachMatch(in: buffer) { ranges.append($0) }
        }
        return ranges
    }

    static func expectSamePieces(_ text: String, _ encoding: String, _ label: @autoclosure () -> String) {
        let ours = Fixtures.encoding(encoding).pieceRanges(text)
        let expected = referencePieces(text, encoding)
        guard ours != expected else { return }
        let index = (0 ..< min(ours.count, expected.count)).first { ours[$0] != expected[$0] } ?? min(ours.count, expected.count)
        let bytes = Array(text.utf8)
        func show(_ ranges: [Range<Int>]) -> String {
            guard index < ranges.count else { return "(none)" }
            return String(decoding: bytes[ranges[index]], as: UTF8.self).debugDescription
        }
        Issue.record("\(encoding) \(label()): piece \(index) is \(show(ours)), PCRE2 cuts \(show(expected))")
    }

    @Test(.needsShared, arguments: encodings)
    func corpusSplitsAsPCRE2(_ encoding: String) throws {
        let shared = try Fixtures.shared()
        let corpus = shared.appendingPathComponent("corpus")
        for file in try FileManager.default.contentsOfDirectory(atPath: corpus.path) where file.hasSuffix(".txt") {
            let bytes = try Fixtures.bytes(corpus.appendingPathComponent(file))
            Self.expectSamePieces(String(decoding: bytes, as: UTF8.self), encoding, file)
        }
    }

    /// Every byte the scanners decide on, next to non-ASCII characters of every class they tell
    /// apart: Unicode spaces (U+0085, U+00A0, U+2000, U+2028, U+3000, U+180E which is not one),
    /// letters of each case class (é É ж Ж ω Ω ǅ titlecase, ʰ ー ゝ modifiers, 中 한 ع क other, 𝐀 𝐚
    /// outside the BMP), marks (U+0301, U+064B, U+093F, U+094D, U+FE0F), numbers (٣ ² Ⅻ ½ 𝟘),
    /// U+017F which (?i) matches as s, the Kelvin sign, CJK punctuation, symbols, emoji, ZWJ,
    /// private use, and code points above plane 2 (U+30000, tags, plane 16) that PCRE2 decides.
    @Test(arguments: encodings)
    func randomStringsSplitAsPCRE2(_ encoding: String) {
        let ascii = Array("aZbYsStTrReEvVmMlLdD09 \t\n\r\u{0B}\u{0C}'/.,;-_!?\"()[]{}<>$#@%^&*+=|\\~`\u{00}\u{1F}\u{7F}")
            .map(String.init)
        let nonASCII = [
            "\u{85}", "\u{A0}", "\u{2000}", "\u{3000}", "\u{180E}", "\u{2028}", "é", "É", "ǅ", "ʰ", "中", "\u{301}",
            "٣", "²", "Ⅻ", "½", "\u{17F}", "\u{212A}", "€", "—", "😀", "👍🏽", "ß", "Ж", "ж", "Ω", "ω", "ع", "\u{64B}",
            "क", "\u{93F}", "\u{94D}", "ー", "ゝ", "。", "，", "“", "한", "\u{FE0F}", "\u{200D}", "\u{E000}", "𝐀",
            "𝐚", "𝟘", "\u{30000}", "\u{E0041}", "\u{10FFFD}", "\u{1F1FA}",
        ]
        var generator = SeededGenerator(seed: 0x5CA9_0200)
        for _ in 0 ..< 60_000 {
            var text = ""
            for _ in 0 ..< Int.random(in: 0 ... 24, using: &generator) {
                let fromASCII = Int.random(in: 0 ..< 10, using: &generator) < 8
                text += (fromASCII ? ascii : nonASCII).randomElement(using: &generator)!
            }
            Self.expectSamePieces(text, encoding, text.debugDescription)
        }
    }

    /// Letter runs of 0–40 letters, so that `O200kASCIIScanner.runEnd` (8 bytes a word) ends its
    /// runs at every offset of a word and at the text's end, broken by the bytes next to the
    /// letter ranges ('@', '[', '`', '{'), capitals, apostrophes, digits and letters ≥ 0x80.
    @Test(arguments: encodings)
    func longLetterRunsSplitAsPCRE2(_ encoding: String) {
        let lower = Array("abcdefghijklmnopqrstuvwxyz").map(String.init), upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ").map(String.init)
        let breaks = ["@", "[", "`", "{", "'", "'s", "'LL", " ", "\n", "7", "é", "É", "ß", "\u{301}", "ж", "中", "-"]
        var generator = SeededGenerator(seed: 0x5CA9_0800)
        for _ in 0 ..< 20_000 {
            var text = ""
            for _ in 0 ..< Int.random(in: 1 ... 4, using: &generator) {
                for _ in 0 ..< Int.random(in: 0 ... 2, using: &generator) { text += upper.randomElement(using: &generator)! }
                for _ in 0 ..< Int.random(in: 0 ... 40, using: &generator) { text += lower.randomElement(using: &generator)! }
                if Bool.random(using: &generator) { text += breaks.randomElement(using: &generator)! }
            }
            Self.expectSamePieces(text, encoding, text.debugDescription)
        }
    }

    /// Words of every letter class the o200k word walk (`O200kUnicodeScanner.plainWordEnd`) tells
    /// apart — capitals (É Ж Ω, titlecase ǅ, ASCII), lower case (é ж ω ß, ASCII), Lm/Lo (ʰ ー 中
    /// ع क ก) and marks (U+0301, U+093F, U+0E34) — in any order, after an optional space or other
    /// prefix, ended by a space, a contraction, a digit, punctuation or the text's end: every phase
    /// change of the walk and every case it leaves to the general walk.
    @Test(arguments: encodings)
    func mixedClassWordsSplitAsPCRE2(_ encoding: String) {
        let letters = [
            "É", "Ж", "Ω", "ǅ", "A", "é", "ж", "ω", "ß", "a", "ʰ", "ー", "中", "ع", "क", "ก", "\u{301}", "\u{93F}", "\u{E34}",
        ]
        let prefixes = ["", " ", " ", "«", "\n", "  "]  // a single space twice: the commonest prefix
        let ends = ["", " ", "'s", "'LL", "'\u{17F}", "7", "٣", ",", "\n", "\u{A0}", "-"]
        var generator = SeededGenerator(seed: 0x5CA9_0A11)
        for _ in 0 ..< 30_000 {
            var text = ""
            for _ in 0 ..< Int.random(in: 1 ... 3, using: &generator) {
                text += prefixes.randomElement(using: &generator)!
                for _ in 0 ..< Int.random(in: 1 ... 8, using: &generator) { text += letters.randomElement(using: &generator)! }
                text += ends.randomElement(using: &generator)!
            }
            Self.expectSamePieces(text, encoding, text.debugDescription)
        }
    }

    @Test(arguments: encodings)
    func adversarialFixtureSplitsAsPCRE2(_ encoding: String) throws {
        for name in ["adversarial.txt", "gemma_adversarial.txt"] {
            Self.expectSamePieces(try Fixtures.text(Fixtures.tokenizerDirectory.appendingPathComponent(name)), encoding, name)
        }
    }
}
