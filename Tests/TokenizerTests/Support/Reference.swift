import Foundation
import Testing

/// `fixtures/tokenizer/reference.json`, written by `scripts/make_tokenizer_fixtures.py` from tiktoken.
struct Reference: Decodable {
    struct Expected: Decodable, Sendable {
        var count: Int
        var sha256_16: String
        var oracle: String
    }
    struct Input: Decodable, Sendable {
        var bytes: Int
        var o200k_base: Expected
        var cl100k_base: Expected
    }
    var tiktoken: String
    var inputs: [String: Input]

    static let shared: Reference = {
        let url = Fixtures.tokenizerDirectory.appendingPathComponent("reference.json")
        return try! JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }()
}

/// One input of the reference, under one encoding.
struct ReferenceCase: Sendable, CustomTestStringConvertible {
    var input: String
    var encoding: String
    var expected: Reference.Expected
    var bytes: Int

    var testDescription: String { "\(encoding) \(input)" }

    /// Inputs from `../shared/corpus`: their test runs only where it is (`.needsShared`).
    var needsShared: Bool { input.hasPrefix("corpus/") }

    static let all: [ReferenceCase] = Reference.shared.inputs.keys.sorted().flatMap { key in
        let input = Reference.shared.inputs[key]!
        return [
            ReferenceCase(input: key, encoding: "o200k_base", expected: input.o200k_base, bytes: input.bytes),
            ReferenceCase(input: key, encoding: "cl100k_base", expected: input.cl100k_base, bytes: input.bytes),
        ]
    }

    /// The text of the input (a corpus input needs `../shared`).
    func text() throws -> String {
        let parts = input.split(separator: "/", maxSplits: 1).map(String.init)
        switch parts[0] {
        case "corpus":
            return try Fixtures.text(try Fixtures.shared().appendingPathComponent(input))
        case "fixtures":
            return try Fixtures.text(Fixtures.tokenizerDirectory.appendingPathComponent(parts[1]))
        case "generated":
            return GeneratedInput.text(named: parts[1])
        default:
            throw FixtureError("unknown input \(input)")
        }
    }
}

/// The generated inputs of `make_tokenizer_fixtures.py`, rebuilt here byte for byte.
enum GeneratedInput {
    static func text(named name: String) -> String {
        switch name {
        case "one-char-a-1MB": return String(repeating: "a", count: 1_000_000)
        case "one-char-space-1MB": return String(repeating: " ", count: 1_000_000)
        case "random-bytes-lossy-1MB":
            var generator = SeededGenerator(seed: 7)
            let bytes = (0 ..< 1_000_000).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            return String(decoding: bytes, as: UTF8.self)
        case "cjk-random-1MB":
            var generator = SeededGenerator(seed: 11)
            var scalars = String.UnicodeScalarView()
            for _ in 0 ..< 350_000 { scalars.append(Unicode.Scalar(0x4E00 + UInt32(generator.next() % 20_902))!) }
            return String(scalars)
        default: fatalError("unknown generated input \(name)")
        }
    }
}
