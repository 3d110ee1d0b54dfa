/// One cell of the text tables `capacity` and `replay` print, padded to its column's width.
///
/// Control characters show as U+FFFD, as in the charts (`SVGChart.escape`): a policy named with ESC
/// sequences recoloured the terminal. A value as wide as its column or wider keeps one space from
/// its neighbour: 10-digit billed and cached totals ran together ("1914060000014878648720").
public enum TableCell {
    /// Right-aligned (numbers).
    public static func right(_ text: String, _ width: Int) -> String {
        let shown = visible(text)
        return String(repeating: " ", count: max(1, width - shown.count)) + shown
    }

    /// Left-aligned (names).
    public static func left(_ text: String, _ width: Int) -> String {
        let shown = visible(text)
        return shown + String(repeating: " ", count: max(1, width - shown.count))
    }

    static func visible(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isControl) else { return text }
        return String(String.UnicodeScalarView(text.unicodeScalars.map { isControl($0) ? "\u{FFFD}" : $0 }))
    }

    /// C0 (ESC and tab among them), DEL and C1: what a terminal acts on instead of showing.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F ... 0x9F).contains(scalar.value)
    }
}
