/// How far into a growing text (a turn streamed in chunks) the pre-tokenizer pieces are final,
/// for the o200k_base and cl100k_base patterns.
///
/// A piece is the regex's match from the end of the previous piece; it stays the same whatever is
/// appended when every character the match read is already there and none of its tests met the end
/// of the text. What the two patterns read past the end of a piece:
/// - a contraction after a letter run (`'s`, `'re`, `'ll`, also `'ſ` under `(?i)`): up to 3
///   characters ("don" + "'" becomes "don't");
/// - the character that ends a run of digits, symbols, `[\r\n/]*` or `\s+(?!\S)`: 1;
/// - whole runs, however long: `\s*[\r\n]+` reads the whitespace run it starts in to its end, looking
///   for a line break ("\n" + 40 spaces is two pieces, one more "\n" makes it one), and o200k's
///   `[\p{Lu}…\p{Lo}\p{M}]*[\p{Ll}…\p{Lo}\p{M}]+` reads the letter run to its end and backs off
///   ("日LTL" is "日" and "LTL"; one more "é" makes it one piece). Such a run can only be open at
///   the end of the text, as the last run. A fixed margin of bytes is wrong for runs longer than it.
/// Hence the limit: back over the trailing run of whitespace or of letters and marks, then 3 more
/// characters. A piece that ends at or before the limit is final, and so is the boundary after it:
/// the next match starts there whatever came before. Checked against tiktoken's own regex (the
/// `regex` module) on 240,000 random texts per pattern of letters of every case class and runs of
/// them, marks, apostrophes, digits, symbols and runs of Unicode whitespace: every boundary at or
/// before the limit was kept by a random appended text. Without either trailing run taken back, 218
/// and 270 of ~50,000 boundaries were not (`IncrementalCountTests` fails the same way); with 1
/// lookahead character the counts go wrong ("don" + "'"). 2 would do here too (the letters of a
/// contraction are in the trailing run); 3 is the plain argument.
enum SettleLimit {
    /// Characters a piece's match reads past its end outside the trailing run: `'ll`, `'re`, `'ve`.
    static let lookaheadCharacters = 3

    /// The byte offset in `text` (valid UTF-8) at or before which a piece boundary is final, or
    /// `floor` (what is already settled) when nothing past it is. The walk back stops at `floor`: a
    /// trailing run as long as the turn would otherwise be walked at every chunk.
    static func of(_ text: UnsafeBufferPointer<UInt8>, notBelow floor: Int = 0) -> Int {
        guard let base = text.baseAddress else { return 0 }
        let table = CharacterClassTable.shared
        func run(endingAt end: Int) -> (start: Int, run: Run) {
            let start = startOfScalar(endingAt: end, in: text)
            guard let (kind, _) = table.character(base, text.count, at: start) else { return (start, .other) }
            return (start, Run(kind))
        }
        var end = text.count
        if end > 0 {
            let trailing = run(endingAt: end).run
            if trailing != .other {
                while end > floor {
                    let (start, run) = run(endingAt: end)
                    guard run == trailing else { break }
                    end = start
                }
            }
        }
        for _ in 0 ..< lookaheadCharacters {
            if end <= floor { return floor }
            end = startOfScalar(endingAt: end, in: text)
        }
        return end
    }

    /// The runs a match reads to their end.
    private enum Run {
        case whitespace, letters, other

        init(_ kind: CharacterClassTable.Class) {
            switch kind {
            case .space, .newline: self = .whitespace
            // Above plane 2 the class is not known here: taken as a letter, which only settles less.
            case .upper, .lower, .letter, .mark, .unknown: self = .letters
            case .other, .number: self = .other
            }
        }
    }

    /// Where the character that ends at `end` starts.
    @inline(__always)
    static func startOfScalar(endingAt end: Int, in text: UnsafeBufferPointer<UInt8>) -> Int {
        var start = end - 1
        while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
        return start
    }
}
