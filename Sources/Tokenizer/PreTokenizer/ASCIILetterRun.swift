/// Runs of ASCII letters read 8 bytes a word (SWAR), for the hand-written scanners: a
/// letter-by-letter loop leaves at a data-dependent length, a branch that mispredicts about once a
/// piece (English words are 2–10 letters). Passes over seen held-out text: 16.1 → 15.2 ms (o200k's
/// lower-case runs, `tokenizer_ab.py`; man-de and man-fr −10 %).
enum ASCIILetterRun {
    /// The end of the run of a–z (or, `foldingCase`, of a–z and A–Z) that starts at `start`: the
    /// first byte that is not one, or `count`.
    @inline(__always)
    static func end(_ text: UnsafePointer<UInt8>, _ count: Int, from start: Int, foldingCase: Bool) -> Int {
        let highs: UInt64 = 0x8080_8080_8080_8080
        // Per byte, taken below 0x80 so that no carry crosses bytes: bit 7 of y + 0x1F is set from
        // 'a' (0x61) up, bit 7 of y + 0x05 past 'z' (0x7A). Folding sets bit 5 first: A–Z become
        // a–z, and '@' '[' '\' ']' '^' '_' become '`' '{' '|' '}' '~' DEL, none of them a letter.
        let fold: UInt64 = foldingCase ? 0x2020_2020_2020_2020 : 0
        var end = start
        while end &+ 8 <= count {
            // Little-endian, so the first byte is the lowest: its bit 7 is the first the count meets.
            let word = UInt64(littleEndian: UnsafeRawPointer(text + end).loadUnaligned(as: UInt64.self))
            let low = (word | fold) & ~highs
            let inRun = (low &+ 0x1F1F_1F1F_1F1F_1F1F) & ~(low &+ 0x0505_0505_0505_0505) & ~word & highs
            let outside = ~inRun & highs
            if outside != 0 { return end &+ outside.trailingZeroBitCount >> 3 }
            end &+= 8
        }
        while end < count && isLetter(text[end], foldingCase: foldingCase) { end &+= 1 }
        return end
    }

    /// Whether `byte` is a–z (or, `foldingCase`, a–z or A–Z).
    @inline(__always)
    static func isLetter(_ byte: UInt8, foldingCase: Bool) -> Bool {
        (byte | (foldingCase ? 0x20 : 0)) &- 0x61 < 26
    }
}
