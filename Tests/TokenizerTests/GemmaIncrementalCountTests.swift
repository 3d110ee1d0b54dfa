import Foundation
import Testing
import Tokenizer

/// A Gemma turn that grows by appending (streamed in chunks) is counted from its settled prefix on
/// (`SentencePieceEncoding.countAppending`), and the count is exact: oracle `count(text)` of every
/// prefix, and of the prefix followed by texts chosen to change what a too-eager settle would freeze.
@Suite struct GemmaIncrementalCountTests {
    /// Space, newline and tab runs past the longest user-defined run (31), tags that are user-defined
    /// pieces and prefixes of longer ones (`<s>` / `<sub>`, `<b>` / `<blockquote>`), look-alikes that
    /// are no piece, `>` before a space (`>▁</` merges across it), a CJK line with no space, digits,
    /// emoji and characters only byte fallback spells, a literal U+2581.
    static let crafted = """
        <start_of_turn>user
        So the panels,\(String(repeating: " ", count: 40))they'd cover\(String(repeating: " ", count: 95))about 40 m²?
        \(String(repeating: "\n", count: 36))\(String(repeating: "\t", count: 33))x \t \n\t\n  \n\n\n   \t\t
        <table><tr><td>1</td><td> 2 </td></tr></table> <blockquote><b>bold</b> <body> <bbox> <s>a</s> <sub>2</sub>
        <sup>3</sup><span> x </span> <strong>y</strong> <start_of_tur> <start_of_turnx> <unused17> <unused999999>
        a > </b> x> </c> y>  </div>> </ <i>i</i><u>  </u>
        人工智能是计算机科学的一个分支，它企图了解智能的实质，并生产出一种新的能以人类智能相似的方式做出反应的智能机器。
        1234567890 3.14159 2026-12-05 0x7FFF 1,000,000
        👩‍👩‍👧 🙂🙂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 \u{E000}\u{F8FF} \u{10FFFD} ▁▁ a▁b \u{0301}x<end_of_turn>
        <start_of_turn>model
        Yes. I don't know, we'll see; they're HERE and I'M not.  It's   fine\n\n  \tOK?\r\n
        """

    /// Endings that change a too-eager settle: longer runs, the rest of a longer tag, `</` after `> `.
    static let continuations = [
        String(repeating: " ", count: 40), String(repeating: "\n", count: 40), String(repeating: "\t", count: 40),
        "ub>", "lockquote>", "tart_of_turn>", "_of_turn>", "</b>", "/", "人工智能", "9", "🙂", "x",
    ]

    static func texts() throws -> [String] {
        let adversarial = try Fixtures.text(Fixtures.tokenizerDirectory.appendingPathComponent("gemma_adversarial.txt"))
        let scalars = Array(adversarial.unicodeScalars)
        var texts = [crafted, String(repeating: crafted, count: 3)]
        for start in stride(from: 0, to: scalars.count, by: 9_000) {
            var slice = String.UnicodeScalarView()
            slice.append(contentsOf: scalars[start ..< min(scalars.count, start + 1_500)])
            texts.append(String(slice))
        }
        return texts
    }

    @Test(.needsModel(.gemma3)) func gemma3AppendingCountsEqualWholeCounts() throws {
        try Self.expectAppendingCountsEqualWholeCounts(.gemma3)
    }

    @Test(.needsModel(.gemma4)) func gemma4AppendingCountsEqualWholeCounts() throws {
        try Self.expectAppendingCountsEqualWholeCounts(.gemma4)
    }

    @Test(.needsModel(.gemma3)) func gemma3SettledPrefixHoldsForAnyContinuation() throws {
        Self.expectSettledPrefixHolds(try SentencePieceEncoding.named("gemma3"), Self.crafted, Self.continuations)
    }

    @Test(.needsModel(.gemma4)) func gemma4SettledPrefixHoldsForAnyContinuation() throws {
        Self.expectSettledPrefixHolds(try SentencePieceEncoding.named("gemma4"), Self.crafted, Self.continuations)
    }

    /// Gemma's own user-defined pieces never put a segment start where a longer match could still
    /// cover it (no piece is a proper prefix of another but the runs, whose every length is a piece,
    /// and none holds a byte that starts a piece past its first), so the gemma tests above cannot see
    /// a settle too close to the end. This variant of gemma3 has two pieces that can: `<q>` and
    /// `<q>▁<q>!`. In `a <q> <q>` the last `<q>` starts a segment, but appending `!` makes the
    /// first `<q> <q>!` one piece.
    @Test(.needsModel(.gemma3)) func settledPrefixHoldsWhenAPieceExtendsAnother() throws {
        let path = VocabularyLocator.defaultDirectory.appendingPathComponent(SentencePieceSpec.gemma3.modelFile).path
        var model = try SentencePieceModel.parse(try Fixtures.bytes(URL(fileURLWithPath: path)), path: path)
        for (index, piece) in [(56, "<q>"), (57, "<q>\u{2581}<q>!")] {
            #expect(model.pieces[index].type == .userDefined && model.pieces[index].bytes.starts(with: Array("<unused5".utf8)))
            model.pieces[index].bytes = Array(piece.utf8)
        }
        let variant = try SentencePieceEncoding(name: "gemma3-nested", model: model)
        #expect(variant.count("<q> <q>!") == 1 && variant.count("<q> <q>") == 3)
        let text = "a <q> <q> <q>! b<q> <q>x <q>  <q> <q>\n<q> <q>!<q>"
        Self.expectSettledPrefixHolds(variant, text, ["!", " <q>!", "<q>", " ", "x"])
    }

    static func expectAppendingCountsEqualWholeCounts(_ spec: SentencePieceSpec) throws {
        let tokenizer = try SentencePieceEncoding.named(spec.name)
        for (index, text) in try Self.texts().enumerated() {
            // Every scalar boundary for the crafted text; longer chunks elsewhere (the oracle recounts
            // every prefix: quadratic in debug builds).
            for (maxChunk, seed) in (index == 0 ? [(1, 1), (4, 2), (17, 3)] : [(6, 4), (40, 5)]) as [(Int, UInt64)] {
                var settled: SettledPrefix?
                var grown = ""
                var mismatches = [String]()
                for chunk in scalarChunks(text, maxChunk: maxChunk, seed: seed + UInt64(index)) {
                    grown += chunk
                    let previous = settled
                    let counted: Int
                    (counted, settled) = tokenizer.countAppending(grown, settled: settled)
                    let whole = tokenizer.count(grown)
                    if counted != whole { mismatches.append("\(counted) ≠ \(whole) at \(grown.utf8.count) bytes") }
                    if let settled {
                        #expect(settled.bytes <= grown.utf8.count && settled.bytes >= (previous?.bytes ?? 0))
                    }
                }
                #expect(mismatches.count == 0, "\(spec.name) text \(index) chunks ≤ \(maxChunk): \(mismatches.prefix(3))")
                // It settles: what is re-scanned at each chunk stays short.
                if index == 1 { #expect((settled?.bytes ?? 0) > text.utf8.count - 400) }
            }
        }
    }

    /// What is settled holds whatever is appended, not only the text that came: after every scalar
    /// of `text`, each continuation counted from the settled prefix equals the whole count.
    static func expectSettledPrefixHolds(_ tokenizer: SentencePieceEncoding, _ text: String, _ continuations: [String]) {
        var settled: SettledPrefix?
        var grown = ""
        var mismatches = [String]()
        for chunk in scalarChunks(text, maxChunk: 1, seed: 7) {
            grown += chunk
            let counted: Int
            (counted, settled) = tokenizer.countAppending(grown, settled: settled)
            if counted != tokenizer.count(grown) { mismatches.append("\(grown.utf8.count) bytes") }
            for continuation in continuations {
                let longer = grown + continuation
                if tokenizer.countAppending(longer, settled: settled).tokens != tokenizer.count(longer) {
                    mismatches.append("\(grown.utf8.count) bytes + \(continuation.debugDescription)")
                }
            }
        }
        #expect(mismatches.count == 0, "\(tokenizer.name): \(mismatches.count) mismatches, e.g. \(mismatches.prefix(3))")
    }
}

extension Trait where Self == ConditionTrait {
    /// A test of a SentencePiece model is reported skipped, not passed, where the model is not installed
    /// (`scripts/bootstrap.sh` installs it).
    static func needsModel(_ spec: SentencePieceSpec) -> Self {
        let path = VocabularyLocator.defaultDirectory.appendingPathComponent(spec.modelFile).path
        return .enabled(if: FileManager.default.fileExists(atPath: path), "needs \(path), absent on this machine")
    }
}
