/// The immutable tables of a SentencePiece BPE model, shared by every encoder.
struct SentencePieceVocabulary: Sendable {
    /// SentencePiece's `pieces_`: NORMAL, USER_DEFINED and UNUSED pieces, bytes → id. The other types
    /// (CONTROL, UNKNOWN, BYTE) are never produced by a merge and have gaps here.
    let table: RankTable
    let scores: [Float]
    let types: [SentencePieceModel.PieceType]
    /// Whether the model has UNUSED pieces at all (Gemma's have none: its `<unusedN>` are user-defined).
    let hasUnusedPieces: Bool
    /// The id of each byte piece `<0xXX>`, for byte fallback.
    let byteIDs: [Rank]
    /// The id of each ASCII character as a mergeable piece (`RankTable.none` when it is none): the
    /// merge's first symbols, read without a hash lookup (Latin text is mostly ASCII).
    let asciiIDs: [Rank]
    /// The byte of each BYTE piece by id, or -1.
    let byteValues: [Int16]
    let userDefined: UserDefinedMatcher
    /// `spaceJoins[b]`: some mergeable piece holds `b` right before an inner U+2581. A U+2581 after any
    /// other byte starts a piece, so a segment boundary there cannot change the merges (Gemma 3:
    /// only `>`, from the one piece `>▁</`).
    let spaceJoins: [Bool]
    let unknownID: Rank

    static let space: [UInt8] = [0xE2, 0x96, 0x81]  // U+2581 LOWER ONE EIGHTH BLOCK

    init(_ pieces: FlatPieces, path: String) throws {
        // The mergeable pieces' bytes laid out by id (empty ranges for the others), as `RankTable`
        // keeps them: built in one pass, without a tuple and a slice per piece.
        var flat: [UInt8] = []
        flat.reserveCapacity(pieces.bytes.count)
        var offsets: [UInt32] = []
        offsets.reserveCapacity(pieces.count + 1)
        var byteIDs = [Rank](repeating: RankTable.none, count: 256)
        var byteValues = [Int16](repeating: -1, count: pieces.count)
        var userDefined: [(bytes: [UInt8], id: Rank)] = []
        var spaceJoins = [Bool](repeating: false, count: 256)
        var hasUnused = false
        var types: [SentencePieceModel.PieceType] = []
        types.reserveCapacity(pieces.count)
        for index in 0 ..< pieces.count {
            let id = Rank(index)
            let bytes = pieces.pieceBytes(index)
            guard let type = SentencePieceModel.PieceType(rawValue: pieces.types[index]) else {
                throw TokenizerError(.vocabularyMalformed, "\(path): piece \(index) has unknown type \(pieces.types[index])")
            }
            types.append(type)
            offsets.append(UInt32(flat.count))
            switch type {
            case .normal, .userDefined, .unused:
                flat.append(contentsOf: bytes)
                if type == .userDefined { userDefined.append((Array(bytes), id)) }
                if type == .unused { hasUnused = true }
                if type != .userDefined, bytes.count > 3 {
                    let start = bytes.startIndex
                    for offset in start + 1 ..< bytes.endIndex - 2
                    where bytes[offset] == 0xE2 && bytes[offset + 1] == 0x96 && bytes[offset + 2] == 0x81 {
                        spaceJoins[Int(bytes[offset - 1])] = true
                    }
                }
            case .byte:
                // "<0xAB>"
                let start = bytes.startIndex
                guard bytes.count == 6,
                    let value = UInt8(String(decoding: bytes[start + 3 ..< start + 5], as: UTF8.self), radix: 16)
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
        let table = try RankTable(flatBytes: flat, offsets: offsets)
        self.table = table
        self.asciiIDs = (0 ..< 0x80).map { byte in withUnsafeBytes(of: UInt8(byte)) { table.rank(of: $0) } }
        self.scores = pieces.scores
        self.types = types
        self.hasUnusedPieces = hasUnused
        self.byteIDs = byteIDs
        self.byteValues = byteValues
        self.userDefined = UserDefinedMatcher(userDefined)
        self.spaceJoins = spaceJoins
        self.unknownID = Rank(pieces.unknownID)
    }

    /// The id of `text[start ..< end]` among the mergeable pieces, or `RankTable.none`.
    @inline(__always)
    func id(of text: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Rank {
        table.rank(of: UnsafeRawBufferPointer(rebasing: text[start ..< end]))
    }

    @inline(__always)
    func isUnused(_ id: Rank) -> Bool { hasUnusedPieces && types[Int(id)] == .unused }
}
