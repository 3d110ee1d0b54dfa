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

    /// Whether a character of class `kind` belongs to the runs a cut may settle: letters in every
    /// letter class of the pattern (o200k: Lm, Lo and marks; cl100k: \p{L}). A cut itself needs an
    /// Lo/Lm letter on both sides (`CharacterCuts.isCut`). The search walks back with
    /// `SettleLimit.resumePoint`.
    @inline(__always)
    static func inRun(_ kind: CharacterClassTable.Class, _ scanner: BPEEncoding.ScannerKind) -> Bool {
        switch kind {
        case .letter: return scanner != .none
        case .mark: return scanner == .o200k
        case .upper, .lower: return scanner == .cl100k
        default: return false
        }
    }
}
