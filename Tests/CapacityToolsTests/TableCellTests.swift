import CapacityTools
import Testing

/// The text tables' cells: what fits is padded as before, what does not still stands apart, and a
/// terminal's control characters are shown, not obeyed (re-audit N9 and the 10-digit columns).
@Suite struct TableCellTests {
    @Test func aValueThatFitsIsPaddedToItsWidth() {
        #expect(TableCell.right("941720", 12) == "      941720")
        #expect(TableCell.left("deletes", 10) == "deletes   ")
    }

    @Test func aValueAsWideAsItsColumnOrWiderKeepsOneSpace() {
        // Two 11-digit totals in columns of 12 and 10 ran together.
        #expect(TableCell.right("19140600000", 12) + TableCell.right("14878648720", 10) == " 19140600000 14878648720")
        #expect(TableCell.right("1234567890", 10) == " 1234567890")
        #expect(TableCell.left("a-policy-name-of-24-char", 24) + TableCell.right("21", 4) == "a-policy-name-of-24-char   21")
    }

    @Test func controlCharactersAreShownAsReplacementCharacters() {
        let cell = TableCell.left("red\u{1B}[31mX\u{07}\u{9B}\t", 20)
        #expect(!cell.unicodeScalars.contains { $0.value < 0x20 || (0x7F ... 0x9F).contains($0.value) }, "\(cell.debugDescription)")
        #expect(cell.hasPrefix("red\u{FFFD}[31mX\u{FFFD}\u{FFFD}\u{FFFD}"))
        #expect(TableCell.right("é日本", 5) == "  é日本")
    }
}
