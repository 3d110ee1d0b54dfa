/// The per-thread half of a `BPEEncoding`: PCRE2 match data, merge scratch, the short-piece memo
/// and the piece cache.
///
/// Not thread-safe; one per thread or per session. `BPEEncoding`'s own methods borrow one from a
/// pool, so most callers never see this type.
public final class Encoder {
    public let encoding: BPEEncoding
    private let matcher: RegexMatcher
    // Unchecked: an encoder is used by one thread at a time and these are never passed inout
    // twice; the dynamic checks (swift_beginAccess, an AccessSet insert, a TLS read per mutation)
    // were ~5M of 124M instructions on cold held-out text (callgrind).
    @exclusivity(unchecked) private var merger = BytePairMerger()
    private let cache = PieceCache()
    private let memo: ShortPieceMemo
    @exclusivity(unchecked) private var scratch: [Rank] = []
    /// For o200k_base: what `O200kASCIIScanner` cannot decide, before PCRE2 is asked.
    private let o200kScanner: O200kUnicodeScanner?
    private let cl100kScanner: Cl100kScanner?
    // The encoding's tables, held here: read through `encoding` on every piece, each access copied
    // the struct and retained and released its arrays (~1 retain per piece, 9 % of the instructions
    // of a pass whose pieces all hit the memo, callgrind).
    private let table: RankTable
    private let pairs: PairTable
    private let cuts: CharacterCuts
    private let atoms: CharacterAtoms
    private let shortTokens: ShortTokenTable
    /// Where `CharacterCuts` writes a long piece's cuts; grown to the longest piece cut so far.
    @exclusivity(unchecked) private var cutBuffer = UnsafeMutableBufferPointer<Int32>.allocate(capacity: 64)

    init(encoding: BPEEncoding) {
        self.encoding = encoding
        self.table = encoding.table
        self.pairs = encoding.pairs
        self.cuts = encoding.cuts
        self.atoms = encoding.atoms
        self.shortTokens = encoding.shortTokens
        self.memo = ShortPieceMemo(seed: encoding.memoSeed)
        self.matcher = encoding.pattern.makeMatcher()
        self.o200kScanner = encoding.scanner == .o200k ? O200kUnicodeScanner(table: .shared) : nil
        self.cl100kScanner = encoding.scanner == .cl100k ? Cl100kScanner(table: .shared) : nil
    }

    deinit { cutBuffer.deallocate() }

    /// Appends the tokens of `text` to `output`, special-token strings taken as ordinary text.
    /// `text` must be valid UTF-8, as the bytes of a `String` are.
    public func encodeOrdinary(_ text: UnsafeBufferPointer<UInt8>, into output: inout [Rank]) {
        forEachPiece(text) { piece, key in
            if piece.count <= ShortPieceMemo.maxPieceBytes {
                appendTokensOfShortPiece(piece, key: key, to: &output)
            } else {
                appendTokensOfLongPiece(piece, to: &output)
            }
            return true
        }
    }

    /// The number of tokens of `text` (special-token strings taken as ordinary text), or nil as
    /// soon as it exceeds `limit`. Never materializes the ids of pieces that are memoized.
    public func countOrdinary(_ text: UnsafeBufferPointer<UInt8>, limit: Int = .max) -> Int? {
        var total = 0
        let complete = forEachPiece(text) { piece, key in
            total += countTokensOfPiece(piece, key: key)
            return total <= limit
        }
        return complete ? total : nil
    }

    /// Counts `text` piece by piece and also reports the start of its last piece that begins at or
    /// before byte `settleBy`, with the tokens before it (`TextTokenizer.countAppending`). With
    /// `cutAt` (a `RunCut` inside the last piece), the piece is counted as its two sides and the
    /// cut is reported instead.
    public func countPieces(_ text: UnsafeBufferPointer<UInt8>, settleBy: Int, cutAt: Int? = nil) -> (total: Int, settledAt: Int, settledTokens: Int) {
        var total = 0
        var settledAt = 0, settledTokens = 0
        let base = text.baseAddress.map(UnsafeRawPointer.init)
        forEachPiece(text) { piece, key in
            let start = UnsafeRawPointer(piece.baseAddress!) - base!
            if start <= settleBy || start == cutAt {
                settledAt = start
                settledTokens = total
            }
            if let cutAt, start < cutAt && cutAt < start + piece.count {
                let before = countTokensOfPiece(UnsafeRawBufferPointer(rebasing: piece[..<(cutAt - start)]))
                settledAt = cutAt
                settledTokens = total + before
                total += before + countTokensOfPiece(UnsafeRawBufferPointer(rebasing: piece[(cutAt - start)...]))
            } else {
                total += countTokensOfPiece(piece, key: key)
            }
            return true
        }
        return (total, settledAt, settledTokens)
    }

    /// `countPieces` for a text of at least `OpenPieceCut.minPieceBytes` (what a long open piece
    /// needs; shorter texts take the loop above, which streamed held-out turns keep to: a second
    /// kind of piece in that loop cost them 6 % more instructions, callgrind): a piece that long
    /// starting at or before `settleBy` is counted from `open` if it starts at 0 and the pair test
    /// there passes, and the boundary to resume from next time is reported when it starts at
    /// `settledAt` (offsets from the piece's start). No `RunCut` here: a cut settles that piece.
    func countPieces(
        _ text: UnsafeBufferPointer<UInt8>, settleBy: Int, resuming open: OpenPieceCut?
    ) -> (total: Int, settledAt: Int, settledTokens: Int, open: OpenPieceCut?) {
        var total = 0
        var settledAt = 0, settledTokens = 0
        var nextOpen: (start: Int, cut: OpenPieceCut)?
        var scanFrom = 0
        if let open, let rescanned = rescannedOpenPiece(text, open) {
            // The piece that starts at 0 (settled there: 0 ≤ settleBy), scanned from inside it.
            total = rescanned.tokens
            nextOpen = rescanned.cut.map { (0, $0) }
            scanFrom = rescanned.end
        }
        let base = text.baseAddress.map(UnsafeRawPointer.init)
        forEachPiece(text, from: scanFrom) { piece, key in
            let start = UnsafeRawPointer(piece.baseAddress!) - base!
            if start <= settleBy {
                settledAt = start
                settledTokens = total
            }
            // Long and not past the settle limit: the settled prefix may stay at its start (mostly
            // the last piece; also o200k's whitespace run before the spaces that end the text,
            // "\n \n … \n ", which kept no boundary and was merged whole at every chunk).
            if piece.count >= OpenPieceCut.minPieceBytes && start <= settleBy {
                let counted = countOpenPiece(piece, resuming: start == 0 ? open : nil)
                total += counted.tokens
                nextOpen = counted.cut.map { (start, $0) }
            } else {
                total += countTokensOfPiece(piece, key: key)
            }
            return true
        }
        return (total, settledAt, settledTokens, nextOpen.flatMap { $0.start == settledAt ? $0.cut : nil })
    }

    /// The open piece that starts at 0 of `text`, when the scan for its end can start inside it
    /// (`OpenPieceRescan`): its end and tokens (from `open`'s boundary, `countOpenPiece`), and the
    /// boundary for the next call. Nil: scan from 0.
    @inline(never)
    private func rescannedOpenPiece(_ text: UnsafeBufferPointer<UInt8>, _ open: OpenPieceCut) -> (end: Int, tokens: Int, cut: OpenPieceCut?)? {
        guard let base = text.baseAddress, scansItsPattern,
              let restart = OpenPieceRescan.restart(
                base, text.count, boundary: open.at, turned: open.turned, o200k: o200kScanner != nil, classes: .shared),
              let end = openPieceEnd(base, text.count, from: restart), end > open.at
        else { return nil }
        encoding.openPieceRescans.add(1, ordering: .relaxed)
        let counted = countOpenPiece(UnsafeRawBufferPointer(start: base, count: end), resuming: open)
        return (end, counted.tokens, counted.cut)
    }

    private func openPieceEnd(_ base: UnsafePointer<UInt8>, _ count: Int, from restart: OpenPieceRescan.Restart) -> Int? {
        switch restart.reads {
        case .pattern: pieceEnd(base, count, from: restart.at)
        case .secondLetterClass: o200kScanner?.secondClassEnd(base, count, from: restart.at)
        case .whitespaceAfterLineBreak: cl100kScanner?.whitespaceRunEnd(base, count, from: restart.at)
        }
    }

    /// Whether this encoding's pattern is one the hand-written scanners split (`OpenPieceRescan`'s
    /// rules are proved for those patterns only).
    private var scansItsPattern: Bool { o200kScanner != nil || cl100kScanner != nil }

    /// The end of the piece that starts at `start` as the hand-written scanners decide it; nil when
    /// they leave it to PCRE2 (or the pattern has no scanner). `forEachPiece` passes the scanners in
    /// locals it read once.
    @inline(__always)
    private static func scannedPieceEnd(
        _ base: UnsafePointer<UInt8>, _ count: Int, from start: Int, _ o200k: O200kUnicodeScanner?, _ cl100k: Cl100kScanner?
    ) -> Int? {
        if let o200k { return O200kASCIIScanner.pieceEnd(base, count, from: start) ?? o200k.pieceEnd(base, count, from: start) }
        return cl100k?.pieceEnd(base, count, from: start)
    }

    /// The end of the pattern's first match from `start` (a piece starts there): the scanners',
    /// else PCRE2's; nil if PCRE2 finds none starting there.
    private func pieceEnd(_ base: UnsafePointer<UInt8>, _ count: Int, from start: Int) -> Int? {
        if let end = Encoder.scannedPieceEnd(base, count, from: start, o200kScanner, cl100kScanner) { return end }
        guard let match = try? matcher.firstMatch(in: base, count: count, from: start), match.lowerBound == start else { return nil }
        return match.upperBound
    }

    /// The tokens of a long piece the settled prefix may stay before (mostly one that ends where
    /// the text ends): from `open` when the pair test there passes, else merged whole; and the last boundary of its merge at least
    /// `OpenPieceCut.margin` bytes before its end, at a character's start (the next call's `open`).
    @inline(never)
    private func countOpenPiece(_ piece: UnsafeRawBufferPointer, resuming open: OpenPieceCut?) -> (tokens: Int, cut: OpenPieceCut?) {
        let first = scratchStart()
        var resumed: OpenPieceCut?
        if let open, open.at > 0 && open.at < piece.count {
            merge(UnsafeRawBufferPointer(rebasing: piece[open.at...]), into: &scratch)
            if encoding.splits.compatible(open.last, scratch[first], pairs: pairs) {
                resumed = open
                encoding.openPieceResumptions.add(1, ordering: .relaxed)
            } else {
                scratch.removeLast(scratch.count - first)
            }
        }
        if resumed == nil { appendTokensOfLongPiece(piece, to: &scratch) }
        // The resumed boundary stays one (prefix-closed) if no later one is far enough from the end.
        let limit = piece.count - OpenPieceCut.margin
        var cut = resumed.flatMap { $0.at <= limit ? $0 : nil }
        var end = resumed?.at ?? 0, tokens = resumed?.tokens ?? 0
        for index in first ..< scratch.count {
            let id = scratch[index]
            end += Int(table.offsets[Int(id) + 1] - table.offsets[Int(id)])
            tokens += 1
            guard end <= limit else { break }
            if piece[end] & 0xC0 != 0x80 { cut = OpenPieceCut(at: end, tokens: tokens, last: id) }
        }
        if scansItsPattern, let found = cut, found.at != resumed?.at {
            // Over the bytes the boundary moved past (the whole piece's when it did not resume).
            let from = resumed?.at ?? 0
            let text = piece.baseAddress!.assumingMemoryBound(to: UInt8.self)
            cut!.turned = (resumed?.turned ?? false)
                || OpenPieceRescan.turns(text, piece.count, from ..< found.at, o200k: o200kScanner != nil, classes: .shared)
        }
        return ((resumed?.tokens ?? 0) + scratch.count - first, cut)
    }

    /// The number of tokens of one piece: from the memo when short, else through scratch.
    @inline(__always)
    private func countTokensOfPiece(_ piece: UnsafeRawBufferPointer) -> Int {
        countTokensOfPiece(piece, key: Encoder.memoKey(piece))
    }

    /// The memo key of a short piece; (0, 0), never looked up, for a longer one.
    @inline(__always)
    private static func memoKey(_ piece: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        piece.count <= ShortPieceMemo.maxPieceBytes ? ShortPieceMemo.key(piece) : (0, 0)
    }

    /// The same, with the memo key `forEachPiece` computed while scanning (meaningless for a piece
    /// over `ShortPieceMemo.maxPieceBytes`).
    @inline(__always)
    private func countTokensOfPiece(_ piece: UnsafeRawBufferPointer, key: (UInt64, UInt64)) -> Int {
        if piece.count <= ShortPieceMemo.maxPieceBytes { return countTokensOfShortPiece(piece, key: key) }
        let first = scratchStart()
        appendTokensOfLongPiece(piece, to: &scratch)
        return scratch.count - first
    }

    /// Where the next tokens counted through `scratch` start. It is emptied only once it holds
    /// 4,096: `removeAll(keepingCapacity:)` is a generic `replaceSubrange` call, ~75 instructions
    /// for each of the 61k memo misses of a cold pass over the held-out corpus (callgrind).
    @inline(__always)
    private func scratchStart() -> Int {
        if scratch.count >= 4_096 { scratch.removeAll(keepingCapacity: true) }
        return scratch.count
    }

    /// The number of tokens of a piece of at most `ShortPieceMemo.maxPieceBytes`.
    @inline(__always)
    private func countTokensOfShortPiece(_ piece: UnsafeRawBufferPointer, key: (UInt64, UInt64)) -> Int {
        if let slot = memo.lookup(key, count: piece.count) {
            // The common case touches no array: clearing `scratch` for every piece (a stored
            // property of a class, checked for exclusive access) made count 0.75x encode's speed.
            return ShortPieceMemo.tokenCount(slot)
        }
        let first = scratchStart()
        return tokenOfMemoMiss(piece, key: key, mergingInto: &scratch) != RankTable.none ? 1 : scratch.count - first
    }

    /// Byte-pair merges `piece` into `output`. Not inlined: where it was, the callers retained and
    /// released the vocabulary tables' arrays on every call whether they merged or not (~95
    /// instructions of a streamed chunk's ~1,050, callgrind).
    @inline(never)
    private func merge(_ piece: UnsafeRawBufferPointer, into output: inout [Rank]) {
        merger.merge(piece, table: table, pairs: pairs, atoms: atoms, into: &output)
    }

    /// The byte ranges of the pre-tokenizer pieces of `text`, in order.
    public func pieceRanges(_ text: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
        var ranges = [Range<Int>]()
        let base = text.baseAddress.map(UnsafeRawPointer.init)
        forEachPiece(text) { piece, _ in
            let start = UnsafeRawPointer(piece.baseAddress!) - base!
            ranges.append(start ..< start + piece.count)
            return true
        }
        return ranges
    }

    /// Memoizes the tokens `tokens[first...]` of a short piece.
    @inline(__always)
    private func remember(_ key: (UInt64, UInt64), _ pieceBytes: Int, _ tokens: [Rank], from first: Int) {
        tokens.withUnsafeBufferPointer {
            memo.insert(key, count: pieceBytes, tokens: UnsafeBufferPointer(rebasing: $0[first...]))
        }
    }

    /// A piece of at most `ShortPieceMemo.maxPieceBytes`: from the memo, else the general path.
    @inline(__always)
    private func appendTokensOfShortPiece(_ piece: UnsafeRawBufferPointer, key: (UInt64, UInt64), to output: inout [Rank]) {
        if let slot = memo.lookup(key, count: piece.count) {
            if ShortPieceMemo.tokenCount(slot) <= ShortPieceMemo.maxTokens {
                ShortPieceMemo.appendTokens(slot, to: &output)
            } else {
                appendMergedTokens(piece, hash: xxh3(piece), to: &output)
            }
            return
        }
        let whole = tokenOfMemoMiss(piece, key: key, mergingInto: &output)
        if whole != RankTable.none { output.append(whole) }
    }

    /// A short piece the memo does not hold: one vocabulary entry (`ShortTokenTable`: one cache
    /// line, where `RankTable` read three; cold held-out text 3–10 % faster), else a merge. Asked
    /// after the memo, not before: first, it made passes over text already seen 16 % slower (the
    /// memo holds multi-token pieces' tokens in the same line). Not looked up in or added to
    /// `PieceCache`: on unseen text that was two more missed lines per merged piece; without it
    /// cold and warm held-out text and 512-byte calls are ~5 % faster, cold 1 MB files of the
    /// shared corpus 24 %, and passes over files already seen ±4 % (the memo's conflict misses
    /// are merged again).
    ///
    /// Returns the piece's token when it is one (remembered without a buffer: count then needs no
    /// `scratch` for most misses), else `RankTable.none` after merging it onto `output` and
    /// remembering the merge.
    @inline(__always)
    private func tokenOfMemoMiss(_ piece: UnsafeRawBufferPointer, key: (UInt64, UInt64), mergingInto output: inout [Rank]) -> Rank {
        let whole = shortTokens.rank(key, count: piece.count)
        if whole != RankTable.none {
            memo.insert(key, count: piece.count, token: whole)
            return whole
        }
        let first = output.count
        merge(piece, into: &output)
        remember(key, piece.count, output, from: first)
        return RankTable.none
    }

    /// A longer piece: whole from `PieceCache` when seen before; else its segments as pieces of
    /// their own (short ones through the memo), or the whole piece when it has no cut, remembered
    /// whole. Looked up before it is cut: finding the cuts and looking up each segment was 22 % of
    /// the instructions of a pass whose pieces had all been seen (callgrind, held-out corpus).
    /// Out of line, as is `appendTokensOfSegments`: cold held-out text 186.6M instructions with
    /// both inlined into the piece loop, 185.2M with the segments' loop out of line, 183.3M with
    /// both (callgrind, stop 31).
    @inline(never)
    private func appendTokensOfLongPiece(_ piece: UnsafeRawBufferPointer, to output: inout [Rank]) {
        guard piece.count <= PieceCache.maxPieceBytes else {
            if !appendTokensOfSegments(piece, to: &output) { appendTokensOfSegment(piece, to: &output) }
            return
        }
        let hash = xxh3(piece)
        if let cached = cache.lookup(piece, hash: hash) {
            cache.appendTokens(cached, to: &output)
            return
        }
        let first = output.count
        if !appendTokensOfSegments(piece, to: &output) {
            let whole = table.rank(of: piece, hash: hash)
            if whole != RankTable.none {
                output.append(whole)
            } else {
                merge(piece, into: &output)
            }
        }
        cache.insert(piece, hash: hash, tokens: output, from: first)
    }

    /// A segment of a long piece, as a piece of its own: short ones through the memo.
    @inline(__always)
    private func appendTokensOfSegment(_ segment: UnsafeRawBufferPointer, to output: inout [Rank]) {
        if segment.count <= ShortPieceMemo.maxPieceBytes {
            appendTokensOfShortPiece(segment, key: ShortPieceMemo.key(segment), to: &output)
        } else {
            appendTokensOfPiece(segment, to: &output)
        }
    }

    /// Appends the tokens of each segment of `piece` between the cuts `CharacterCuts` allows
    /// (between characters no token spans); false, having appended nothing, when there is none.
    @inline(never)
    private func appendTokensOfSegments(_ piece: UnsafeRawBufferPointer, to output: inout [Rank]) -> Bool {
        let room = CharacterCuts.maxCuts(piece.count)
        if room > cutBuffer.count {
            cutBuffer.deallocate()
            cutBuffer = .allocate(capacity: room)
        }
        let cutCount = cuts.cuts(of: piece, into: cutBuffer.baseAddress!)
        guard cutCount > 0 else { return false }
        var segmentStart = 0
        for index in 0 ... cutCount {
            let segmentEnd = index < cutCount ? Int(cutBuffer[index]) : piece.count
            appendTokensOfSegment(UnsafeRawBufferPointer(rebasing: piece[segmentStart ..< segmentEnd]), to: &output)
            segmentStart = segmentEnd
        }
        return true
    }

    /// The general path for a segment of more than 16 bytes: the piece as one vocabulary entry,
    /// else its cached merge, else a merge.
    @inline(__always)
    private func appendTokensOfPiece(_ piece: UnsafeRawBufferPointer, to output: inout [Rank]) {
        let hash = xxh3(piece)
        // 78.5 % of o200k pieces on the corpus are one vocabulary entry: one probe, no merge.
        let whole = table.rank(of: piece, hash: hash)
        if whole != RankTable.none {
            output.append(whole)
            return
        }
        appendMergedTokens(piece, hash: hash, to: &output)
    }

    /// The piece's merge from `PieceCache`, or merged now and remembered there: long segments, and
    /// the tokens of short pieces the memo holds only the count of (more than 3 tokens).
    @inline(__always)
    private func appendMergedTokens(_ piece: UnsafeRawBufferPointer, hash: UInt64, to output: inout [Rank]) {
        if let cached = cache.lookup(piece, hash: hash) {
            cache.appendTokens(cached, to: &output)
            return
        }
        let first = output.count
        merge(piece, into: &output)
        cache.insert(piece, hash: hash, tokens: output, from: first)
    }

    /// Calls `body` on each pre-tokenizer piece until it returns false; returns false if stopped.
    ///
    /// The hand-written scanners run up to 32 pieces ahead and prefetch each short piece's memo
    /// set, so that the memo misses of unseen text overlap instead of following one another. In an
    /// encoder that has served other text (its memo lines are real memory, not fresh zero pages)
    /// that took 6–7 % off held-out text, 4 % off 512-byte calls, 7 % off counting
    /// (`tokenizer_ab.py --warm`, both orders); cold and polluted passes moved by −1 to +3 %, and
    /// the key was computed twice (+6 % instructions); now each short piece's key is computed once,
    /// kept with the piece's end and handed to `body` (meaningless for a piece over
    /// `ShortPieceMemo.maxPieceBytes`).
    /// Prefetching `ShortTokenTable`'s line as well gained another 1–3 % warm but lost 8 % on
    /// passes over text already seen: not kept (stop 30: 1–2 % cold and warm, 3–6 % slower seen;
    /// only after a batch with a memo miss: within noise).
    /// 32 pieces ahead rather than 16: held-out text 1–2 % faster cold, warm, in 512-byte calls and
    /// in cl100k, 2–4 % on text already seen (`tokenizer_ab.py --pollute 8`, 4 alternations each
    /// way); instructions −0.2 %. 64 lost to both.
    @inline(__always)
    @discardableResult
    private func forEachPiece(
        _ text: UnsafeBufferPointer<UInt8>, from start: Int = 0, _ body: (UnsafeRawBufferPointer, (UInt64, UInt64)) -> Bool
    ) -> Bool {
        guard let base = text.baseAddress else { return true }
        let count = text.count
        let o200k = o200kScanner, cl100k = cl100kScanner
        let batch = 32
        // A text of a few pieces (a streamed chunk's rescan: 13 bytes on average) has no later
        // piece to overlap a miss with; the prefetch only computed each key twice.
        let prefetching = count > 64
        return withUnsafeTemporaryAllocation(of: (end: Int, key: (UInt64, UInt64)).self, capacity: batch) { ends in
            var offset = start
            while offset < count {
                // Scan ahead: the ends of up to `batch` pieces the scanners decide.
                var scanned = 0, ahead = offset
                while scanned < batch && ahead < count {
                    guard let end = Encoder.scannedPieceEnd(base, count, from: ahead, o200k, cl100k) else { break }
                    let length = end &- ahead
                    let key = Encoder.memoKey(UnsafeRawBufferPointer(start: base + ahead, count: length))
                    if prefetching && length <= ShortPieceMemo.maxPieceBytes { memo.prefetch(key, count: length) }
                    ends[scanned] = (end, key)
                    scanned &+= 1
                    ahead = end
                }
                for index in 0 ..< scanned {
                    let (end, key) = ends[index]
                    let piece = UnsafeRawBufferPointer(start: base + offset, count: end &- offset)
                    if !body(piece, key) { return false }
                    offset = end
                }
                if scanned == batch || offset >= count { continue }
                // A piece the scanners leave undecided (or no scanner): PCRE2.
                let found: Range<Int>
                do {
                    guard let match = try matcher.firstMatch(in: base, count: count, from: offset) else { break }
                    found = match
                } catch {
                    // The tokenizer patterns are fixed and valid UTF-8 is guaranteed by `String`;
                    // PCRE2 can fail here only on resource exhaustion, a bug to surface, not to hide.
                    fatalError("pre-tokenizer failed: \(error)")
                }
                let piece = UnsafeRawBufferPointer(start: base + found.lowerBound, count: found.count)
                if !body(piece, Encoder.memoKey(piece)) { return false }
                offset = found.upperBound
            }
            return true
        }
    }
}
