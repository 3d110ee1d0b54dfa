/// An error from loading or using a tokenizer, with a code callers can switch on and a message a
/// person can act on.
public struct TokenizerError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Code: String, Sendable, Equatable {
        /// The vocabulary file is not where it was looked for.
        case vocabularyMissing
        /// The vocabulary file is there but its content is not the published one.
        case vocabularyCorrupt
        /// A line of a vocabulary file could not be parsed.
        case vocabularyMalformed
        /// No encoding has that name.
        case unknownEncoding
        /// The pre-tokenizer pattern did not compile or a match failed inside PCRE2.
        case regex
        /// `decode` met an id the vocabulary does not have.
        case unknownTokenID
        /// `encode` met a special token that the caller did not allow.
        case disallowedSpecialToken
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
