import Testing
@testable import Tokenizer

/// `SettleLimit` against a reference walk over characters whose classes are not in doubt (the
/// rule itself is checked against tiktoken's patterns by `scripts/check_settle_limit.py`, and the
/// counts it leads to by `IncrementalCountTests`).
@Suite struct SettleLimitTests {
    /// Random texts of long letter and whitespace runs, ASCII and not, broken by digits and
    /// punctuation, at every character boundary as the floor: the limit a character-by-character walk
    /// gives (trailing run back, or 1 character when the text ends in neither run; 3 when one of the
    /// 3 before is an apostrophe).
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
                expected = start(apostrophe ? max(0, index - 3) : trailing != .other ? index : index - 1)
            }
            bytes.withUnsafeBufferPointer { text in
                for floor in [0] + ends {
                    #expect(SettleLimit.of(text, notBelow: floor) == max(floor, expected), "\(characters.map(\.0).joined().debugDescription) floor \(floor)")
                }
            }
        }
    }
}
