/// Where a streamed text can settle inside its trailing run of letters: at a `CharacterCuts` cut.
///
/// `SettleLimit` keeps the whole trailing letter run open, and a Chinese, Japanese or Thai clause
/// is one run until its punctuation: every chunk rescanned the run and recounted it, quadratic in
/// the clause (a 2,000-byte run streamed in 5-byte chunks was counted 400 times whole).
///
/// Why a cut q inside the trailing run R is final, for runs of characters that are in every letter
/// class of the pattern (o200k: Lm, Lo and marks, in both its letter classes; cl100k: \p{L}):
/// - the piece holding the letter before q covers all of R whatever is appended: a letter match
///   runs greedily through R, and o200k's backtracking gives back only characters that are not in
///   its second class, which R's are not; so q lies inside one piece, now and later;
/// - a scan that starts at q (a letter: no prefix) ends where that piece ends;
/// - at a cut no token spans q, so the piece's merge is the merge of its two sides.
/// So the tokens before q are final, and counting on from q gives the rest.
enum RunCut {
    /// Characters walked back from the end at most: a run with no cut near its end settles nothing
    /// here (bounded work per chunk).
    static let searchCharacters = 64

    /// False when `text` cannot end in such a run: it is empty, or ends in ASCII other than
    /// cl100k's letters. Asked before `last` is called: the call alone retained and released
    /// `cuts`' arrays, and with the class lookup of the last character it cost ~75 instructions a
    /// chunk of an English turn (callgrind).
    @inline(__always)
    static func mayEndInRun(_ text: UnsafeBufferPointer<UInt8>, scanner: BPEEncoding.ScannerKind) -> Bool {
        guard let last = text.last, scanner != .none else { return false }
        return last >= 0x80 || (scanner == .cl100k && (last | 0x20) &- 0x61 < 26)
    }

    /// The last cut q > `floor` in the trailing run of `text` (valid UTF-8) with a letter (Lo, Lm)
    /// of 3 or 4 bytes on both sides, or nil. Callers ask `mayEndInRun` first.
    static func last(in text: UnsafeBufferPointer<UInt8>, above floor: Int, scanner: BPEEncoding.ScannerKind, cuts: CharacterCuts) -> Int? {
        guard let base = text.baseAddress, text.count > 0, scanner != .none else { return nil }
        let table = CharacterClassTable.shared
        func inRun(_ kind: CharacterClassTable.Class) -> Bool {
            switch kind {
            case .letter: return true
            case .mark: return scanner == .o200k
            case .upper, .lower: return scanner == .cl100k
            default: return false
            }
        }
        var right = SettleLimit.startOfScalar(endingAt: text.count, in: text)
        guard let (last, _) = table.character(base, text.count, at: right), inRun(last) else { return nil }
        var rightIsLetter = last == .letter
        for _ in 0 ..< searchCharacters {
            guard right > floor else { return nil }
            let left = SettleLimit.startOfScalar(endingAt: right, in: text)
            guard let (kind, _) = table.character(base, text.count, at: left), inRun(kind) else { return nil }
            if rightIsLetter && kind == .letter && cuts.isCut(base, left: left, right: right) { return right }
            rightIsLetter = kind == .letter
            right = left
        }
        return nil
    }
}
