import Foundation
import Synchronization

/// A tiktoken-compatible byte-level BPE encoding (o200k_base, cl100k_base): ids equal tiktoken's.
///
/// Load once, share everywhere: the vocabulary and the compiled pattern are immutable; per-thread
/// state (match data, merge scratch, piece cache) lives in `Encoder`s that the methods borrow from a
/// pool, so any thread may call any method.
///
/// ```swift
/// let o200k = try BPEEncoding.named("o200k_base")
/// o200k.encodeOrdinary("hello world")   // [24912, 2375]
/// o200k.count("hello world")            // 2
/// ```
public final class BPEEncoding: TextTokenizer, @unchecked Sendable {
    // @unchecked: every stored property is immutable; `pool` guards its own state.
    public let spec: EncodingSpec
    public let table: RankTable
    let pairs: PairTable
    let cuts: CharacterCuts
    let atoms: CharacterAtoms
    let shortTokens: ShortTokenTable
    /// What every new encoder's memo starts from (nil: empty), `MemoSeed`.
    let memoSeed: MemoSeed?
    let pattern: RegexPattern
    /// Special tokens as UTF-8, longest first so that a longer one wins at the same position.
    let specials: [(bytes: [UInt8], rank: Rank, text: String)]
    /// The hand-written scanner that splits pieces before PCRE2 is asked, for exactly the pattern
    /// (and options) it was written for; PCRE2 alone for any other.
    let scanner: ScannerKind
    /// Each token's canonical split, for `countAppending` inside a long open piece; made at its first
    /// use (1.6 MiB for o200k), since most processes never stream such a piece.
    var splits: TokenSplits { splitsOnce.value { TokenSplits(pairs, rankCount: table.rankCount) } }
    private let splitsOnce = MadeOnce<TokenSplits>()
    /// Long open pieces counted from a boundary of their merge (`OpenPieceCut`), for tests: that the
    /// pair test passes, not only that boundaries are kept. Touched only on that path.
    let openPieceResumptions = Atomic<Int>(0)
    /// Long open pieces whose end was scanned for from inside them (`OpenPieceRescan`), for tests.
    let openPieceRescans = Atomic<Int>(0)

    enum ScannerKind {
        /// `O200kASCIIScanner`, then `O200kUnicodeScanner`.
        case o200k
        /// `Cl100kScanner`.
        case cl100k
        case none
    }
    private let pool = EncoderPool<Encoder>()

    public var name: String { spec.name }

    /// Builds an encoding from a parsed vocabulary (`pairs` and `cuts` are derived from `table`
    /// when not given). Its encoders' memos start empty (`load` seeds them, `MemoSeed`).
    public convenience init(spec: EncodingSpec, table: RankTable, pairs: PairTable? = nil) throws {
        try self.init(spec: spec, table: table, pairs: pairs, cuts: nil, atoms: nil, shortTokens: nil, memoSeed: nil)
    }

    init(
        spec: EncodingSpec, table: RankTable, pairs: PairTable?, cuts: CharacterCuts?, atoms: CharacterAtoms?,
        shortTokens: ShortTokenTable?, memoSeed: MemoSeed?
    ) throws {
        self.spec = spec
        self.table = table
        self.pairs = try pairs ?? PairTable(table)
        self.cuts = cuts ?? CharacterCuts(table)
        self.atoms = atoms ?? CharacterAtoms(table)
        self.shortTokens = shortTokens ?? ShortTokenTable(table)
        self.memoSeed = memoSeed
        self.pattern = try RegexPattern(spec.pattern, extraOptions: spec.patternOptions)
        func written(for known: EncodingSpec) -> Bool {
            spec.pattern == known.pattern && spec.patternOptions == known.patternOptions
        }
        self.scanner = written(for: .o200kBase) ? .o200k : written(for: .cl100kBase) ? .cl100k : .none
        self.specials = spec.specialTokens
            .map { (Array($0.key.utf8), $0.value, $0.key) }
            .sorted { $0.0.count > $1.0.count }
    }

    /// Loads `spec`'s vocabulary from `directory` (default: `VocabularyLocator.defaultDirectory`).
    ///
    /// - Throws: `TokenizerError` `.vocabularyMissing`, `.vocabularyCorrupt` or `.vocabularyMalformed`,
    ///   with a message naming the file and the fix.
    public static func load(_ spec: EncodingSpec, directory: URL? = nil) throws -> BPEEncoding {
        let file = try VocabularyLocator.read(spec.vocabularyFile, expectedXXH3: spec.xxh3, directory: directory)
        let cache = VocabularyCache.url(for: file.path)
        if let (table, pairs, cuts, atoms, shortTokens, seed) = VocabularyCache.load(cache, sourceHash: file.hash) {
            return try BPEEncoding(spec: spec, table: table, pairs: pairs, cuts: cuts, atoms: atoms, shortTokens: shortTokens, memoSeed: seed)
        }
        let table = try TiktokenFile.parse(file.bytes, path: file.path)
        let pairs = try PairTable(table)
        let cuts = CharacterCuts(table), atoms = CharacterAtoms(table), shortTokens = ShortTokenTable(table)
        let seed = MemoSeed(table)
        VocabularyCache.store(table, pairs, cuts, atoms, shortTokens, seed, to: cache, sourceHash: file.hash)
        return try BPEEncoding(spec: spec, table: table, pairs: pairs, cuts: cuts, atoms: atoms, shortTokens: shortTokens, memoSeed: seed)
    }

    private static let loaded = LoadedOnce<BPEEncoding>()

    /// The named encoding from the default directory, loaded once per process and shared.
    ///
    /// - Throws: `.unknownEncoding` for a name this build does not know; otherwise as `load`.
    public static func named(_ name: String) throws -> BPEEncoding {
        guard let spec = EncodingSpec.all[name] else {
            let known = EncodingSpec.all.keys.sorted().joined(separator: ", ")
            throw TokenizerError(.unknownEncoding, "unknown encoding \"\(name)\"; known: \(known)")
        }
        return try loaded.value(named: name) { try load(spec) }
    }

    // MARK: - Encoders

    /// A fresh encoder for one thread's exclusive use (keeps its piece cache warm across calls).
    public func makeEncoder() -> Encoder { Encoder(encoding: self) }

    @inline(__always)
    func withEncoder<Result>(_ body: (Encoder) throws -> Result) rethrows -> Result {
        try pool.withEncoder(make: { Encoder(encoding: self) }, body)
    }

    // MARK: - Encoding

    public func encodeOrdinary(_ text: String) -> [Rank] {
        var output = [Rank]()
        output.reserveCapacity(text.utf8.count / 3)
        withUTF8(text) { bytes in withEncoder { $0.encodeOrdinary(bytes, into: &output) } }
        return output
    }

    /// The ids of `text`, where the special tokens in `allowedSpecial` become their ids.
    ///
    /// Like tiktoken's `encode(text, allowed_special=…)` with the default `disallowed_special="all"`:
    /// a special token in the text that is not allowed is an error, not silently text.
    ///
    /// - Throws: `.disallowedSpecialToken` naming the token and its byte offset.
    public func encode(_ text: String, allowedSpecial: Set<String> = []) throws -> [Rank] {
        var output = [Rank]()
        output.reserveCapacity(text.utf8.count / 3)
        try withUTF8(text) { bytes in
            try withEncoder { encoder in
                var start = 0
                while let (position, special) = nextSpecial(in: bytes, from: start) {
                    guard allowedSpecial.contains(special.text) else {
                        throw TokenizerError(
                            .disallowedSpecialToken,
                            "text contains the special token \(special.text) at byte \(position); "
                                + "allow it, or encode the text as ordinary text")
                    }
                    encoder.encodeOrdinary(UnsafeBufferPointer(rebasing: bytes[start ..< position]), into: &output)
                    output.append(special.rank)
                    start = position + special.bytes.count
                }
                encoder.encodeOrdinary(UnsafeBufferPointer(rebasing: bytes[start...]), into: &output)
            }
        }
        return output
    }

    /// The first special token at or after `start`.
    private func nextSpecial(
        in bytes: UnsafeBufferPointer<UInt8>, from start: Int
    ) -> (Int, (bytes: [UInt8], rank: Rank, text: String))? {
        guard !specials.isEmpty, start < bytes.count else { return nil }
        let lead = specials[0].bytes[0]  // every tiktoken special starts with "<|"
        var position = start
        while position < bytes.count {
            if bytes[position] == lead {
                for special in specials where position + special.bytes.count <= bytes.count {
                    if special.bytes.withUnsafeBufferPointer({
                        memcmp($0.baseAddress!, bytes.baseAddress! + position, $0.count) == 0
                    }) {
                        return (position, special)
                    }
                }
            }
            position += 1
        }
        return nil
    }

    /// The pre-tokenizer pieces of `text` as byte ranges of its UTF-8: what BPE runs on, one by one.
    public func pieceRanges(_ text: String) -> [Range<Int>] {
        withUTF8(text) { bytes in withEncoder { $0.pieceRanges(bytes) } }
    }

    // MARK: - Counting

    public func count(_ text: String) -> Int {
        withUTF8(text) { bytes in withEncoder { $0.countOrdinary(bytes)! } }
    }

    /// `TextTokenizer.countAppending`: counts from the settled prefix on, and settles the pieces
    /// that end at or before `SettleLimit` (the start of the trailing whitespace or letter run, else
    /// 1 character before the end; 3 characters before either near an apostrophe) or, inside a
    /// trailing run of ideographs, kana, Thai…, at its last `RunCut`, so a turn streamed as n
    /// chunks rescans about one piece per chunk on English, not the whole turn or clause. Exact
    /// (`IncrementalCountTests`). A pattern the scanners were not written for settles nothing: what
    /// its matches look at past their ends is not known.
    public func countAppending(_ text: String, settled: SettledPrefix?) -> (tokens: Int, settled: SettledPrefix?) {
        withUTF8(text) { bytes in
            let from = SettledPrefix.resuming(settled, within: bytes.count)
            let tail = UnsafeBufferPointer(rebasing: bytes[from.bytes...])
            // A cut lies inside the trailing letter run, past every limit `SettleLimit` can give,
            // so it settles the most: 0 is then a limit that is always right.
            let resume = scanner == .none
                ? nil : SettleLimit.resumePoint(bytes, notBelow: from.bytes, scanner: scanner, cuts: cuts, stopAt: from.openPiece.map { from.bytes + $0.at } ?? 0)
            let cutAt = resume?.cut.map { $0 - from.bytes }
            let settleBy = resume.map { $0.limit - from.bytes } ?? -1
            var next = from
            if cutAt == nil && settleBy >= 0 && tail.count >= OpenPieceCut.minPieceBytes {
                // A long unsettled tail: its last piece may be a long open one (`OpenPieceCut`).
                // The boundary's offsets are from the piece's start: `tail`'s start, where it begins.
                let counted = withEncoder { $0.countPieces(tail, settleBy: settleBy, resuming: from.openPiece) }
                next = SettledPrefix(bytes: from.bytes + counted.settledAt, tokens: from.tokens + counted.settledTokens,
                                     openPiece: counted.open)
                return (from.tokens + counted.total, next)
            }
            let counted = withEncoder { $0.countPieces(tail, settleBy: settleBy, cutAt: cutAt) }
            if settleBy >= 0 && counted.settledAt > 0 {
                next = SettledPrefix(bytes: from.bytes + counted.settledAt, tokens: from.tokens + counted.settledTokens)
            }
            return (from.tokens + counted.total, next)
        }
    }

    public func count(_ text: String, upTo limit: Int) -> Int? {
        withUTF8(text) { bytes in withEncoder { $0.countOrdinary(bytes, limit: limit) } }
    }

    // MARK: - Decoding

    /// - Throws: `.unknownTokenID` naming the first id the vocabulary does not have.
    public func decodeBytes(_ ids: [Rank]) throws -> [UInt8] {
        var output = [UInt8]()
        output.reserveCapacity(ids.count * 4)
        for (index, id) in ids.enumerated() where !table.appendBytes(of: id, to: &output) {
            guard let special = specials.first(where: { $0.rank == id }) else {
                throw TokenizerError(.unknownTokenID, "id \(id) at position \(index) is not in \(name)")
            }
            output.append(contentsOf: special.bytes)
        }
        return output
    }
}

/// Runs `body` on the UTF-8 bytes of `text`, borrowed through `UTF8View.span` (Swift 6.2): no copy,
/// and no retain and release of the string's storage, which `withContiguousStorageIfAvailable` did
/// (~50 instructions a call: streamed held-out turns 346.1M → 337.5M, callgrind). The package's
/// tools version is 6.1: an older compiler takes that path.
@inline(__always)
func withUTF8<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result) rethrows -> Result {
    #if compiler(>=6.2)
    try text.utf8.span.withUnsafeBufferPointer(body)
    #else
    if let result = try text.utf8.withContiguousStorageIfAvailable(body) { return result }
    return try Array(text.utf8).withUnsafeBufferPointer(body)
    #endif
}
