import Foundation
import Testing
import Tokenizer

/// Gemma (SentencePiece BPE) ids equal the `sentencepiece` library's, token for token: on the corpus,
/// the adversarial files and generated inputs (fixtures/tokenizer/gemma_reference.json, from
/// sentencepiece 0.2.3 via scripts/make_gemma_fixtures.py), and on 600 random strings.
@Suite struct GemmaExactnessTests {
    struct Expected: Decodable, Sendable {
        var count: Int
        var sha256_16: String
    }
    struct Input: Decodable, Sendable {
        var bytes: Int
        var gemma3: Expected
        var gemma4: Expected
    }
    struct UnusedVariant: Decodable, Sendable {
        var unused_ids: [Int]
        var input: String
        var count: Int
        var sha256_16: String
    }
    struct GemmaReference: Decodable, Sendable {
        var inputs: [String: Input]
        var unused_variant: UnusedVariant
    }

    static let reference: GemmaReference = {
        let url = Fixtures.tokenizerDirectory.appendingPathComponent("gemma_reference.json")
        return try! JSONDecoder().decode(GemmaReference.self, from: Data(contentsOf: url))
    }()

    struct Case: Sendable, CustomTestStringConvertible {
        var input: String
        var model: String
        var bytes: Int
        var expected: Expected
        var testDescription: String { "\(model) \(input)" }
    }

    static let cases: [Case] = reference.inputs.keys.sorted().flatMap { key in
        let input = reference.inputs[key]!
        return [
            Case(input: key, model: "gemma3", bytes: input.bytes, expected: input.gemma3),
            Case(input: key, model: "gemma4", bytes: input.bytes, expected: input.gemma4),
        ]
    }

    /// The text of an input (a corpus input needs `../shared`).
    static func text(of input: String) throws -> String {
        let parts = input.split(separator: "/", maxSplits: 1).map(String.init)
        switch parts[0] {
        case "corpus":
            return try Fixtures.text(try Fixtures.shared().appendingPathComponent(input))
        case "fixtures":
            return try Fixtures.text(Fixtures.tokenizerDirectory.appendingPathComponent(parts[1]))
        case "generated" where parts[1] == "one-char-a-200KB":
            return String(repeating: "a", count: 200_000)
        case "generated" where parts[1] == "one-char-space-200KB":
            return String(repeating: " ", count: 200_000)
        default:
            throw FixtureError("unknown input \(input)")
        }
    }

    @Test(arguments: cases.filter { !$0.input.hasPrefix("corpus/") })
    func idsEqualSentencePiece(_ item: Case) throws {
        try Self.expectSentencePieceIds(item)
    }

    /// The corpus inputs, from `../shared`.
    @Test(.needsShared, arguments: cases.filter { $0.input.hasPrefix("corpus/") })
    func corpusIdsEqualSentencePiece(_ item: Case) throws {
        try Self.expectSentencePieceIds(item)
    }

    static func expectSentencePieceIds(_ item: Case) throws {
        let text = try Self.text(of: item.input)
        #expect(text.utf8.count == item.bytes, "input differs from the one the reference was made from")
        let encoding = Fixtures.gemma(item.model)
        let ids = encoding.encodeOrdinary(text)
        #expect(ids.count == item.expected.count)
        #expect(SHA256.idHash(ids) == item.expected.sha256_16)
        #expect(encoding.count(text) == item.expected.count)
    }

    /// The corpus README's gemma3 column: an oracle that does not go through our fixture script.
    @Test(.needsShared) func gemma3MatchesCorpusReadme() throws {
        let shared = try Fixtures.shared()
        let readme = try Fixtures.text(shared.appendingPathComponent("corpus/README.md"))
        var checked = 0
        for line in readme.split(separator: "\n") where line.hasPrefix("| ") && line.contains(".txt |") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 7, cells[0].hasSuffix(".txt"),
                let count = Int(cells[5].replacingOccurrences(of: ",", with: ""))
            else { continue }
            let text = try Fixtures.text(shared.appendingPathComponent("corpus").appendingPathComponent(cells[0]))
            #expect(Fixtures.gemma3.count(text) == count, "\(cells[0])")
            checked += 1
        }
        #expect(checked == 11)
    }

    struct RandomCase: Decodable {
        var text: String
        var gemma3: [UInt32]
        var gemma4: [UInt32]
        var gemma3_unused: [UInt32]
    }

    static let randomCases: [RandomCase] = {
        let url = Fixtures.tokenizerDirectory.appendingPathComponent("gemma_random_strings.json")
        return try! JSONDecoder().decode([RandomCase].self, from: Data(contentsOf: url))
    }()

    @Test func randomStringsEqualSentencePiece() {
        #expect(Self.randomCases.count == 600)
        for item in Self.randomCases {
            #expect(Fixtures.gemma3.encodeOrdinary(item.text) == item.gemma3, "\(item.text.debugDescription)")
            #expect(Fixtures.gemma4.encodeOrdinary(item.text) == item.gemma4, "\(item.text.debugDescription)")
        }
    }

    /// Gemma has no UNUSED pieces; a variant with 2,000 pieces retyped UNUSED (as the fixture script
    /// does) checks the resegmentation of merged UNUSED pieces against sentencepiece.
    @Test func unusedPiecesAreResegmentedAsSentencePieceDoes() throws {
        let variant = Self.reference.unused_variant
        let directory = VocabularyLocator.defaultDirectory
        let path = directory.appendingPathComponent(SentencePieceSpec.gemma3.modelFile).path
        var model = try SentencePieceModel.parse(try Fixtures.bytes(URL(fileURLWithPath: path)), path: path)
        for index in variant.unused_ids[0] ..< variant.unused_ids[1] where model.pieces[index].type == .normal {
            model.pieces[index].type = .unused
        }
        let encoding = try SentencePieceEncoding(name: "gemma3-unused", model: model)
        let text = try Self.text(of: variant.input)
        let ids = encoding.encodeOrdinary(text)
        #expect(ids.count == variant.count)
        #expect(SHA256.idHash(ids) == variant.sha256_16)
        var differing = 0
        for item in Self.randomCases {
            #expect(encoding.encodeOrdinary(item.text) == item.gemma3_unused, "\(item.text.debugDescription)")
            if item.gemma3_unused != item.gemma3 { differing += 1 }
        }
        #expect(differing > 20, "the variant must change some ids, or this test checks nothing")
    }

    /// Known ids, checked by hand against sentencepiece 0.2.3.
    @Test func knownIds() {
        #expect(Fixtures.gemma3.encodeOrdinary("Hello world, this is   a test") == [9259, 1902, 236764, 672, 563, 139, 236746, 1594])
        #expect(Fixtures.gemma3.encodeOrdinary("") == [])
        #expect(Fixtures.gemma3.encodeOrdinary("<start_of_turn>user\n") == [105, 2364, 107])
    }
}

@Suite struct GemmaBehaviourTests {
    @Test(.needsShared) func corpusRoundTrips() throws {
        let shared = try Fixtures.shared()
        for file in try FileManager.default.contentsOfDirectory(atPath: shared.appendingPathComponent("corpus").path)
        where file.hasSuffix(".txt") {
            let bytes = try Fixtures.bytes(shared.appendingPathComponent("corpus").appendingPathComponent(file))
            let ids = Fixtures.gemma3.encodeOrdinary(String(decoding: bytes, as: UTF8.self))
            #expect(try Fixtures.gemma3.decodeBytes(ids) == bytes, "\(file)")
        }
    }

    /// Property: decode(encode(x)) == x and count(x) == encode(x).count. U+2581 is left out of the
    /// strings: SentencePiece escapes spaces as U+2581, so a literal one decodes as a space.
    @Test func randomStringsRoundTrip() throws {
        var generator = SeededGenerator(seed: 0x6E_33A3)
        for _ in 0 ..< 3_000 {
            let text = generator.unicodeString(maxScalars: 80).replacingOccurrences(of: "\u{2581}", with: "_")
            let ids = Fixtures.gemma3.encodeOrdinary(text)
            #expect(try Fixtures.gemma3.decode(ids) == text, "\(text.debugDescription)")
            #expect(Fixtures.gemma3.count(text) == ids.count)
        }
        #expect(try Fixtures.gemma3.decode(Fixtures.gemma3.encodeOrdinary("a\u{2581}b")) == "a b")
    }

    @Test func countUpToStopsOnceOverTheLimit() {
        let text = String(repeating: "hello world ", count: 1_000)
        let total = Fixtures.gemma3.count(text)
        #expect(Fixtures.gemma3.count(text, upTo: total) == total)
        #expect(Fixtures.gemma3.count(text, upTo: total - 1) == nil)
        #expect(Fixtures.gemma3.count(text, upTo: 10) == nil)
    }

    @Test func decodeNamesAnUnknownId() throws {
        #expect(throws: TokenizerError.self) { try Fixtures.gemma3.decodeBytes([9259, 999_999]) }
        // Control pieces decode to nothing, byte pieces to their byte, <unk> to " ⁇ ".
        #expect(try Fixtures.gemma3.decodeBytes([2, 9259, 1]) == Array("Hello".utf8))
        #expect(try Fixtures.gemma3.decode([3]) == " \u{2047} ")
    }

    @Test func malformedAndUnsupportedModelsAreClearErrors() throws {
        let path = VocabularyLocator.defaultDirectory.appendingPathComponent(SentencePieceSpec.gemma3.modelFile).path
        let bytes = try Fixtures.bytes(URL(fileURLWithPath: path))
        // Cut inside a piece: a length that runs past the end.
        #expect(throws: TokenizerError.self) { try SentencePieceModel.parse(Array(bytes[0 ..< 1_001]), path: "cut.model") }
        // A tiktoken file is no protobuf.
        #expect(throws: TokenizerError.self) { try SentencePieceModel.parse(Array("aGVsbG8= 0\n".utf8), path: "x") }
        do {
            _ = try SentencePieceModel.parse(Array(bytes[0 ..< 1_001]), path: "cut.model")
        } catch let error as TokenizerError {
            #expect(error.code == .vocabularyMalformed)
            #expect(error.message.contains("cut.model"))
        }
    }

    /// The binary cache beside the model: written on the first load, used on the next, ignored and
    /// rewritten when damaged — with the same ids every time.
    @Test func modelCacheIsWrittenReusedAndRebuiltWhenDamaged() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tb-spm-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = VocabularyLocator.defaultDirectory.appendingPathComponent(SentencePieceSpec.gemma3.modelFile)
        let model = directory.appendingPathComponent(SentencePieceSpec.gemma3.modelFile)
        try FileManager.default.copyItem(at: source, to: model)
        let cache = URL(fileURLWithPath: model.path + ".tbcache")
        let text = "Order 1234567890 costs 42.50 dollars.\n<start_of_turn>user\n人工智能 🙂  x"
        let expected = Fixtures.gemma3.encodeOrdinary(text)

        #expect(!FileManager.default.fileExists(atPath: cache.path))
        #expect(try SentencePieceEncoding.load(.gemma3, directory: directory).encodeOrdinary(text) == expected)
        let written = try Data(contentsOf: cache)
        #expect(written.count > 4_000_000)
        #expect(try SentencePieceEncoding.load(.gemma3, directory: directory).encodeOrdinary(text) == expected)
        #expect(try Data(contentsOf: cache) == written, "a valid cache is read, not rewritten")

        var damaged = written
        damaged[damaged.count / 2] ^= 0xFF
        try damaged.write(to: cache)
        #expect(try SentencePieceEncoding.load(.gemma3, directory: directory).encodeOrdinary(text) == expected)
        #expect(try Data(contentsOf: cache) == written, "a damaged cache is rebuilt")
        try Data(written.prefix(100)).write(to: cache)
        #expect(try SentencePieceEncoding.load(.gemma3, directory: directory).encodeOrdinary(text) == expected)
    }

    @Test func unknownEncodingListsTheKnownOnes() {
        do {
            _ = try Tokenizers.named("gemma2")
            Issue.record("gemma2 loaded")
        } catch let error as TokenizerError {
            #expect(error.code == .unknownEncoding)
            #expect(error.message.contains("gemma3") && error.message.contains("o200k_base"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(.needsShared) func concurrentUseGivesTheSameIds() async throws {
        let shared = try Fixtures.shared()
        let text = try Fixtures.text(shared.appendingPathComponent("corpus/it.txt"))
        let lines = text.split(separator: "\n").prefix(4_000).map(String.init)
        let expected = lines.map { Fixtures.gemma3.encodeOrdinary($0) }
        await withTaskGroup(of: Bool.self) { group in
            for worker in 0 ..< 4 {
                group.addTask {
                    var same = true
                    for (index, line) in lines.enumerated() where index % 4 == worker {
                        same = same && Fixtures.gemma3.encodeOrdinary(line) == expected[index]
                    }
                    return same
                }
            }
            for await same in group { #expect(same) }
        }
    }
}
