import Foundation

/// A SentencePiece model's pieces laid out flat — bytes end to end with offsets, scores, types —
/// which is what the vocabulary is built from and what the binary cache stores.
///
/// Parsing the 4.7 MB protobuf of Gemma 3 (262,144 pieces) is most of a ~115 ms load; reading this
/// layout back from `<model>.tbcache` is a few `memcpy`s. The cache is keyed by the model file's XXH3
/// and checksummed, rebuilt when absent, stale or damaged; failing to write it only costs the slower
/// load next time.
struct FlatPieces: Sendable {
    var bytes: [UInt8]
    /// `offsets[i] ..< offsets[i + 1]` are the bytes of piece i.
    var offsets: [UInt32]
    var scores: [Float]
    var types: [UInt8]
    var unknownID: Int

    var count: Int { types.count }

    init(_ model: SentencePieceModel) {
        bytes = []
        bytes.reserveCapacity(model.pieces.count * 8)
        offsets = []
        offsets.reserveCapacity(model.pieces.count + 1)
        for piece in model.pieces {
            offsets.append(UInt32(bytes.count))
            bytes.append(contentsOf: piece.bytes)
        }
        offsets.append(UInt32(bytes.count))
        scores = model.pieces.map(\.score)
        types = model.pieces.map(\.type.rawValue)
        unknownID = model.unknownID
    }

    init(bytes: [UInt8], offsets: [UInt32], scores: [Float], types: [UInt8], unknownID: Int) {
        self.bytes = bytes
        self.offsets = offsets
        self.scores = scores
        self.types = types
        self.unknownID = unknownID
    }

    @inline(__always)
    func pieceBytes(_ index: Int) -> ArraySlice<UInt8> { bytes[Int(offsets[index]) ..< Int(offsets[index + 1])] }

    // MARK: - Cache

    static let magic = Array("TBSPM001".utf8)

    static func cacheURL(for modelPath: String) -> URL { URL(fileURLWithPath: modelPath + ".tbcache") }

    /// Layout (`BinaryImage`): piece count, byte count, unknown id, then bytes, offsets (UInt32 ×
    /// count + 1), scores (Float32 × count), types (UInt8 × count).
    static func load(_ url: URL, sourceHash: UInt64) -> FlatPieces? {
        BinaryImage.read(url, magic: magic, sourceHash: sourceHash) { image -> FlatPieces? in
            guard let count = image.word().map(Int.init), let byteCount = image.word().map(Int.init),
                let unknownID = image.word().map(Int.init), unknownID < count,
                let bytes = image.array(byteCount, of: UInt8.self), let offsets = image.array(count + 1, of: UInt32.self),
                let scores = image.array(count, of: Float.self), let types = image.array(count, of: UInt8.self),
                offsets.last.map(Int.init) == byteCount,
                types.allSatisfy({ SentencePieceModel.PieceType(rawValue: $0) != nil })
            else { return nil }
            return FlatPieces(bytes: bytes, offsets: offsets, scores: scores, types: types, unknownID: unknownID)
        }
    }

    func store(to url: URL, sourceHash: UInt64) {
        var image = BinaryImage.Writer(magic: Self.magic, sourceHash: sourceHash, capacity: 40 + bytes.count + 9 * count)
        image.append([UInt64(count), UInt64(bytes.count), UInt64(unknownID)])
        image.append(bytes)
        image.append(offsets)
        image.append(scores)
        image.append(types)
        image.write(to: url)
    }
}
