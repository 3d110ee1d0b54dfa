/// The immutable tables of a SentencePiece BPE model, shared by every encoder.
struct SentencePieceVocabulary: Sendable {
    /// SentencePiece's `pieces_`: NORMAL, USER_DEFINED and UNUSED pieces, bytes → id. The other types
    /// (CONTROL, UNKNOWN, BYTE) are never produced by a merge and have gaps here.
    let table: RankTable
    let scores: [Float]
    let types: [SentencePieceModel.PieceType]
    /// Whether the model has UNUSED pieces at all (Gemma's have none: its `<unusedN>` are user-defined).
    let unusedIDs: Set<Rank>
    /// The id of each byte piece `<0xXX>`, for byte fallback.
    let byteIDs: [Rank]
    /// The byte of each BYTE piece by id, or -1.
    let byteValues: [Int16]
    let userDefined: UserDefinedMatcher
    /// `spaceJoins[b]`: some mergeable piece holds `b` right before an inner U+2581. A U+2581 after any
    /// other byte starts a piece, so a segment boundary there cannot change the merges (Gemma 3:
    /// only `>`, from the one piece `>▁</`).
    let spaceJoins: [Bool]
    let unknownID: Rank

    static let space: [UInt8] = [0xE2, 0x96, 0x81]  // U+2581 LOWER ONE EIGHTH BLOCK

    init(_ model: SentencePieceModel, path: String) throws {
        // The mergeable pieces' bytes laid out by id (empty ranges for the others), as `RankTable`
        // keeps them: built in one pass, without a tuple and a slice per piece.
        var flat: [UInt8] = []
        flat.reserveCapacity(model.pieces.count * 8)
        var offsets: [UInt32] = []
        offsets.reserveCapacity(model.pieces.count + 1)
        var byteIDs = [Rank](repeating: RankTable.none, count: 256)
        var byteValues = [Int16](repeating: -1, count: model.pieces.count)
        var userDefined: [(bytes: [UInt8], id: Rank)] = []
        var spaceJoins = [Bool](repeating: false, count: 256)
        var unused: Set<Rank> = []
        for (index, piece) in model.pieces.enumerated() {
            let id = Rank(index)
            offsets.append(UInt32(flat.count))
            switch piece.type {
            case .normal, .userDefined, .unused:
                flat.append(contentsOf: piece.bytes)
                if piece.type == .userDefined { userDefined.append((piece.bytes, id)) }
                if piece.type == .unused { unused.insert(id) }
                if piece.type != .userDefined, piece.bytes.count > 3 {
                    for offset in 1 ..< piece.bytes.count - 2
                    where piece.bytes[offset] == 0xE2 && piece.bytes[offset + 1] == 0x96 && piece.bytes[offset + 2] == 0x81 {
                        spaceJoins[Int(piece.bytes[offset - 1])] = true
                    }
                }
            case .byte:
                // "<0xAB>"
                guard piece.bytes.count == 6, let value = UInt8(String(decoding: piece.bytes[3 ..< 5], as: UTF8.self), radix: 16)
                else { throw TokenizerError(.vocabularyMalformed, "\(path): byte piece \(index) is not <0xXX>") }
                byteIDs[Int(value)] = id
                byteValues[index] = Int16(value)
            case .unknown, .control:
                continue
            }
        }
        offsets.append(UInt32(flat.count))
        if let missing = byteIDs.firstIndex(of: RankTable.none) {
            throw TokenizerError(.vocabularyMalformed, "\(path): byte_fallback is on but there is no piece for byte \(missing)")
        }
        self.table = try RankTable(flatBytes: flat, offsets: offsets)
        self.scores = model.pieces.map(\.score)
        self.types = model.pieces.map(\.type)
        self.unusedIDs = unused
        self.byteIDs = byteIDs
        self.byteValues = byteValues
        self.userDefined = UserDefinedMatcher(userDefined)
        self.spaceJoins = spaceJoins
        self.unknownID = Rank(model.unknownID)
    }

    /// The id of `text[start ..< end]` among the mergeable pieces, or `RankTable.none`.
    @inline(__always)
    func id(of text: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Rank {
        table.rank(of: UnsafeRawBufferPointer(rebasing: text[start ..< end]))
    }

    @inline(__always)
    func isUnused(_ id: Rank) -> Bool { !unusedIDs.isEmpty && unusedIDs.contains(id) }
}
