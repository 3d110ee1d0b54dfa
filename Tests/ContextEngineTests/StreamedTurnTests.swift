import ContextEngine
import Testing
import Tokenizer

/// Issue 15, finding 9: a turn streamed as many partial chunks. Each chunk tokenizes only what follows
/// the turn's settled prefix (not the whole turn again), and its delta says what was appended.
@Suite struct StreamedTurnTests {
    /// Forwards to o200k and counts the bytes it is asked to scan.
    final class CountingTokenizer: TextTokenizer, @unchecked Sendable {
        let inner = TestSupport.o200k
        var scanned = 0
        var name: String { inner.name }
        func encodeOrdinary(_ text: String) -> [Rank] { inner.encodeOrdinary(text) }
        func count(_ text: String) -> Int {
            scanned += text.utf8.count
            return inner.count(text)
        }
        func count(_ text: String, upTo limit: Int) -> Int? {
            scanned += text.utf8.count
            return inner.count(text, upTo: limit)
        }
        func decodeBytes(_ ids: [Rank]) throws -> [UInt8] { try inner.decodeBytes(ids) }
        func countAppending(_ text: String, settled: SettledPrefix?) -> (tokens: Int, settled: SettledPrefix?) {
            scanned += text.utf8.count - (settled?.bytes ?? 0)
            return inner.countAppending(text, settled: settled)
        }
    }

    static let sentence = "So the panels, they'd cover about 40 square metres? I don't know. "

    /// A 2,000-byte turn in 400 chunks of 5 bytes: every count equals the whole turn's count (oracle:
    /// o200k on the whole text), and the tokenizer scans O(turn bytes) in all. Before, each chunk
    /// recounted the whole turn: ~400 KB scanned for 2 KB of text.
    @Test func aStreamedTurnIsCountedIncrementallyAndExactly() throws {
        let tokenizer = CountingTokenizer()
        var session = try ContextSession(
            id: "s", script: TestSupport.script(tokens: 100), configuration: SessionConfiguration(window: 100_000),
            tokenizer: tokenizer)
        let text = String(String(repeating: Self.sentence, count: 40).utf8.prefix(2_000))!
        let bytes = Array(text.utf8)
        var grown = ""
        for start in stride(from: 0, to: bytes.count, by: 5) {
            let chunk = String(decoding: bytes[start ..< min(bytes.count, start + 5)], as: UTF8.self)
            grown += chunk
            let outcome = try session.apply(.turn(.user, text: chunk, final: false))
            let item = try #require(outcome.delta.added.first ?? outcome.delta.updated.first)
            #expect(item.tokens == TestSupport.o200k.count(grown), "at \(grown.utf8.count) bytes")
            if !outcome.delta.updated.isEmpty { #expect(outcome.delta.appended(0) == chunk) }
        }
        #expect(tokenizer.scanned < 10 * bytes.count, "scanned \(tokenizer.scanned) bytes for a \(bytes.count)-byte turn")
        // The turn completes; a rebuild with stored counts gives the same hash (no counting at all).
        let final = try session.apply(.turn(.user, text: "", final: true))
        #expect(final.delta.updated.first?.final == true && final.delta.appended(0) == "")
    }

    /// A chunk grows the turn's text in place and hashes on from the turn's XXH3 stream. Oracles: the
    /// texts by concatenation; the invariants, which after every event (debug builds) recompute each
    /// item's hash from its text in one pass; a session restored from a checkpoint, whose hashes are
    /// computed in one pass. A copy of the session goes on with other chunks without touching the
    /// original's stream, and a chunk refused over budget leaves text, counts and hash as they were.
    @Test func aStreamedTurnGrowsInPlaceAndHashesOn() throws {
        var session = try TestSupport.session(scriptTokens: 100, window: 300)
        _ = try session.apply(.turn(.user, text: "Hello ", final: false))
        _ = try session.apply(.turn(.user, text: "thére, ", final: false))
        var copy = session
        _ = try copy.apply(.turn(.user, text: "copy ", final: false))
        _ = try session.apply(.turn(.user, text: "original\u{301} ", final: false))
        #expect(copy.invariantViolation() == nil && session.invariantViolation() == nil)
        #expect(copy.snapshot().items.last?.text == "Hello thére, copy ")
        #expect(session.snapshot().items.last?.text == "Hello thére, original\u{301} ")

        let before = session.snapshot()
        let refused = #expect(throws: ContextError.self) {
            // It starts with a combining mark: taken back at a scalar, not a character, boundary.
            try session.apply(.turn(.user, text: "\u{301}" + String(repeating: "word ", count: 400), final: false))
        }
        #expect(refused?.code == .overBudget)
        #expect(session.snapshot() == before, "a refused chunk changed the session")

        // A combining mark at the chunk's start: the text is one more scalar, not a new character.
        _ = try session.apply(.turn(.user, text: "\u{301}again", final: false))
        var restored = try TestSupport.session(scriptTokens: 100, window: 300)
        try restored.restore(checkpoint: session.checkpoint())
        #expect(restored.hash == session.hash)
        _ = try restored.apply(.turn(.user, text: " and on", final: true))
        let last = try session.apply(.turn(.user, text: " and on", final: true))
        #expect(restored.hash == session.hash && restored.snapshot() == session.snapshot())
        #expect(last.transcript.last?.content == "Hello thére, original\u{301} \u{301}again and on")
        #expect(last.transcript.last?.tokens == TestSupport.o200k.count("Hello thére, original\u{301} \u{301}again and on"))
    }

    /// The hash stream belongs to the text it hashed: a live session restored from a checkpoint, or
    /// a new turn that takes the ordinal of one rolled back with it, starts a stream of its own.
    /// Oracle: the invariants (each item's hash recomputed from its text) and a session that never
    /// streamed before the checkpoint.
    @Test func aRestoredSessionDoesNotHashOnFromAnotherText() throws {
        var session = try TestSupport.session(scriptTokens: 100, window: 3_000)
        _ = try session.apply(.turn(.user, text: "ab", final: false))
        let twoBytes = session.checkpoint()
        _ = try session.apply(.turn(.user, text: "d", final: false))
        let threeBytes = session.checkpoint()
        try session.restore(checkpoint: twoBytes)
        _ = try session.apply(.turn(.user, text: "c", final: false))  // "abc": the same ordinal and length as "abd"
        try session.restore(checkpoint: threeBytes)
        _ = try session.apply(.turn(.user, text: "e", final: false))
        #expect(session.invariantViolation() == nil)
        var fresh = try TestSupport.session(scriptTokens: 100, window: 3_000)
        try fresh.restore(checkpoint: threeBytes)
        _ = try fresh.apply(.turn(.user, text: "e", final: false))
        #expect(fresh.hash == session.hash)

        var reused = try TestSupport.session(scriptTokens: 100, window: 3_000)
        let empty = reused.checkpoint()
        _ = try reused.apply(.turn(.user, text: "ab", final: false))
        _ = try reused.apply(.turn(.user, text: "c", final: false))
        try reused.restore(checkpoint: empty)
        _ = try reused.apply(.turn(.user, text: "xyz", final: false))  // the same ordinal, 3 bytes
        _ = try reused.apply(.turn(.user, text: "!", final: false))
        #expect(reused.invariantViolation() == nil)
        #expect(reused.snapshot().items.last?.text == "xyz!")
    }
}
