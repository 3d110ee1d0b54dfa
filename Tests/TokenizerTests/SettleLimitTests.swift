import Testing
@testable import Tokenizer

/// `SettleLimit` walks back over the trailing run 8 ASCII bytes at a time (`ASCIIBytes`); oracles:
/// the per-byte definitions of the classes, and a character-by-character walk over texts whose
/// characters have unambiguous classes.
@Suite struct SettleLimitTests {
    /// Every byte value at every position of a word, the other 7 bytes random: the masks mark
    /// exactly the bytes the scalar tests accept.
    @Test func wordMasksEqualPerByteClasses() {
        var random = SeededGenerator(seed: 8)
        for value in 0 ... 255 {
            for position in 0 ..< 8 {
                var bytes = (0 ..< 8).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                bytes[position] = UInt8(value)
                let word = bytes.enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * $1.offset) }
                for (index, byte) in bytes.enumerated() {
                    let high = UInt64(0x80) << (8 * index)
                    let letter = byte < 0x80 && (byte | 0x20) &- 0x61 < 26
                    let space = byte == 0x20 || (0x09 ... 0x0D).contains(byte)
                    #expect((ASCIIBytes.letters(word) & high != 0) == letter, "letter \(byte) at \(index)")
                    #expect((ASCIIBytes.whitespace(word) & high != 0) == space, "space \(byte) at \(index)")
                }
                #expect(ASCIIBytes.letters(word) & ~ASCIIBytes.highBits == 0)
                #expect(ASCIIBytes.whitespace(word) & ~ASCIIBytes.highBits == 0)
            }
        }
    }

    /// Random texts of long ASCII letter and whitespace runs broken by non-ASCII letters and
    /// spaces, digits and punctuation, at every character boundary as the floor: the limit a character-by-character walk
    /// gives (trailing run back, then 1 character, or 3 when one is an apostrophe).
    @Test func limitEqualsCharacterWalk() {
        enum Run { case whitespace, letters, other }
        let alphabet: [(String, Run)] = [
            ("a", .letters), ("Z", .letters), ("é", .letters), ("日", .letters), (" ", .whitespace), ("\t", .whitespace),
            ("\n", .whitespace), ("\u{3000}", .whitespace), ("1", .other), ("'", .other), ("—", .other), (",", .other),
        ]
        var random = SeededGenerator(seed: 0x5E771E)
        for _ in 0 ..< 2_000 {
            var characters = [(String, Run)]()
            for _ in 0 ..< 1 + Int(random.next() % 6) {
                let (text, run) = alphabet[Int(random.next() % UInt64(alphabet.count))]
                let repeats = random.next() % 2 == 0 ? 1 : 1 + Int(random.next() % 20)
                characters += Array(repeating: (text, run), count: repeats)
            }
            let bytes = Array(characters.map(\.0).joined().utf8)
            var ends = [Int](), offset = 0
            for (text, _) in characters {
                offset += text.utf8.count
                ends.append(offset)
            }
            // The reference walk, on characters.
            var index = characters.count
            let trailing = characters[index - 1].1
            if trailing != .other { while index > 0 && characters[index - 1].1 == trailing { index -= 1 } }
            var expected = 0
            if index > 0 {
                let back = (1 ... 3).map { max(0, index - $0) }
                let apostrophe = back.contains { characters[$0].0 == "'" }
                let start = { (character: Int) in character == 0 ? 0 : ends[character - 1] }
                expected = start(apostrophe ? max(0, index - 3) : index - 1)
            }
            bytes.withUnsafeBufferPointer { text in
                for floor in [0] + ends {
                    #expect(SettleLimit.of(text, notBelow: floor) == max(floor, expected), "\(characters.map(\.0).joined().debugDescription) floor \(floor)")
                }
            }
        }
    }
}
