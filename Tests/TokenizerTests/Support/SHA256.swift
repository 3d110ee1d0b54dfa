import Tokenizer

/// The corpus README's id hash, for comparing id sequences with the hashes tiktoken's side published
/// (SHA-256 itself is the package's: Sources/Tokenizer/SHA256.swift).
extension SHA256 {
    /// The corpus README's id hash: SHA-256 of the ids as little-endian uint32, first 16 hex digits.
    static func idHash(_ ids: [UInt32]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(ids.count * 4)
        for id in ids { for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: id >> UInt32(shift))) } }
        return String(hex(bytes).prefix(16))
    }
}
