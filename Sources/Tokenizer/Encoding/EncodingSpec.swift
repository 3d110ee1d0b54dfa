import Foundation
import CPCRE2

/// What defines a tiktoken-style encoding: its vocabulary file, pre-tokenizer pattern and special
/// tokens.
public struct EncodingSpec: Sendable {
    public var name: String
    /// File name of the rank file in the vocabulary directory.
    public var vocabularyFile: String
    /// SHA-256 of the published file, checked by `scripts/bootstrap.sh`.
    public var sha256: String
    /// XXH3-64 of the same bytes, checked at every load: ~0.3 ms for o200k's 3.6 MB, where SHA-256
    /// would need swift-crypto (+1 min of build) or ~15 ms of hand-written code.
    public var xxh3: UInt64
    public var pattern: String
    public var patternOptions: UInt32
    public var specialTokens: [String: Rank]

    /// Unicode White_Space, as Rust's `regex` crate (and so tiktoken) reads `\s`. PCRE2's `\s` under
    /// UCP also matches U+180E MONGOLIAN VOWEL SEPARATOR, which would split differently.
    static let whitespace = #"\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}"#

    /// Rewrites tiktoken's `\s` / `\S` outside and inside classes with the spelled-out class.
    static func spellOutWhitespace(_ pattern: String) -> String {
        let ws = whitespace
        return pattern
            .replacingOccurrences(of: #"[^\s"#, with: "[^" + ws)
            .replacingOccurrences(of: #"\s"#, with: "[" + ws + "]")
            .replacingOccurrences(of: #"\S"#, with: "[^" + ws + "]")
    }

    public static let o200kBase = EncodingSpec(
        name: "o200k_base",
        vocabularyFile: "o200k_base.tiktoken",
        sha256: "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        xxh3: 0x72a0_95e8_2ca1_09d6,
        pattern: spellOutWhitespace(
            [
                #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
                #"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?"#,
                #"\p{N}{1,3}"#,
                #" ?[^\s\p{L}\p{N}]+[\r\n/]*"#,
                #"\s*[\r\n]+"#,
                #"\s+(?!\S)"#,
                #"\s+"#,
            ].joined(separator: "|")),
        patternOptions: 0,
        specialTokens: ["<|endoftext|>": 199_999, "<|endofprompt|>": 200_018]
    )

    public static let cl100kBase = EncodingSpec(
        name: "cl100k_base",
        vocabularyFile: "cl100k_base.tiktoken",
        sha256: "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        xxh3: 0xaa5d_7bf3_8900_641a,
        pattern: spellOutWhitespace(
            #"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"#),
        // tiktoken's `$` (Rust regex) is the end of the text only; PCRE2's also matches before a
        // final newline unless DOLLAR_ENDONLY is set.
        patternOptions: UInt32(PCRE2_DOLLAR_ENDONLY),
        specialTokens: [
            "<|endoftext|>": 100_257, "<|fim_prefix|>": 100_258, "<|fim_middle|>": 100_259,
            "<|fim_suffix|>": 100_260, "<|endofprompt|>": 100_276,
        ]
    )

    /// The encodings this build knows, by name.
    public static let all: [String: EncodingSpec] = [o200kBase.name: o200kBase, cl100kBase.name: cl100kBase]
}
