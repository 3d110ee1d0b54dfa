/// Where a chunk's scan of a long open piece (`OpenPieceCut`) may start inside the piece instead
/// of at its start: a character at or a few before the boundary from which the piece's end is
/// found where the pattern's match from the piece's start ends, whatever was appended.
///
/// Without it the merge resumed at the boundary but the scanner read the open piece from its start
/// at every chunk: 40,000 chunks of 8 characters through `serve` (`--store none`) took 4.3 s of
/// spaces, 6.0 s of "!?", 22.1 s of emoji, 8.3 s of Arabic and 13.5 s of Devanagari letters, each
/// ~10× the time of 10,000 chunks (a helper's audit). What holds, for the text before the chunk
/// was appended, where the piece started at 0 and ran past the boundary — to the text's end, or
/// ≥ 256 bytes past it when the settled prefix stayed at its start for another reason (o200k's
/// whitespace run before trailing spaces) — so every position here is past the piece's first
/// character and before its last ones, away from a contraction's suffix, and for tiktoken's
/// patterns (checked against them with the `regex` module, `scripts/check_open_piece_rescan.py`):
/// - **Symbols** (`.other` at r and at the next character, r not '/'): only alternative 4's run
///   (` ?[^\s\p{L}\p{N}]+`) holds such characters past a piece's first, and at r every letter
///   alternative fails (no letter or mark follows) — so from r the run is read to the same end,
///   then the same `[\r\n/]*`. A '/' may be o200k's trailing `[\r\n/]*` ("!?\n///", then "!").
///   cl100k: marks too, at r or next (its letter pieces hold none past their first character, and
///   `[^\r\n\p{L}\p{N}]?+\p{L}++` fails at r unless a letter follows), and '/' (its trailing
///   part is `[\r\n]*`): "❤️❤️…" restarts.
/// - **Whitespace** (the piece's first two characters whitespace, and r and the next): the piece
///   is one run of whitespace (each letter or symbol alternative needs a letter, mark or symbol
///   second). o200k's `\s*[\r\n]+|\s+(?!\S)|\s+` ends after the run's last line break — the
///   piece's own last one is at its end, so after r — or at the run's end, less one character when
///   a non-space follows: the same from r. cl100k's `\s*[\r\n]` takes only up to one line break: a
///   run that had one before r (`OpenPieceCut.turned`) ends where the run ends if that is the
///   text's end (`\s++$`), else after its last line break — which, when none lies past r, is before
///   the boundary: then the scan starts at 0 (once: the piece has ended).
/// - **Letters, cl100k** (any letter at r): `\p{L}+` from r ends where it ends from the start.
/// - **Letters, o200k, a lower-case letter at r**: the piece is alternative 1 and its second class
///   had begun at or before r (a lower-case letter is in no first class), so it reads on from r
///   to the same end; from r the first class takes nothing.
/// - **Letters, o200k, an Lm/Lo letter or a mark at r after a lower-case letter**
///   (`OpenPieceCut.turned`; the walk back meets that letter first if it lies between r and the
///   boundary): the second class has begun before r and takes r, so the piece ends at the first
///   character after r that it does not take, then a contraction (`.secondLetterClass`). The
///   pattern's own match from r would not: in "abcمرحبا" + "XYZd" its first class takes "XYZ".
/// - **Letters, o200k, a capital or an Lm/Lo letter at r, no lower-case letter before it**: the
///   first class's greedy run from 0 and from r ends at the same character, and the places where
///   the second class may start are tried in the same order from the right, those at or after r
///   first from both. One of those succeeds whenever the piece ran past r (a letter at r is one;
///   after a capital, the piece had a second-class character later, or none at all and
///   alternative 2 reads the same first class from both), so the match from 0 never gives back
///   past r. Characters above plane 2, which the class table does not know, change nothing here:
///   none is a cased letter (planes 3–16 hold ideographs, tags, variation selectors, private use).
/// In o200k a mark gets no restart before the piece has turned (o200k takes a mark after a symbol
/// as a piece of its own); nor does a digit: a letter or symbol is at most a few characters back.
enum OpenPieceRescan {
    /// Characters walked back from the boundary looking for a restart (a Devanagari or Thai
    /// boundary may sit on a mark; symbols and letters of one kind restart at once).
    static let lookBackCharacters = 16

    struct Restart {
        /// A character start at or before the boundary.
        var at: Int
        var reads: Reading = .pattern
    }

    enum Reading {
        /// The pattern from `at`, as at a piece's start.
        case pattern
        /// o200k's second letter class from `at`, then a contraction (`O200kUnicodeScanner
        /// .secondClassEnd`).
        case secondLetterClass
        /// cl100k's whitespace run after a line break (`Cl100kScanner.whitespaceRunEnd`).
        case whitespaceAfterLineBreak
    }

    /// Where to scan from for the end of the open piece that begins at 0 of `text` and ran past
    /// `at` (a character start) when the last call saw it; nil: from 0.
    static func restart(
        _ text: UnsafePointer<UInt8>, _ count: Int, boundary at: Int, turned: Bool, o200k: Bool,
        classes: CharacterClassTable
    ) -> Restart? {
        guard at > 0, at < count else { return nil }
        var position = at
        for _ in 0 ..< lookBackCharacters {
            if let (kind, length) = classes.character(text, count, at: position), position &+ length < count,
               let (next, _) = classes.character(text, count, at: position &+ length)
            {
                switch kind {
                case .lower:
                    return Restart(at: position)
                case .upper, .letter, .mark:
                    if !o200k {
                        if kind != .mark || next == .other || next == .mark { return Restart(at: position) }
                    } else if turned {
                        if kind != .upper { return Restart(at: position, reads: .secondLetterClass) }
                    } else if kind != .mark {
                        return Restart(at: position)
                    }
                case .other:
                    if next == .other && (text[position] != 0x2F || !o200k) || next == .mark && !o200k { return Restart(at: position) }
                case .space, .newline:
                    if isWhitespace(next) && startsWhitespacePiece(text, count, classes) {
                        return Restart(at: position, reads: o200k || !turned ? .pattern : .whitespaceAfterLineBreak)
                    }
                case .number, .unknown:
                    break
                }
            }
            repeat { position &-= 1 } while position > 0 && text[position] & 0xC0 == 0x80
            guard position > 0 else { return nil }
        }
        return nil
    }

    /// Whether `text[range]` holds what sets `OpenPieceCut.turned` as the boundary moves from its
    /// lower bound to its upper: a lower-case letter (o200k) or a line break (cl100k).
    static func turns(
        _ text: UnsafePointer<UInt8>, _ count: Int, _ range: Range<Int>, o200k: Bool, classes: CharacterClassTable
    ) -> Bool {
        let turning: CharacterClassTable.Class = o200k ? .lower : .newline
        var position = range.lowerBound
        while position < range.upperBound {
            guard let (kind, length) = classes.character(text, count, at: position) else {
                position &+= 1  // a byte of a character the table does not know
                continue
            }
            if kind == turning { return true }
            position &+= length
        }
        return false
    }

    @inline(__always)
    private static func isWhitespace(_ kind: CharacterClassTable.Class) -> Bool { kind == .space || kind == .newline }

    /// The piece's first two characters are whitespace: then no letter or symbol alternative took
    /// it (each needs a letter, mark or symbol second), so it is one run of whitespace.
    private static func startsWhitespacePiece(_ text: UnsafePointer<UInt8>, _ count: Int, _ classes: CharacterClassTable) -> Bool {
        guard let (first, length) = classes.character(text, count, at: 0), isWhitespace(first), length < count,
              let (second, _) = classes.character(text, count, at: length)
        else { return false }
        return isWhitespace(second)
    }
}
