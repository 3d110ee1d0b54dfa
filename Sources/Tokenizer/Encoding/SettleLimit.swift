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
/// Hence the limit: back over the trailing run of whitespace or of letters and marks to its start,
/// or 1 character back when the text ends in anything else (a digit or a symbol), or 3 characters
/// back from there when one of those 3 is an apostrophe (every contraction starts with U+0027, in
/// both patterns and under `(?i)`). A piece that ends at or before the limit is final, and so is
/// the boundary after it: the next match starts there whatever came before. A piece that ends where
/// the trailing run starts read at most the run's first character, which is there (the character
/// that ends a digit or symbol run, `\s+(?!\S)`'s lookahead); a match that reads further into the
/// run takes it in (a letter piece's one-character prefix, a symbol piece's `[\r\n/]*`), so it
/// starts before the run and its start is what settles.
/// `scripts/check_settle_limit.py` checks the rule against tiktoken's own patterns (the `regex`
/// module) on 100,000 random texts per pattern, each grown 3 ways, of letters of every case class
/// and runs of them, marks, apostrophes and contraction letters, digits, symbols and runs of Unicode
/// whitespace: no piece that ended at or before the limit moved. With 1 character always
/// (`--lookahead 1`, 20,000 texts, 60,000 appends) 156 moved on o200k ("ABCD" + "'" then "s");
/// with none, also after a digit or symbol (`--lookahead 0`), 7,391 and 7,216 of 60,000 ("12" +
/// "3"). cl100k's contractions are pieces of their own and 1 would do there, 3 is kept for both. An
/// earlier check found that without either trailing run taken back 218 and 270 of ~50,000
/// boundaries moved (`IncrementalCountTests` fails the same way). Until stop 33 the limit was 1
/// character before the trailing run as well: a chunk that ended in a word or a space reopened the
/// piece before it ("\n" before a word, the word before a space): on 2,000-byte held-out slices
/// streamed in 5-byte chunks, 2.60 pieces counted per piece of the finished text with 1 character
/// (`--lookahead 1`), 2.29 now, 2.20 if only the last piece were reopened
/// (`scripts/check_settle_limit.py --pieces FOLDER`).
enum SettleLimit {
    /// Characters a piece's match reads past its end outside the trailing run when a contraction
    /// may follow it (`'ll`, `'re`, `'ve`); none when none of them is an apostrophe and the text
    /// ends in a run of letters or whitespace, else 1.
    static let lookaheadCharacters = 3

    /// The byte offset in `text` (valid UTF-8) at or before which a piece boundary is final, or
    /// `floor` (what is already settled) when nothing past it is. The walk back stops at `floor`: a
    /// trailing run as long as the turn would otherwise be walked at every chunk.
    static func of(_ text: UnsafeBufferPointer<UInt8>, notBelow floor: Int = 0) -> Int {
        resumePoint(text, notBelow: floor, scanner: .none, cuts: nil).limit
    }

    /// Where counting `text` can resume next time: the limit above, or a `RunCut` inside the
    /// trailing run of letters (then `limit` is `floor`: the cut settles more than any limit).
    /// One walk back finds both. They were two (`RunCut.last`, then this walk when it found no
    /// cut), each classifying the trailing characters: on a run of Thai or Devanagari with no cut
    /// near its end, or a cl100k word (whose ASCII letters `RunCut` walked without ever finding a
    /// cut, which needs two Lo/Lm letters), the run was walked twice.
    ///
    /// `stopAt`: a boundary inside the open piece that starts at `floor` (`OpenPieceCut`): a walk
    /// that reaches it still inside the trailing run stops there with `floor` — nothing past it
    /// settles, since that one piece runs from `floor` through the run — instead of walking the
    /// whole run at every chunk (40 KB of streamed spaces: 30 % of `serve`'s time, perf).
    static func resumePoint(
        _ text: UnsafeBufferPointer<UInt8>, notBelow floor: Int, scanner: BPEEncoding.ScannerKind, cuts: CharacterCuts?,
        stopAt: Int = 0
    ) -> (limit: Int, cut: Int?) {
        guard let base = text.baseAddress, text.count > floor else { return (floor, nil) }
        // Read once per call: `shared` is a lazy global, checked (`swift_once`) at every access,
        // and the walk asks it per character (streamed held-out turns 377.1M → 371.0M
        // instructions, callgrind).
        let classes = CharacterClassTable.shared
        var end = text.count
        let (lastStart, last) = character(base, endingAt: end, classes)
        let trailing = Run(last, scanner)
        if trailing != .other {
            // `RunCut`'s search rides along while every character is in its run: how many more
            // characters it may look at, and whether the one right of the next boundary is Lo/Lm.
            var cutSearch = cuts != nil && RunCut.inRun(last, scanner) ? RunCut.searchCharacters : 0
            var rightIsLetter = last == .letter
            end = lastStart
            while end > floor {
                if end <= stopAt { return (floor, nil) }
                let (start, kind) = character(base, endingAt: end, classes)
                guard Run(kind, scanner) == trailing else { break }
                if cutSearch > 0 {
                    if !RunCut.inRun(kind, scanner) {
                        cutSearch = 0
                    } else {
                        if rightIsLetter && kind == .letter && cuts!.isCut(base, left: start, right: end) { return (floor, end) }
                        rightIsLetter = kind == .letter
                        cutSearch &-= 1
                    }
                }
                end = start
            }
        }
        // o200k: a long open letter run settles before its last capital that follows a lower-case
        // letter (`lastCaseBoundary`). Looked for only past `caseBoundarySearchBytes`: in the walk
        // itself the check took streamed held-out turns from 333.6M to 340.8M instructions
        // (callgrind), whose trailing runs are a word long; as a second walk, 337.9M. A run that
        // stays open this long is walked twice, and then settles.
        if text.count &- end > caseBoundarySearchBytes && scanner == .o200k && trailing == .letters,
            let boundary = lastCaseBoundary(base, endingAt: text.count, downTo: end, classes)
        {
            return (boundary, nil)
        }
        guard end > floor else { return (floor, nil) }
        // The start of the trailing run, or 1 character back when there is none; 3 back when one of
        // the 3 characters before is an apostrophe: only a contraction's test can meet the end of
        // the text more than 1 character past its piece ("they" + "'r" may still become "they're").
        let oneBack = startOfScalar(endingAt: end, in: text)
        var back = oneBack, apostrophe = text[oneBack] == 0x27
        for _ in 1 ..< lookaheadCharacters where back > 0 {
            back = startOfScalar(endingAt: back, in: text)
            apostrophe = apostrophe || text[back] == 0x27
        }
        return (max(floor, apostrophe ? back : trailing != .other ? end : oneBack), nil)
    }

    /// How long an open letter run grows before `lastCaseBoundary` is asked: a run of capitalised
    /// words then stays open by at most this and a word.
    static let caseBoundarySearchBytes = 64

    /// In o200k's trailing letter run (from `low` to `textEnd`), the start of the last capital (Lu,
    /// Lt) that follows a lower-case letter (Ll) with only cased letters after it, or nil. The letter
    /// piece holding the Ll ends at it whatever is appended: the capital is in
    /// neither the pattern's second letter class nor a contraction's apostrophe, so its match read
    /// nothing past the capital, and the boundary is final. A run like "ПриветПривет…" streamed with
    /// no space was counted from its start at every chunk: 160,000 chunks of "Привет" took 9.8 s of
    /// `serve`, 40,000 took 0.67 s (audit 41). `scripts/check_settle_limit.py` checks the rule
    /// against tiktoken's pattern.
    private static func lastCaseBoundary(
        _ base: UnsafePointer<UInt8>, endingAt textEnd: Int, downTo low: Int, _ classes: CharacterClassTable
    ) -> Int? {
        var (end, right) = character(base, endingAt: textEnd, classes)
        while end > low {
            let (start, kind) = character(base, endingAt: end, classes)
            if kind == .lower && right == .upper { return end }
            // Only through cased letters: a run of Thai, Devanagari or ideographs (no case) is not
            // walked twice for nothing, and a boundary further back would settle little more.
            if kind != .lower && kind != .upper { return nil }
            right = kind
            end = start
        }
        return nil
    }

    /// The character that ends at `end` (> 0): where it starts and its class. ASCII without the
    /// class table (its letters as upper or lower case, tiktoken's ASCII whitespace as space): the
    /// walk was ~225 instructions a chunk on English (callgrind), more than counting the chunk's
    /// pieces. A longer character is decoded backwards from its last byte (the text is valid
    /// UTF-8): streamed held-out turns 359.3M → 346.1M instructions (callgrind), where it was found
    /// by walking back to its lead byte and then decoded forwards with every check.
    @inline(__always)
    private static func character(
        _ base: UnsafePointer<UInt8>, endingAt end: Int, _ classes: CharacterClassTable
    ) -> (start: Int, kind: CharacterClassTable.Class) {
        let last = base[end &- 1]
        if last < 0x80 {
            if last == 0x20 || last &- 0x09 < 5 { return (end &- 1, .space) }
            if (last | 0x20) &- 0x61 < 26 { return (end &- 1, last & 0x20 == 0 ? .upper : .lower) }
            return (end &- 1, .other)
        }
        return classes.nonASCIICharacter(base, endingAt: end)
    }

    /// The runs a match reads to their end.
    private enum Run {
        case whitespace, letters, other

        init(_ kind: CharacterClassTable.Class, _ scanner: BPEEncoding.ScannerKind) {
            switch kind {
            case .space, .newline: self = .whitespace
            // Above plane 2 the class is not known here: taken as a letter, which only settles less.
            case .upper, .lower, .letter, .unknown: self = .letters
            // o200k's letter classes take marks; cl100k's `\p{L}++` ends before one, as before a
            // symbol, so its run of letters does too: vocalised Arabic, Devanagari or decomposed
            // Latin (every few letters a mark) was one trailing run there, never settled, and a
            // chunk rescanned it all (40,000 chunks of Arabic with harakat: 46 s of `serve`, 2.9 s
            // for 10,000; a helper's audit).
            case .mark: self = scanner == .cl100k ? .other : .letters
            case .other, .number: self = .other
            }
        }
    }

    /// Where the character that ends at `end` starts. `end` must be > 0 (at 0 there is no
    /// character; every caller walks only while `end` is above its floor).
    @inline(__always)
    static func startOfScalar(endingAt end: Int, in text: UnsafeBufferPointer<UInt8>) -> Int {
        var start = end - 1
        while start > 0 && text[start] & 0xC0 == 0x80 { start -= 1 }
        return start
    }
}
