/// The runs both hand-written scanners (`O200kUnicodeScanner`, `Cl100kScanner`) measure the same
/// way. Each returns nil when a character on the way is malformed UTF-8 or above plane 2: PCRE2
/// decides then.
extension CharacterClassTable {
    /// The class and length of the character at `index`, or nil when PCRE2 must decide.
    @inline(__always)
    func knownCharacter(_ text: UnsafePointer<UInt8>, _ count: Int, _ index: Int) -> (Class, Int)? {
        guard let (kind, length) = character(text, count, at: index), kind != .unknown else { return nil }
        return (kind, length)
    }

    /// `\p{N}{1,3}` from a number of `firstLength` bytes at `start`: the end of the run.
    @inline(__always)
    func numbersEnd(_ text: UnsafePointer<UInt8>, _ count: Int, from start: Int, firstLength: Int) -> Int? {
        var end = start + firstLength
        for _ in 0 ..< 2 where end < count {
            guard let (next, length) = knownCharacter(text, count, end) else { return nil }
            if next != .number { break }
            end += length
        }
        return end
    }

    /// `[^\s\p{L}\p{N}]*` from `start`: the end of the run of others and marks (`start` if none).
    @inline(__always)
    func symbolsEnd(_ text: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        var end = start
        while end < count {
            guard let (next, length) = knownCharacter(text, count, end) else { return nil }
            if next != .other && next != .mark { break }
            end += length
        }
        return end
    }

    /// The run of whitespace from `start`: where it ends, where its last CR or LF is (-1 if none)
    /// and where its last character starts.
    @inline(__always)
    func whitespaceRun(
        _ text: UnsafePointer<UInt8>, _ count: Int, from start: Int
    ) -> (end: Int, lastNewline: Int, lastStart: Int)? {
        var end = start
        var lastNewline = -1
        var lastStart = start
        while end < count {
            guard let (next, length) = knownCharacter(text, count, end) else { return nil }
            if next != .space && next != .newline { break }
            if next == .newline { lastNewline = end }
            lastStart = end
            end += length
        }
        return (end, lastNewline, lastStart)
    }
}
