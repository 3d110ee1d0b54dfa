import Foundation
import Synchronization

/// What names a SentencePiece model this build knows: its file and the hashes of the verified copy.
public struct SentencePieceSpec: Sendable {
    public var name: String
    public var modelFile: String
    /// SHA-256 of the file, checked by `scripts/bootstrap.sh`.
    public var sha256: String
    /// XXH3-64 of the same bytes, checked at every load (~0.4 ms for 4.7 MB).
    public var xxh3: UInt64

    /// Gemma 3's tokenizer: Gemini 2.x, including `gemini-live-2.5-flash` (google-genai's offline
    /// counter maps them to it). From the PyPI wheel `maxtext==0.2.5`; see docs/tokenizer.md for how
    /// this file differs from Google's reference (not in ordinary-text ids, as far as checked).
    public static let gemma3 = SentencePieceSpec(
        name: "gemma3", modelFile: "gemma3_maxtext.spm.model",
        sha256: "a96dfa1c296977bd225176202b305aeb29f3f49cc7d54b15bd31e998f91b9736", xxh3: 0xf03e_ad73_48cd_1475)

    /// Gemma 4's tokenizer: Gemini 3.x. Same regular vocabulary as gemma3 on the whole corpus.
    public static let gemma4 = SentencePieceSpec(
        name: "gemma4", modelFile: "gemma4_maxtext.spm.model",
        sha256: "9f318ac4dc02f8580e3f65ff0b37286e7c3d1e5d664737bb2c8ca812b5453162", xxh3: 0xfb8d_1002_5a5a_9a22)

    public static let all: [String: SentencePieceSpec] = [gemma3.name: gemma3, gemma4.name: gemma4]
}

/// A SentencePiece BPE model (Gemma 3 / Gemma 4): ids equal the `sentencepiece` library's
/// `encode(text)` (no BOS/EOS), token for token.
///
/// ```swift
/// let gemma = try SentencePieceEncoding.named("gemma3")
/// gemma.count("Hello world")   // 2
/// ```
public final class SentencePieceEncoding: TextTokenizer, @unchecked Sendable {
    // @unchecked: every stored property is immutable; `pool` guards its own state.
    public let name: String
    let vocabulary: SentencePieceVocabulary
    private let pool = EncoderPool<SentencePieceEncoder>()
    /// Open segments counted from a boundary of their merge (`SentencePieceEncoder+OpenSegment.swift`),
    /// for tests: that the pair of symbols there stayed two, not only that boundaries are kept.
    let openSegmentResumptions = Atomic<Int>(0)

    /// Builds an encoding from a parsed model.
    public convenience init(name: String, model: SentencePieceModel, path: String = "<memory>") throws {
        try self.init(name: name, pieces: FlatPieces(model), path: path)
    }

    init(name: String, pieces: FlatPieces, path: String) throws {
        self.name = name
        self.vocabulary = try SentencePieceVocabulary(pieces, path: path)
    }

    /// Loads `spec`'s model from `directory` (default: `VocabularyLocator.defaultDirectory`).
    ///
    /// - Throws: `.vocabularyMissing`, `.vocabularyCorrupt` or `.vocabularyMalformed`, naming the file
    ///   and the fix.
    public static func load(_ spec: SentencePieceSpec, directory: URL? = nil) throws -> SentencePieceEncoding {
        let file = try VocabularyLocator.read(spec.modelFile, expectedXXH3: spec.xxh3, directory: directory)
        let cache = FlatPieces.cacheURL(for: file.path)
        if let pieces = FlatPieces.load(cache, sourceHash: file.hash) {
            return try SentencePieceEncoding(name: spec.name, pieces: pieces, path: file.path)
        }
        let pieces = FlatPieces(try SentencePieceModel.parse(file.bytes, path: file.path))
        pieces.store(to: cache, sourceHash: file.hash)
        return try SentencePieceEncoding(name: spec.name, pieces: pieces, path: file.path)
    }

    private static let loaded = LoadedOnce<SentencePieceEncoding>()

    /// The named model from the default directory, loaded once per process and shared.
    public static func named(_ name: String) throws -> SentencePieceEncoding {
        guard let spec = SentencePieceSpec.all[name] else {
            throw TokenizerError(.unknownEncoding, "unknown encoding \"\(name)\"; known: \(Tokenizers.knownNames.joined(separator: ", "))")
        }
        return try loaded.value(named: name) { try load(spec) }
    }

    /// A fresh encoder for one thread's exclusive use (its segment cache starts empty and stays
    /// warm across calls).
    public func makeEncoder() -> SentencePieceEncoder { SentencePieceEncoder(vocabulary: vocabulary) }

    @inline(__always)
    func withEncoder<Result>(_ body: (SentencePieceEncoder) throws -> Result) rethrows -> Result {
        try pool.withEncoder(make: { SentencePieceEncoder(vocabulary: vocabulary) }, body)
    }

    // MARK: - TextTokenizer

    /// The ids of `text`. SentencePiece has no special-token syntax: user-defined pieces such as
    /// `<start_of_turn>` are matched in the text (as the library does); control pieces never are.
    public func encodeOrdinary(_ text: String) -> [Rank] {
        var output = [Rank]()
        output.reserveCapacity(text.utf8.count / 3)
        withUTF8(text) { bytes in withEncoder { $0.encode(bytes, into: &output) } }
        return output
    }

    public func count(_ text: String) -> Int {
        withUTF8(text) { bytes in withEncoder { $0.count(bytes)! } }
    }

    public func count(_ text: String, upTo limit: Int) -> Int? {
        withUTF8(text) { bytes in withEncoder { $0.count(bytes, limit: limit) } }
    }

    /// The text of `ids` as SentencePiece decodes it: U+2581 back to a space, byte pieces as their
    /// byte, control pieces as nothing, the unknown piece as " ⁇ ".
    ///
    /// - Throws: `.unknownTokenID` naming the first id outside the model.
    public func decodeBytes(_ ids: [Rank]) throws -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(ids.count * 4)
        for (index, id) in ids.enumerated() {
            guard Int(id) < vocabulary.types.count else {
                throw TokenizerError(.unknownTokenID, "id \(id) at position \(index) is not in \(name)")
            }
            switch vocabulary.types[Int(id)] {
            case .normal, .userDefined, .unused:
                let bytes = vocabulary.table.bytes(of: id)!
                var offset = bytes.startIndex
                while offset < bytes.endIndex {
                    if bytes[offset] == 0xE2, offset + 2 < bytes.endIndex, bytes[offset + 1] == 0x96, bytes[offset + 2] == 0x81 {
                        output.append(0x20)
                        offset += 3
                    } else {
                        output.append(bytes[offset])
                        offset += 1
                    }
                }
            case .byte:
                output.append(UInt8(vocabulary.byteValues[Int(id)]))
            case .control:
                continue
            case .unknown:
                output.append(contentsOf: Array(" \u{2047} ".utf8))
            }
        }
        return output
    }
}
