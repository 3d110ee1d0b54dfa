import CPCRE2

/// The classes of the tiktoken pre-tokenizer patterns, per code point, as PCRE2 itself reads them.
///
/// The hand-written scanner needs to know whether a character is an upper-case letter, a mark, a
/// digit, a space… The table is not written from Unicode data by hand nor taken from Swift's
/// `Unicode.Scalar.Properties` (another Unicode version: Swift 6.3 knows Unicode 16, Debian's PCRE2
/// 10.42 knows 14): it is read off PCRE2 by matching the same `\p{…}` classes over every code point,
/// so the scanner and PCRE2 can never disagree about a character. One find-all over planes 0–2
/// (196,608 code points, as runs of one class): ~3 ms, once per process, on first use; 192 KiB.
/// Code points above plane 2 (CJK extension G/H, tags, private use) are `unknown`: the scanner
/// leaves them to PCRE2.
struct CharacterClassTable: @unchecked Sendable {
    // A struct around one pointer, not a class: the scanners hold it and are called once per
    // non-ASCII piece, and a class reference was retained and released on every call (~105k
    // times per pass over the held-out corpus, callgrind). @unchecked: the pointee is written only
    // in `init`, then immutable.
    /// The classes, as the o200k and cl100k patterns distinguish them.
    enum Class: UInt8 {
        case other = 0
        /// Lu, Lt: letters of the first letter class of o200k only.
        case upper
        /// Ll: of the second only.
        case lower
        /// Lm, Lo: of both.
        case letter
        /// M: in both letter classes of o200k, but not \p{L}: it can be the one-character prefix.
        case mark
        /// \p{N}.
        case number
        /// CR, LF.
        case newline
        /// The rest of tiktoken's \s (EncodingSpec.whitespace).
        case space
        /// Above plane 2: not classified.
        case unknown
    }

    static let coveredCodePoints = 0x30000
    static let shared = CharacterClassTable()

    /// One class per code point below `coveredCodePoints`, read without `withUnsafeBufferPointer`
    /// and `Class(rawValue:)!` per character (it was a `[UInt8]`): on cold held-out text (9 files,
    /// callgrind) the scanner spent ~3.5M instructions in the failable initializer's switch alone,
    /// plus a retain/release of the array per character. Built once per process and never freed
    /// (`shared`), written only in `init`: immutable memory, safe to read from any thread.
    private let classPointer: UnsafePointer<Class>

    private init() {
        // Every scalar of planes 0–2 in order (surrogates are not scalars and stay `other`).
        var text = [UInt8]()
        text.reserveCapacity(4 * CharacterClassTable.coveredCodePoints)
        var scalarAt = [Int32]()  // the code point that starts at each byte offset (-1 inside one)
        scalarAt.reserveCapacity(4 * CharacterClassTable.coveredCodePoints)
        for value in 0 ..< UInt32(CharacterClassTable.coveredCodePoints) where !(0xD800 ... 0xDFFF).contains(value) {
            scalarAt.append(Int32(value))
            if value < 0x80 {
                text.append(UInt8(value))
                continue
            }
            let continuation = { (shift: UInt32) in UInt8(0x80 | (value >> shift) & 0x3F) }
            if value < 0x800 {
                text.append(UInt8(0xC0 | value >> 6))
                text.append(continuation(0))
                scalarAt.append(-1)
            } else if value < 0x10000 {
                text.append(UInt8(0xE0 | value >> 12))
                text.append(continuation(6))
                text.append(continuation(0))
                scalarAt.append(-1)
                scalarAt.append(-1)
            } else {
                text.append(UInt8(0xF0 | value >> 18))
                text.append(continuation(12))
                text.append(continuation(6))
                text.append(continuation(0))
                scalarAt.append(-1)
                scalarAt.append(-1)
                scalarAt.append(-1)
            }
        }
        scalarAt.append(Int32(CharacterClassTable.coveredCodePoints))
        // Alternatives in the order of `Class` (group n is raw value n); a match is a run of one class.
        let whitespace = EncodingSpec.whitespace
        let pattern = try! RegexPattern(
            #"((?:\p{Lu}|\p{Lt})+)|(\p{Ll}+)|([\p{Lm}\p{Lo}]+)|(\p{M}+)|(\p{N}+)|([\r\n]+)|(["# + whitespace + #"]+)|(?s:.)"#)
        let matcher = pattern.makeMatcher()
        var classes = [UInt8](repeating: Class.other.rawValue, count: CharacterClassTable.coveredCodePoints)
        text.withUnsafeBufferPointer { subject in
            var offset = 0
            while offset < subject.count,
                let (range, group) = try! matcher.firstMatchWithGroup(in: subject.baseAddress!, count: subject.count, from: offset)
            {
                if group > 0 {
                    var index = range.lowerBound
                    while index < range.upperBound {
                        let scalar = scalarAt[index]
                        if scalar >= 0 { classes[Int(scalar)] = UInt8(group) }
                        index += 1
                    }
                }
                offset = range.upperBound
            }
        }
        // ASCII as the hand-written scanners read it: in the runs above, the whitespace run that
        // starts at U+0009 also takes LF and CR (U+0009–U+000D are one run of group 7), which are
        // `newline` here. Read through this table, ASCII costs one load instead of `asciiClass`'s
        // compares (every piece seen on the held-out corpus: 100.2M → 99.8M instructions, callgrind).
        for byte in 0 ..< 0x80 { classes[byte] = CharacterClassTable.asciiClass(UInt8(byte)).rawValue }
        // The cases are declared in raw-value order from 0, so a raw value is also the case's bits.
        precondition(unsafeBitCast(Class.unknown.rawValue, to: Class.self) == .unknown)
        let storage = UnsafeMutablePointer<Class>.allocate(capacity: classes.count)
        classes.withUnsafeBytes { UnsafeMutableRawPointer(storage).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        self.classPointer = UnsafePointer(storage)
    }

    /// The class of the character that starts at `bytes[index]` and its length in bytes, or nil
    /// when the bytes there are not a well-formed UTF-8 sequence within `count`.
    @inline(__always)
    func character(_ bytes: UnsafePointer<UInt8>, _ count: Int, at index: Int) -> (Class, Int)? {
        let lead = bytes[index]
        if lead < 0x80 { return (classPointer[Int(lead)], 1) }
        // Two- and three-byte characters (all of planes 0's scripts) without the generic loop: the
        // decode was ~13M of 116M instructions on cold held-out text (callgrind). Same checks as
        // below: the length fits, continuation bytes are 10xxxxxx.
        if lead &- 0xC2 < 0x1E {
            guard index &+ 1 < count else { return nil }
            let second = bytes[index &+ 1]
            guard second & 0xC0 == 0x80 else { return nil }
            return (classPointer[Int(lead & 0x1F) << 6 | Int(second & 0x3F)], 2)
        }
        if lead &- 0xE0 < 0x10 {
            guard index &+ 2 < count else { return nil }
            let second = bytes[index &+ 1], third = bytes[index &+ 2]
            guard second & 0xC0 == 0x80, third & 0xC0 == 0x80 else { return nil }
            return (classPointer[Int(lead & 0x0F) << 12 | Int(second & 0x3F) << 6 | Int(third & 0x3F)], 3)
        }
        let length: Int
        var scalar: UInt32
        if lead < 0xC2 {
            return nil
        } else if lead < 0xE0 {
            length = 2
            scalar = UInt32(lead & 0x1F)
        } else if lead < 0xF0 {
            length = 3
            scalar = UInt32(lead & 0x0F)
        } else if lead < 0xF5 {
            length = 4
            scalar = UInt32(lead & 0x07)
        } else {
            return nil
        }
        guard index + length <= count else { return nil }
        for offset in 1 ..< length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return nil }
            scalar = scalar << 6 | UInt32(byte & 0x3F)
        }
        guard Int(scalar) < CharacterClassTable.coveredCodePoints else { return (.unknown, length) }
        return (classPointer[Int(scalar)], length)
    }

    /// The class and start of the character of length 2–4 that ends at `bytes[end - 1]`, in valid
    /// UTF-8 (the bytes of a `String`): decoded backwards from its last byte, without finding its
    /// start first and checking it again forwards. For walks back from a text's end
    /// (`SettleLimit`); ASCII is the caller's.
    @inline(__always)
    func nonASCIICharacter(_ bytes: UnsafePointer<UInt8>, endingAt end: Int) -> (start: Int, kind: Class) {
        let last = UInt32(bytes[end &- 1] & 0x3F), second = bytes[end &- 2]
        if second >= 0xC0 { return (end &- 2, classPointer[Int(UInt32(second & 0x1F) << 6 | last)]) }
        let third = bytes[end &- 3]
        let low = UInt32(second & 0x3F) << 6 | last
        if third >= 0xE0 { return (end &- 3, classPointer[Int(UInt32(third & 0x0F) << 12 | low)]) }
        let scalar = UInt32(bytes[end &- 4] & 0x07) << 18 | UInt32(third & 0x3F) << 12 | low
        guard Int(scalar) < CharacterClassTable.coveredCodePoints else { return (end &- 4, .unknown) }
        return (end &- 4, classPointer[Int(scalar)])
    }

    @inline(__always)
    static func asciiClass(_ byte: UInt8) -> Class {
        if byte &- 0x41 < 26 { return .upper }
        if byte &- 0x61 < 26 { return .lower }
        if byte &- 0x30 < 10 { return .number }
        if byte == 0x0A || byte == 0x0D { return .newline }
        if byte == 0x20 || byte &- 0x09 < 5 { return .space }
        return .other
    }
}
