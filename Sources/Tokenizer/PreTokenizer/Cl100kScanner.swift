/// cl100k_base's pre-tokenizer pattern, hand-written over `CharacterClassTable`'s classes.
///
/// Alternatives in order (whitespace spelled out as in `EncodingSpec`, `$` is the end of the text):
///
///     1  '(?i:[sdmt]|ll|ve|re)
///     2  [^\r\n\p{L}\p{N}]?+\p{L}++
///     3  \p{N}{1,3}+
///     4   ?[^\s\p{L}\p{N}]++[\r\n]*+
///     5  \s++$
///     6  \s*[\r\n]
///     7  \s+(?!\S)
///     8  \s
///
/// Unlike o200k's, the prefix of 2 is possessive (taken, it is never given back), letters are
/// \p{L} only (a mark is not one: it can only be a prefix or part of 4), and a contraction is a
/// piece of its own. Returns nil (PCRE2 decides) for malformed UTF-8 or a character above plane 2.
/// Checked against PCRE2 like the o200k scanners (SplitScannerTests, the fuzz target).
struct Cl100kScanner {
    typealias Class = CharacterClassTable.Class

    let table: CharacterClassTable

    /// The end of the piece that starts at `start`, or nil when PCRE2 must decide.
    func pieceEnd(_ text: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        guard let (first, firstLength) = table.knownCharacter(text, count, start) else { return nil }
        // 1: a contraction; (?i) also lets U+017F LONG S stand for s.
        if text[start] == 0x27 && start + 1 < count {
            let next = text[start + 1]
            switch next | 0x20 {
            case 0x73, 0x64, 0x6D, 0x74:  // s d m t (a byte ≥ 0x80 never lands here)
                return start + 2
            case 0x6C, 0x76, 0x72:  // ll ve re
                let second: UInt8 = next | 0x20 == 0x6C ? 0x6C : 0x65
                if start + 2 < count && text[start + 2] | 0x20 == second { return start + 3 }
            default:
                if next == 0xC5 && start + 2 < count && text[start + 2] == 0xBF { return start + 3 }
            }
        }
        // 2: an optional prefix, kept once taken, then letters.
        var letters = start
        if first != .newline && first != .number && !Cl100kScanner.isLetter(first) {
            letters = start + firstLength
        }
        var end = letters
        letters: while end < count {
            // ASCII letters a word at a time; bytes ≥ 0x80 through the class table, character by
            // character until the next ASCII byte (going back to the word-at-a-time run after every
            // character cost a run's setup per letter of Cyrillic, Greek or Arabic words).
            end = ASCIILetterRun.end(text, count, from: end, foldingCase: true)
            while end < count && text[end] >= 0x80 {
                guard let (next, length) = table.knownCharacter(text, count, end) else { return nil }
                if !Cl100kScanner.isLetter(next) { break letters }
                end += length
            }
            if end == count || !ASCIILetterRun.isLetter(text[end], foldingCase: true) { break }
        }
        if end > letters { return end }
        // 3: one to three numbers.
        if first == .number { return table.numbersEnd(text, count, from: start, firstLength: firstLength) }
        // 4: an optional ASCII space, others and marks, then CR and LF.
        let runStart = text[start] == 0x20 ? start + 1 : start
        guard var symbols = table.symbolsEnd(text, count, from: runStart) else { return nil }
        if symbols > runStart {
            while symbols < count && (text[symbols] == 0x0D || text[symbols] == 0x0A) { symbols += 1 }
            return symbols
        }
        // 5–8 over the run of whitespace that starts here.
        guard first == .space || first == .newline, let run = table.whitespaceRun(text, count, from: start) else { return nil }
        if run.end == count { return run.end }  // 5
        if run.lastNewline >= 0 { return run.lastNewline + 1 }  // 6
        if run.lastStart > start { return run.lastStart }  // 7: all but the last character
        return run.end  // 8
    }

    /// The end of a whitespace piece that had a line break before `start` and takes the character
    /// there (`OpenPieceRescan`, a long open piece): the run's end when it ends the text (5), else
    /// after its last line break (6) when that lies past `start`; nil otherwise (the piece ends
    /// before `start`) or at an undecidable character.
    func whitespaceRunEnd(_ text: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        guard let run = table.whitespaceRun(text, count, from: start) else { return nil }
        if run.end == count { return run.end }
        return run.lastNewline >= 0 ? run.lastNewline + 1 : nil
    }

    @inline(__always) static func isLetter(_ kind: Class) -> Bool { kind == .upper || kind == .lower || kind == .letter }
}
