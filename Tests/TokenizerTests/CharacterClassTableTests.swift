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
}
