import Foundation
import Testing
@testable import Tokenizer

@Suite struct VocabularyTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbudget-vocab-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func missingVocabularyNamesTheFileAndTheFix() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try BPEEncoding.load(.o200kBase, directory: directory)
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            #expect(error.code == .vocabularyMissing)
            #expect(error.message.contains("o200k_base.tiktoken"))
            #expect(error.message.contains("bootstrap.sh"))
        }
    }

    @Test func corruptVocabularyIsRefusedNotApproximated() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var bytes = try Fixtures.bytes(VocabularyLocator.defaultDirectory.appendingPathComponent("cl100k_base.tiktoken"))
        bytes[1000] = bytes[1000] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try Data(bytes).write(to: directory.appendingPathComponent("cl100k_base.tiktoken"))
        do {
            _ = try BPEEncoding.load(.cl100kBase, directory: directory)
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            #expect(error.code == .vocabularyCorrupt)
            #expect(error.message.contains("cl100k_base.tiktoken"))
        }
    }

    /// The binary image beside the vocabulary is written on the first load, read back on the next
    /// with the same tables (ranks, pairs, character cuts, short tokens, memo seed), and rebuilt when damaged.
    @Test func vocabularyCacheIsWrittenReusedAndRebuiltWhenDamaged() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = VocabularyLocator.defaultDirectory.appendingPathComponent("o200k_base.tiktoken")
        try FileManager.default.copyItem(at: source, to: directory.appendingPathComponent("o200k_base.tiktoken"))
        let cache = directory.appendingPathComponent("o200k_base.tiktoken.tbcache")
        let built = try BPEEncoding.load(.o200kBase, directory: directory)
        #expect(FileManager.default.fileExists(atPath: cache.path))
        let reused = try BPEEncoding.load(.o200kBase, directory: directory)
        #expect(reused.pairs.slots == built.pairs.slots)
        #expect(reused.cuts.bigrams == built.cuts.bigrams && reused.cuts.straddles == built.cuts.straddles)
        #expect(reused.table.slots == built.table.slots && reused.table.bytes == built.table.bytes)
        #expect(reused.shortTokens !== built.shortTokens && reused.shortTokens.lineBits == built.shortTokens.lineBits)
        #expect(Array(reused.shortTokens.lineWords) == Array(built.shortTokens.lineWords))
        #expect(Array(reused.shortTokens.filterWords) == Array(built.shortTokens.filterWords))
        #expect(Array(try #require(reused.memoSeed).storedWords) == Array(try #require(built.memoSeed).storedWords))
        let text = "中华人民共和国的首都是北京，我们一起去看看吧。Hello, world! ١٢٣ 😀"
        #expect(reused.encodeOrdinary(text) == built.encodeOrdinary(text))
        var damaged = try Fixtures.bytes(cache)
        damaged[damaged.count / 2] ^= 0xFF
        try Data(damaged).write(to: cache)
        let rebuilt = try BPEEncoding.load(.o200kBase, directory: directory)
        #expect(rebuilt.encodeOrdinary(text) == built.encodeOrdinary(text))
        #expect(try Fixtures.bytes(cache) != damaged, "the damaged image was rewritten")
        #expect(VocabularyCache.load(cache, sourceHash: xxh3(try Fixtures.bytes(source))) != nil)
        // An image whose short-token table is not this build's (empty here; in life, stored before a
        // change of its hashing without a new magic) is refused and rebuilt: it would slow every piece.
        let empty = ShortTokenTable(lineBits: built.shortTokens.lineBits) { _, _ in true }!
        let seed = try #require(built.memoSeed)
        VocabularyCache.store(built.table, built.pairs, built.cuts, built.atoms, empty, seed, to: cache, sourceHash: xxh3(try Fixtures.bytes(source)))
        #expect(VocabularyCache.load(cache, sourceHash: xxh3(try Fixtures.bytes(source))) == nil)
        let afterStale = try BPEEncoding.load(.o200kBase, directory: directory)
        #expect(Array(afterStale.shortTokens.lineWords) == Array(built.shortTokens.lineWords))
        #expect(VocabularyCache.load(cache, sourceHash: xxh3(try Fixtures.bytes(source))) != nil)
        // So is a memo seed of another slot layout (here every word one place later): its slots
        // would name tokens for other bytes, and change ids.
        let shifted = try #require(MemoSeed { words in
            (words + 1).update(from: seed.words, count: ShortPieceMemo.wordCount - 1)
            return true
        })
        VocabularyCache.store(built.table, built.pairs, built.cuts, built.atoms, built.shortTokens, shifted, to: cache, sourceHash: xxh3(try Fixtures.bytes(source)))
        #expect(VocabularyCache.load(cache, sourceHash: xxh3(try Fixtures.bytes(source))) == nil)
        let afterShifted = try BPEEncoding.load(.o200kBase, directory: directory)
        #expect(Array(try #require(afterShifted.memoSeed).storedWords) == Array(seed.storedWords))
    }

    @Test func malformedLinesAreReportedWithTheirLineNumber() throws {
        let good = Array("IQ== 0\nIg== 1\n".utf8)
        let table = try TiktokenFile.parse(good, path: "t")
        #expect(table.rankCount == 2)
        #expect(table.bytes(of: 1) == [UInt8(ascii: "\"")])
        for bad in ["IQ== 0\nIg==\n", "IQ== 0\n!!!! 1\n", "IQ== 0\nIQ== 1\n", "IQ== 0\nIg== 0\n", "IQ== x\n"] {
            #expect(throws: TokenizerError.self) { try TiktokenFile.parse(Array(bad.utf8), path: "t") }
        }
        do {
            _ = try TiktokenFile.parse(Array("IQ== 0\nIg==\n".utf8), path: "v.tiktoken")
        } catch let error as TokenizerError {
            #expect(error.message.hasPrefix("v.tiktoken:2:"))
        }
    }

    @Test func rankTableRoundTripsEveryToken() throws {
        let table = Fixtures.o200k.table
        var present = 0
        for rank in 0 ..< Rank(table.rankCount) {
            guard let bytes = table.bytes(of: rank) else { continue }
            present += 1
            #expect(Array(bytes).withUnsafeBytes { table.rank(of: $0) } == rank)
        }
        #expect(present == 199_998)
        #expect([UInt8]("not-a-token-xyzzy".utf8).withUnsafeBytes { table.rank(of: $0) } == RankTable.none)
    }

    /// The filter in front of the slots finds every token (above) and turns most other byte
    /// strings away before the probe: of 20,000 random ones, under 5 % pass it.
    @Test func rankFilterTurnsAwayMostNonTokens() {
        let table = Fixtures.o200k.table
        var generator = SeededGenerator(seed: 0xF117E4)
        var passed = 0
        for _ in 0 ..< 20_000 {
            let bytes = (0 ..< Int.random(in: 5 ... 14, using: &generator)).map { _ in UInt8.random(in: 0x61 ... 0x7A, using: &generator) }
            let hash = bytes.withUnsafeBytes { xxh3($0) }
            let (word, bits) = RankTable.filterPosition(hash & 0xFFFF_FFFF_0000_0000)
            if table.filter[word] & bits == bits { passed += 1 }
        }
        #expect(passed < 1_000, "\(passed) of 20,000 passed the filter")
    }
}
