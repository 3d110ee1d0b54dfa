import Foundation
import Testing
import Tokenizer

/// Paths of the repository, its fixtures and the shared data beside it.
enum Fixtures {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let tokenizerDirectory = repositoryRoot.appendingPathComponent("fixtures/tokenizer")

    /// `../shared`, or nil (with a message) on a machine that does not have it.
    static let sharedDirectory: URL? = {
        let url = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared")
        guard FileManager.default.fileExists(atPath: url.appendingPathComponent("corpus").path) else {
            print("note: \(url.path) is absent; tests that read the shared corpus are skipped")
            return nil
        }
        return url
    }()

    /// `../shared`, for a test that has the `.needsShared` trait (so it does not run without it).
    static func shared() throws -> URL {
        try #require(sharedDirectory, "the test reads ../shared but lacks the .needsShared trait")
    }

    static func bytes(_ url: URL) throws -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FixtureError("cannot read \(url.path)")
        }
        return [UInt8](data)
    }

    static func text(_ url: URL) throws -> String {
        String(decoding: try bytes(url), as: UTF8.self)
    }

    static let o200k: BPEEncoding = try! BPEEncoding.named("o200k_base")
    static let cl100k: BPEEncoding = try! BPEEncoding.named("cl100k_base")
    static func encoding(_ name: String) -> BPEEncoding { name == "o200k_base" ? o200k : cl100k }
    static let gemma3: SentencePieceEncoding = try! SentencePieceEncoding.named("gemma3")
    static let gemma4: SentencePieceEncoding = try! SentencePieceEncoding.named("gemma4")
    static func gemma(_ name: String) -> SentencePieceEncoding { name == "gemma3" ? gemma3 : gemma4 }
}

extension Trait where Self == ConditionTrait {
    /// A test that reads `../shared` (the corpus) is reported skipped, not passed, where it is absent.
    static var needsShared: Self {
        .enabled(if: Fixtures.sharedDirectory != nil, "needs ../shared (the corpus), absent on this machine")
    }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// A small, seeded, fast generator (SplitMix64): the same seed gives the same cases on every machine.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    /// A random string of up to `maxScalars` scalars drawn from many scripts, controls and emoji.
    mutating func unicodeString(maxScalars: Int) -> String {
        let pools: [ClosedRange<UInt32>] = [
            0x20 ... 0x7E, 0x00 ... 0x20, 0xA0 ... 0x24F, 0x300 ... 0x36F, 0x400 ... 0x4FF, 0x590 ... 0x6FF,
            0x900 ... 0x97F, 0x3040 ... 0x30FF, 0x4E00 ... 0x9FFF, 0xAC00 ... 0xD7A3, 0x2000 ... 0x206F,
            0x1F300 ... 0x1FAFF, 0x10000 ... 0x10FFFF, 0x180E ... 0x180E, 0x27 ... 0x27,
        ]
        var scalars = String.UnicodeScalarView()
        for _ in 0 ..< Int.random(in: 0 ... maxScalars, using: &self) {
            let pool = pools.randomElement(using: &self)!
            if let scalar = Unicode.Scalar(UInt32.random(in: pool, using: &self)) { scalars.append(scalar) }
        }
        return String(scalars)
    }
}
