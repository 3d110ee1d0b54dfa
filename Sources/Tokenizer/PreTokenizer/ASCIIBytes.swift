/// Classes of the 8 bytes of a word at once (SWAR): each result has the high bit of every byte in
/// the class set, and no other bit. Bytes of 0x80 and above are in no class. Every per-byte sum
/// stays below 0x100 (the high bit is cleared first), so no carry reaches the next byte.
enum ASCIIBytes {
    static let highBits: UInt64 = 0x8080_8080_8080_8080
    static let lowBits: UInt64 = 0x7F7F_7F7F_7F7F_7F7F

    /// A-Z and a-z: `(byte | 0x20) - 0x61 < 26`, as `SettleLimit` and the ASCII scanner test them.
    @inline(__always)
    static func letters(_ word: UInt64) -> UInt64 {
        let folded = (word & lowBits) | 0x2020_2020_2020_2020
        let atLeastA = (folded &+ 0x1F1F_1F1F_1F1F_1F1F) & highBits  // ≥ 0x61
        let pastZ = (folded &+ 0x0505_0505_0505_0505) & highBits  // ≥ 0x7B
        return atLeastA & ~pastZ & ~word & highBits
    }

    /// Space and \\t \\n \\v \\f \\r (0x09–0x0D): the ASCII `\\s` of the patterns.
    @inline(__always)
    static func whitespace(_ word: UInt64) -> UInt64 {
        let low = word & lowBits
        let atLeastTab = (low &+ 0x7777_7777_7777_7777) & highBits  // ≥ 0x09
        let pastReturn = (low &+ 0x7272_7272_7272_7272) & highBits  // ≥ 0x0E
        let space = ~((low ^ 0x2020_2020_2020_2020) &+ lowBits) & highBits  // == 0x20
        return ((atLeastTab & ~pastReturn) | space) & ~word & highBits
    }
}
