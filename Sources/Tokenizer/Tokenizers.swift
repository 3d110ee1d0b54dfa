import Foundation

/// Every encoding this build knows, by the name the engine and the CLI take (`encoding: "gemma3"`).
public enum Tokenizers {
    /// tiktoken's byte-level BPE (OpenAI models), then SentencePiece BPE (Gemma, for Gemini Live).
    public static var knownNames: [String] {
        EncodingSpec.all.keys.sorted() + SentencePieceSpec.all.keys.sorted()
    }

    /// The named encoding, loaded once per process and shared.
    ///
    /// - Throws: `.unknownEncoding` listing the known names; otherwise the loader's errors.
    public static func named(_ name: String) throws -> any TextTokenizer {
        if EncodingSpec.all[name] != nil { return try BPEEncoding.named(name) }
        if SentencePieceSpec.all[name] != nil { return try SentencePieceEncoding.named(name) }
        throw TokenizerError(.unknownEncoding, "unknown encoding \"\(name)\"; known: \(knownNames.joined(separator: ", "))")
    }
}
