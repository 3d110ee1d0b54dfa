import Foundation
import Testing
import Tokenizer

/// Issue 15, finding 9: a text that grows by appending (a turn streamed in chunks) is counted from
/// its settled prefix on, and the count is exact: oracle `count(text)` of every prefix.
@Suite struct IncrementalCountTests {
    /// Contractions split across chunks ("don" + "'" + "t"), whitespace runs before words, digits,
    /// mixed case, newlines, non-ASCII letters and marks, emoji.
    static let crafted = """
        I don't know, we'll see; they're HERE and I'M not.  It's   fine\n\n  \tOK?\r\n12345678901 apples,
        l'été dernier — ça coûte 9 000 € ; naïve CAFÉ déjà-vu!!! 👩‍👩‍👧 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﬁ   \u{0301}x ABCdef GHIjkl's
        don'T WE'LL you've he'd I'm 'S 's  '  ''' ...   \n \n\n\n    end
        """

    static func texts() throws -> [String] {
        let adversarial = try Fixtures.text(Fixtures.tokenizerDirectory.appendingPathComponent("adversarial.txt"))
        let scalars = Array(adversarial.unicodeScalars)
        var texts = [crafted, String(repeating: crafted, count: 3)]
        for start in stride(from: 0, to: min(scalars.count, 24_000), by: 4_000) {
            var slice = String.UnicodeScalarView()
            slice.append(contentsOf: scalars[start ..< min(scalars.count, start + 1_200)])
            texts.append(String(slice))
        }
        return texts
    }

    /// Cuts `text` into chunks of 1…`maxChunk` Unicode scalars, as a transcriber's partial results come.
    static func chunks(_ text: String, maxChunk: Int, seed: UInt64) -> [String] {
        var state = seed
        var chunks = [String]()
        var current = String.UnicodeScalarView()
        var size = 1
        for scalar in text.unicodeScalars {
            current.append(scalar)
            if current.count >= size {
                chunks.append(String(current))
                current = String.UnicodeScalarView()
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                size = 1 + Int((state >> 33) % UInt64(maxChunk))
            }
        }
        if !current.isEmpty { chunks.append(String(current)) }
        return chunks
    }

    @Test(arguments: ["o200k_base", "cl100k_base"])
    func appendingCountsEqualWholeCounts(encoding: String) throws {
        let tokenizer = try Tokenizers.named(encoding)
        for (index, text) in try Self.texts().enumerated() {
            // One scalar at a time for the crafted text (every boundary); longer chunks elsewhere (the
            // oracle recounts every prefix: quadratic in debug builds).
            for (maxChunk, seed) in (index == 0 ? [(1, 1), (3, 2), (12, 3)] : [(5, 2), (24, 3)]) as [(Int, UInt64)] {
                var settled: SettledPrefix?
                var grown = ""
                var mismatches = 0
                for chunk in Self.chunks(text, maxChunk: maxChunk, seed: seed + UInt64(index)) {
                    grown += chunk
                    let counted: Int
                    (counted, settled) = tokenizer.countAppending(grown, settled: settled)
                    let whole = tokenizer.count(grown)
                    if counted != whole {
                        mismatches += 1
                        if mismatches < 4 {
                            Issue.record("\(encoding) text \(index) chunks ≤ \(maxChunk): \(counted) ≠ \(whole) at \(grown.utf8.count) bytes")
                        }
                    }
                    if let settled { #expect(settled.bytes <= grown.utf8.count) }
                }
                #expect(mismatches == 0)
                // It settles: what is re-scanned at each chunk stays short.
                if index == 1 { #expect((settled?.bytes ?? 0) > text.utf8.count - 400) }
            }
        }
    }

    /// Without settled pieces (SentencePiece merges across the whole text) the count is the whole count.
    @Test func sentencePieceCountsWhole() throws {
        let tokenizer = try Tokenizers.named("gemma3")
        let (count, settled) = tokenizer.countAppending(Self.crafted, settled: nil)
        #expect(count == tokenizer.count(Self.crafted))
        #expect(settled == nil)
    }
}
