import CPCRE2

/// A compiled PCRE2 pattern, JIT-compiled once and shared by every thread.
///
/// Owns the `pcre2_code`; matching needs per-thread state, a `RegexMatcher`, made by
/// `makeMatcher()`. Compiled with `PCRE2_UTF | PCRE2_UCP` so that `\p{…}` classes are Unicode's.
public final class RegexPattern: @unchecked Sendable {
    // @unchecked: pcre2_code is immutable after pcre2_jit_compile and documented safe to share.
    let code: OpaquePointer
    public let source: String

    /// Compiles `pattern` and JIT-compiles it for complete matches.
    ///
    /// - Parameter extraOptions: added to `PCRE2_UTF | PCRE2_UCP`, e.g. `PCRE2_DOLLAR_ENDONLY`.
    /// - Throws: `TokenizerError.regex` naming the offset of the error in the pattern.
    public init(_ pattern: String, extraOptions: UInt32 = 0) throws {
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let options = UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP) | extraOptions
        let compiled = pattern.withCString { cString in
            cString.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) {
                pcre2_compile_8($0, pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw TokenizerError(
                .regex, "pattern does not compile at offset \(errorOffset): \(RegexPattern.message(errorCode))")
        }
        let jit = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE))
        guard jit == 0 else {
            pcre2_code_free_8(compiled)
            throw TokenizerError(.regex, "JIT compilation failed: \(RegexPattern.message(jit))")
        }
        self.code = compiled
        self.source = pattern
    }

    deinit { pcre2_code_free_8(code) }

    /// Per-thread match state for this pattern.
    public func makeMatcher() -> RegexMatcher { RegexMatcher(pattern: self) }

    static func message(_ code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(code, &buffer, buffer.count)
        return length > 0 ? String(decoding: buffer[..<Int(length)], as: UTF8.self) : "PCRE2 error \(code)"
    }
}

/// Match data and a JIT stack for one thread; not to be shared.
public final class RegexMatcher {
    let pattern: RegexPattern
    let matchData: OpaquePointer
    let context: OpaquePointer
    let stack: OpaquePointer

    init(pattern: RegexPattern) {
        self.pattern = pattern
        self.matchData = pcre2_match_data_create_from_pattern_8(pattern.code, nil)
        self.context = pcre2_match_context_create_8(nil)
        // The default 32 KiB JIT stack on the machine stack is enough for ordinary text; 1 MB runs
        // of one character class with lookahead need more. The memory is reserved, not touched.
        self.stack = pcre2_jit_stack_create_8(32 * 1024, 16 * 1024 * 1024, nil)
        pcre2_jit_stack_assign_8(context, nil, UnsafeMutableRawPointer(stack))
    }

    deinit {
        pcre2_jit_stack_free_8(stack)
        pcre2_match_context_free_8(context)
        pcre2_match_data_free_8(matchData)
    }

    /// Calls `body` with the byte range of each successive non-overlapping match, like Rust's
    /// `find_iter`: text no alternative matches is skipped.
    ///
    /// `subject` must be valid UTF-8 (every Swift `String` is): `pcre2_jit_match` does no UTF check,
    /// which is what keeps a find-all loop linear — with the check, 400 KB took 17 s.
    ///
    /// - Throws: `TokenizerError.regex` when PCRE2 reports an error other than "no match".
    @inline(__always)
    public func forEachMatch(
        in subject: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) throws -> Void
    ) throws {
        guard let base = subject.baseAddress else { return }
        var offset = 0
        while offset < subject.count, let range = try firstMatch(in: base, count: subject.count, from: offset) {
            try body(range)
            offset = range.upperBound
        }
    }

    /// The first non-empty match at or after `offset` in `subject[0 ..< count]` (valid UTF-8, as
    /// for `forEachMatch`), or nil.
    ///
    /// - Throws: `TokenizerError.regex` when PCRE2 reports an error other than "no match".
    @inline(__always)
    public func firstMatch(in subject: UnsafePointer<UInt8>, count: Int, from offset: Int) throws -> Range<Int>? {
        var offset = offset
        let ovector = pcre2_get_ovector_pointer_8(matchData)!
        while offset < count {
            let result = pcre2_jit_match_8(pattern.code, subject, count, offset, 0, matchData, context)
            if result == PCRE2_ERROR_NOMATCH { return nil }
            guard result > 0 else {
                throw TokenizerError(.regex, "match failed at byte \(offset): \(RegexPattern.message(result))")
            }
            let start = ovector[0], end = ovector[1]
            if end > start { return start ..< end }
            // The tokenizer patterns cannot match empty; step over one character if a custom one does.
            offset = start + 1
            while offset < count && subject[offset] & 0xC0 == 0x80 { offset += 1 }
        }
        return nil
    }

    /// As `firstMatch`, with the number of the first capture group that took part (0 if none).
    func firstMatchWithGroup(in subject: UnsafePointer<UInt8>, count: Int, from offset: Int) throws -> (Range<Int>, Int)? {
        guard let range = try firstMatch(in: subject, count: count, from: offset) else { return nil }
        let ovector = pcre2_get_ovector_pointer_8(matchData)!
        let pairs = Int(pcre2_get_ovector_count_8(matchData))
        for group in 1 ..< pairs where ovector[2 * group] != ~0 {
            return (range, group)
        }
        return (range, 0)
    }
}
