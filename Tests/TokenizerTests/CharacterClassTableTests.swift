import Testing
@testable import Tokenizer

/// `CharacterClassTable` is read off PCRE2 as runs of one class, where the whitespace run that
/// starts at U+0009 also takes LF and CR; the table must still give every ASCII byte the class the
/// hand-written scanners use (`asciiClass`: LF and CR are `newline`), since the scanners read
/// ASCII through it.
@Suite struct CharacterClassTableTests {
    @Test func everyASCIIByteHasTheScannersClass() {
        let table = CharacterClassTable.shared
        for byte in UInt8(0) ..< 0x80 {
            let read = withUnsafePointer(to: byte) { table.character($0, 1, at: 0) }
            #expect(read?.0 == CharacterClassTable.asciiClass(byte), "byte \(byte)")
            #expect(read?.1 == 1, "byte \(byte)")
        }
        #expect(CharacterClassTable.asciiClass(0x0A) == .newline && CharacterClassTable.asciiClass(0x0D) == .newline)
        #expect(CharacterClassTable.asciiClass(0x09) == .space && CharacterClassTable.asciiClass(0x20) == .space)
    }

    /// Decoding backwards from a character's last byte (`nonASCIICharacter`, `SettleLimit`'s walk)
    /// gives the start and class that decoding forwards from its lead byte gives, for every scalar
    /// of 2 and 3 bytes and every 16th of 4 bytes (above U+2FFFF: `unknown`), each after an ASCII byte
    /// and after another character.
    @Test func backwardDecodingAgreesWithForwardDecoding() {
        let table = CharacterClassTable.shared
        var checked = 0, mismatches = 0
        for value in stride(from: 0x80, through: 0x10FFFF, by: 1) where value < 0x10000 || value % 16 == 0 {
            guard let scalar = Unicode.Scalar(value) else { continue }
            for prefix in ["a", "é"] {
                let bytes = Array((prefix + String(Character(scalar))).utf8)
                bytes.withUnsafeBufferPointer { text in
                    let start = prefix.utf8.count
                    let forward = table.character(text.baseAddress!, text.count, at: start)
                    let backward = table.nonASCIICharacter(text.baseAddress!, endingAt: text.count)
                    if backward.start != start || backward.kind != forward?.0 {
                        mismatches += 1
                        if mismatches < 4 { Issue.record("U+\(String(value, radix: 16)) after \(prefix): \(backward) ≠ \(String(describing: forward))") }
                    }
                    checked += 1
                }
            }
        }
        #expect(mismatches == 0 && checked > 200_000)
    }
}
