/// o200k_base's pre-tokenizer pattern, hand-written for pieces that a look at ASCII bytes decides.
///
/// PCRE2's JIT costs ~40–50 ns per match however short (a call, match-data bookkeeping, the
/// alternatives tried in order); English pieces average 5.4 bytes, so the split alone capped the
/// encoder near 100–140 MB/s. This scanner decides the piece that starts at an offset with a few
/// compares per byte, and gives up — returns nil, and the caller asks PCRE2 — as soon as the
/// decision would depend on a byte ≥ 0x80, whose Unicode class (letter? mark? digit? space?) only
/// PCRE2 knows. Giving up is always exact, so the scanner needs no Unicode table and cannot
/// disagree with PCRE2 about a non-ASCII character; it is checked piece by piece against PCRE2 on
/// the whole corpus, on random text and by a libFuzzer target.
///
/// The pattern, alternatives tried in order (leftmost alternative that matches wins):
///
///     1  [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
///     2  [^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
///     3  \p{N}{1,3}
///     4   ?[^\s\p{L}\p{N}]+[\r\n/]*
///     5  \s*[\r\n]+
///     6  \s+(?!\S)
///     7  \s+
///
/// In ASCII, L is A–Z (Lu) and a–z (Ll), N is 0–9, \s is tab, LF, VT, FF, CR and space; every other
/// ASCII byte is "other". Every character starts some alternative, so pieces tile the text.
enum O200kASCIIScanner {
    /// The end of the piece that starts at `start`, or nil when PCRE2 must decide.
    ///
    /// - Precondition: `start < count`.
    @inline(__always)
    static func pieceEnd(_ text: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        let first = text[start]
        if first >= 0x80 { return nil }
        // Alternatives 1 and 2: letters, after at most one character that is none of CR, LF,
        // letter, digit.
        var letters = -1
        if isLetter(first) {
            letters = start
        } else if !isNewline(first) && !isDigit(first) && start + 1 < count {
            let second = text[start + 1]
            if second >= 0x80 { return nil }
            if isLetter(second) { letters = start + 1 }
        }
        if letters >= 0 { return lettersEnd(text, count, from: letters) }
        if isDigit(first) {
            // Alternative 3: up to three digits; a non-ASCII digit could be the second or third.
            var end = start + 1
            while end < count && end - start < 3 {
                let byte = text[end]
                if byte >= 0x80 { return nil }
                if !isDigit(byte) { break }
                end += 1
            }
            return end
        }
        if !isSpace(first) || first == 0x20 {
            // Alternative 4: an optional space, then a run of "other" characters, then CR, LF, '/'.
            var end = first == 0x20 ? start + 1 : start
            var run = end
            while run < count {
                let byte = text[run]
                if byte >= 0x80 { return nil }
                if isSpace(byte) || isLetter(byte) || isDigit(byte) { break }
                run += 1
            }
            if run > end {
                end = run
                while end < count {
                    let byte = text[end]
                    guard byte == 0x0D || byte == 0x0A || byte == 0x2F else { break }
                    end += 1
                }
                return end
            }
            // A space not followed by "other": one of the whitespace alternatives below.
        }
        // Alternatives 5–7 over the run of whitespace that starts here.
        var end = start
        var lastNewline = -1
        while end < count {
            let byte = text[end]
            if byte >= 0x80 { return nil }  // U+0085, U+00A0, U+2000… are whitespace too
            if !isSpace(byte) { break }
            if isNewline(byte) { lastNewline = end }
            end += 1
        }
        // 5: `\s*` backs off to the last CR or LF, which `[\r\n]+` takes.
        if lastNewline >= 0 { return lastNewline + 1 }
        // 6: the run, less its last character when something follows (it must not be \S).
        if end == count { return end }
        if end - start >= 2 { return end - 1 }
        // 7: a single whitespace character before a non-space.
        return end
    }

    /// Alternatives 1 and 2 from the first letter at `start`: (upper* lower+ | upper+ lower*), then
    /// an optional contraction.
    @inline(__always)
    private static func lettersEnd(_ text: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        // Upper-case runs are mostly one letter (a capital): a loop; lower-case runs a word at a time.
        var upperEnd = start
        while upperEnd < count && isUpper(text[upperEnd]) { upperEnd += 1 }
        let end = ASCIILetterRun.end(text, count, from: upperEnd, foldingCase: false)
        // A non-ASCII byte could be a letter or mark that continues the run.
        if end < count && text[end] >= 0x80 { return nil }
        // ASCII lower and upper are disjoint, so there is no backtracking to do: whether alternative
        // 1 (some lower) or 2 (upper only) matched, the run ends here.
        guard end + 1 < count, text[end] == 0x27 else { return end }
        let next = text[end + 1] | 0x20  // ASCII case-insensitive; non-ASCII stays ≥ 0x80
        if text[end + 1] >= 0x80 { return nil }  // U+017F LONG S matches (?i)'s
        switch next {
        case 0x73, 0x74, 0x6D, 0x64:  // 's 't 'm 'd
            return end + 2
        case 0x72, 0x76:  // 're 've
            guard end + 2 < count else { return end }
            if text[end + 2] >= 0x80 { return nil }
            return text[end + 2] | 0x20 == 0x65 ? end + 3 : end
        case 0x6C:  // 'll
            guard end + 2 < count else { return end }
            if text[end + 2] >= 0x80 { return nil }
            return text[end + 2] | 0x20 == 0x6C ? end + 3 : end
        default:
            return end
        }
    }

    @inline(__always) static func isUpper(_ byte: UInt8) -> Bool { byte &- 0x41 < 26 }
    @inline(__always) static func isLower(_ byte: UInt8) -> Bool { byte &- 0x61 < 26 }
    @inline(__always) static func isLetter(_ byte: UInt8) -> Bool { (byte | 0x20) &- 0x61 < 26 }
    @inline(__always) static func isDigit(_ byte: UInt8) -> Bool { byte &- 0x30 < 10 }
    /// Tab, LF, VT, FF, CR, space.
    @inline(__always) static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte &- 0x09 < 5 }
    @inline(__always) static func isNewline(_ byte: UInt8) -> Bool { byte == 0x0A || byte == 0x0D }
}
