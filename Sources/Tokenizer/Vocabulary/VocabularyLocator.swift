import Foundation

/// Where vocabulary files live: `$TOKENBUDGET_VOCAB_DIR`, else `~/.cache/tokenbudget/vocab`, which is
/// where `scripts/bootstrap.sh` puts them after checking their SHA-256.
public enum VocabularyLocator {
    public static var defaultDirectory: URL {
        if let path = ProcessInfo.processInfo.environment["TOKENBUDGET_VOCAB_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home, isDirectory: true)
            .appendingPathComponent(".cache/tokenbudget/vocab", isDirectory: true)
    }

    /// Reads a vocabulary file and checks its XXH3-64 against the published file's.
    ///
    /// - Throws: `vocabularyMissing` or `vocabularyCorrupt`, naming the file and the fix.
    static func read(_ fileName: String, expectedXXH3: UInt64?, directory: URL?) throws
        -> (bytes: [UInt8], path: String, hash: UInt64)
    {
        let directory = directory ?? defaultDirectory
        let path = directory.appendingPathComponent(fileName).path
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TokenizerError(
                .vocabularyMissing,
                "vocabulary \(fileName) not found at \(path); run scripts/bootstrap.sh, "
                    + "or set TOKENBUDGET_VOCAB_DIR to the folder that holds it")
        }
        let bytes = [UInt8](data)
        let actual = xxh3(bytes)
        if let expected = expectedXXH3 {
            guard actual == expected else {
                throw TokenizerError(
                    .vocabularyCorrupt,
                    "vocabulary \(path) is not the published \(fileName) (XXH3 \(hex(actual)), expected "
                        + "\(hex(expected))); delete it and run scripts/bootstrap.sh to fetch a verified copy")
            }
        }
        return (bytes, path, actual)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 16 - digits.count) + digits
    }
}
