/// o200k_base's pre-tokenizer pattern over any text, character classes read from
/// `CharacterClassTable`: what `O200kASCIIScanner` leaves undecided (a byte ≥ 0x80 in view).
///
/// PCRE2 was 15–28 % of the time on ar, ro, ja, zh and emoji (perf) once the rest got fast. Same
/// alternatives as in `O200kASCIIScanner`'s comment, with the regex's backtracking spelled out:
///   - alternative 1, `P?[ULtLmLoM]*[LlLmLoM]+C?`: the greedy first class gives back characters
///     until one of the second class follows, so the run ends after the second-class run that
///     starts at the end of the first-class run (if a lower-case letter is there) or at the last
///     Lm/Lo/M of the first-class run;
///   - the optional prefix P is tried first, then no prefix; alternative 2 only after both fail.
/// Returns nil (PCRE2 decides) for malformed UTF-8 or a character above plane 2.
struct O200kUnicodeScanner {
    typealias Class = CharacterClassTable.Class

    let table: CharacterClassTable

    /// The end of the piece that starts at `start`, or nil when PCRE2 must decide.
    func pieceEnd(_ text: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        let wordStart = text[start] == 0x20 && start &+ 1 < count ? start &+ 1 : start
        if let end = plainWordEnd(text, count, wordStart) { return end }
        guard let (first, firstLength) = table.knownCharacter(text, count, start) else { return nil }
        let prefixed = first != .newline && first != .number && !O200kUnicodeScanner.isLetter(first)
        let unprefixed = O200kUnicodeScanner.inFirstClass(first) || first == .lower
        // Alternative 1 with the prefix, without; then alternative 2 with, without.
        for attempt in 0 ..< 4 {
            let withPrefix = attempt & 1 == 0
            guard withPrefix ? prefixed && start + firstLength < count : unprefixed else { continue }
            let from = withPrefix ? start + firstLength : start
            switch attempt < 2 ? firstLetterRun(text, count, from) : secondLetterRun(text, count, from) {
            case .none: return nil
            case .some(let end?): return contraction(text, count, end)
            case .some(nil): continue
            }
        }
        // Alternative 3: one to three numbers.
        if first == .number { return table.numbersEnd(text, count, from: start, firstLength: firstLength) }
        // Alternative 4: an optional ASCII space, others and marks, then CR, LF and '/'.
        let runStart = text[start] == 0x20 ? start + 1 : start
        guard var end = table.symbolsEnd(text, count, from: runStart) else { return nil }
        if end > runStart {
            while end < count && (text[end] == 0x0D || text[end] == 0x0A || text[end] == 0x2F) { end += 1 }
            return end
        }
        // Alternatives 5–7 over the run of whitespace that starts here.
        guard first == .space || first == .newline, let run = table.whitespaceRun(text, count, from: start) else { return nil }
        if run.lastNewline >= 0 { return run.lastNewline + 1 }
        if run.end == count || run.lastStart == start { return run.end }
        return run.lastStart
    }

    /// The commonest pieces left to this scanner — a word after an optional ASCII space whose
    /// first character is a lower-case letter (" für", " привет"), a letter without case (Lm/Lo:
    /// " مرحبا", "中文", Thai, Devanagari) or capitals before a lower-case letter (" Привет") —
    /// decided in one walk, without trying the alternatives in turn. Alternative 1 matches there
    /// (the space is its prefix; a letter never is): its first class, greedy, takes the capitals or
    /// the Lm/Lo letters and marks (phase 1; nothing when the word starts lower-case) and gives
    /// back to its second class what that takes — lower-case letters, Lm/Lo and marks (phase 2,
    /// entered at the first lower-case letter); the piece ends at the first character neither
    /// phase takes, then a contraction. Where the first class would take a character the second
    /// must give back (a capital among Lm/Lo, an Lm/Lo after capitals, capitals alone), and at an
    /// undecidable character, nil: `pieceEnd`'s general walk decides. On the held-out corpus: every
    /// piece seen 110.1M → 100.2M instructions, cold 204.0M → 194.1M (callgrind).
    @inline(__always)
    private func plainWordEnd(_ text: UnsafePointer<UInt8>, _ count: Int, _ start: Int) -> Int? {
        guard let (kind, length) = table.knownCharacter(text, count, start), kind == .lower || kind == .letter || kind == .upper else { return nil }
        var end = start &+ length
        if kind == .upper {
            // Capitals, then a lower-case letter: phase 2 starts there. Anything else after the
            // capitals (Lm/Lo, a mark, no letter: the first class would have to give back) is
            // left to the general walk.
            while true {
                guard end < count else { return nil }
                guard let (next, length) = table.knownCharacter(text, count, end) else { return nil }
                if next == .lower { break }
                if next != .upper { return nil }
                end &+= length
            }
        } else if kind == .letter {
            // Phase 1: Lm/Lo letters and marks, until a lower-case letter starts phase 2.
            while true {
                guard end < count else { return end }
                guard let (next, length) = table.knownCharacter(text, count, end) else { return nil }
                if next == .lower { break }
                if next == .upper { return nil }
                if !O200kUnicodeScanner.inSecondClass(next) { return contraction(text, count, end) }
                end &+= length
            }
        }
        // Phase 2: the second class.
        while end < count {
            guard let (next, length) = table.knownCharacter(text, count, end) else { return nil }
            if !O200kUnicodeScanner.inSecondClass(next) { break }
            end &+= length
        }
        return contraction(text, count, end)
    }

    /// Alternative 1 from `start`: nil if it does not match there; .none (outer) when undecidable.
    @inline(__always)
    private func firstLetterRun(_ text: UnsafePointer<UInt8>, _ count: Int, _ start: Int) -> Int?? {
        var end = start
        var lastBoth = -1
        var after: Class = .other
        while end < count {
            guard let (next, length) = table.knownCharacter(text, count, end) else { return .none }
            if !O200kUnicodeScanner.inFirstClass(next) {
                after = next
                break
            }
            if next != .upper { lastBoth = end }
            end += length
        }
        var secondStart: Int
        if end < count && after == .lower {
            secondStart = end
        } else if lastBoth >= 0 {
            secondStart = lastBoth
        } else {
            return .some(nil)
        }
        while secondStart < count {
            guard let (next, length) = table.knownCharacter(text, count, secondStart) else { return .none }
            if !O200kUnicodeScanner.inSecondClass(next) { break }
            secondStart += length
        }
        return .some(secondStart)
    }

    /// Alternative 2 from `start`: first-class characters (at least one), then second-class ones.
    @inline(__always)
    private func secondLetterRun(_ text: UnsafePointer<UInt8>, _ count: Int, _ start: Int) -> Int?? {
        var end = start
        while end < count {
            guard let (next, length) = table.knownCharacter(text, count, end) else { return .none }
            if !O200kUnicodeScanner.inFirstClass(next) { break }
            end += length
        }
        if end == start { return .some(nil) }
        while end < count {
            guard let (next, length) = table.knownCharacter(text, count, end) else { return .none }
            if !O200kUnicodeScanner.inSecondClass(next) { break }
            end += length
        }
        return .some(end)
    }

    /// The end of a letter piece whose second class began before `start` and takes the character
    /// there (`OpenPieceRescan`, a long open piece): that class read on, then a contraction; nil at
    /// an undecidable character.
    func secondClassEnd(_ text: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        var end = start
        while end < count {
            guard let (next, length) = table.knownCharacter(text, count, end) else { return nil }
            if !O200kUnicodeScanner.inSecondClass(next) { break }
            end &+= length
        }
        return contraction(text, count, end)
    }

    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)?` after `end`; (?i) also lets U+017F LONG S stand for s.
    @inline(__always)
    private func contraction(_ text: UnsafePointer<UInt8>, _ count: Int, _ end: Int) -> Int {
        guard end + 1 < count, text[end] == 0x27 else { return end }
        let next = text[end + 1]
        switch next | 0x20 {
        case 0x73, 0x74, 0x6D, 0x64:  // 's 't 'm 'd (a byte ≥ 0x80 never lands here)
            return end + 2
        case 0x72, 0x76:  // 're 've
            return end + 2 < count && text[end + 2] | 0x20 == 0x65 ? end + 3 : end
        case 0x6C:  // 'll
            return end + 2 < count && text[end + 2] | 0x20 == 0x6C ? end + 3 : end
        default:
            return next == 0xC5 && end + 2 < count && text[end + 2] == 0xBF ? end + 3 : end
        }
    }

    @inline(__always) static func isLetter(_ kind: Class) -> Bool { kind == .upper || kind == .lower || kind == .letter }
    /// [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]
    @inline(__always) static func inFirstClass(_ kind: Class) -> Bool { kind == .upper || kind == .letter || kind == .mark }
    /// [\p{Ll}\p{Lm}\p{Lo}\p{M}]
    @inline(__always) static func inSecondClass(_ kind: Class) -> Bool { kind == .lower || kind == .letter || kind == .mark }
}
