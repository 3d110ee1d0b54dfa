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

    /// Layout, little-endian: magic, source XXH3, piece count, byte count, unknown id, then bytes,
    /// offsets (UInt32 × count + 1), scores (Float32 × count), types (UInt8 × count), and the XXH3 of
    /// everything before it.
    static func load(_ url: URL, sourceHash: UInt64) -> FlatPieces? {
        guard let data = FileManager.default.contents(atPath: url.path), data.count > 48 else { return nil }
        return data.withUnsafeBytes { raw -> FlatPieces? in
            let body = UnsafeRawBufferPointer(rebasing: raw[0 ..< raw.count - 8])
            guard raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self) == xxh3(body),
                Array(raw[0 ..< 8]) == magic,
                raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == sourceHash
            else { return nil }
            let count = Int(raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            let byteCount = Int(raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            let unknownID = Int(raw.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
            var offset = 40
            guard offset + byteCount + 4 * (count + 1) + 4 * count + count + 8 == raw.count, unknownID < count else { return nil }
            func take<T>(_ count: Int, _ type: T.Type) -> [T] {
                let result = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + count * MemoryLayout<T>.stride]))
                    initialized = count
                }
                offset += count * MemoryLayout<T>.stride
                return result
            }
            let bytes = take(byteCount, UInt8.self)
            let offsets = take(count + 1, UInt32.self)
            let scores = take(count, Float.self)
            let types = take(count, UInt8.self)
            guard offsets.last.map(Int.init) == byteCount, types.allSatisfy({ SentencePieceModel.PieceType(rawValue: $0) != nil })
            else { return nil }
            return FlatPieces(bytes: bytes, offsets: offsets, scores: scores, types: types, unknownID: unknownID)
        }
    }

    func store(to url: URL, sourceHash: UInt64) {
        var data = [UInt8]()
        data.reserveCapacity(48 + bytes.count + 9 * count)
        func append<T>(_ values: [T]) { values.withUnsafeBytes { data.append(contentsOf: $0) } }
        data.append(contentsOf: Self.magic)
        append([sourceHash, UInt64(count), UInt64(bytes.count), UInt64(unknownID)])
        append(bytes)
        append(offsets)
        append(scores)
        append(types)
        append([xxh3(data)])
        // Write aside and rename, so that a concurrent reader never sees half a file.
        let temporary = url.path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(data)) else { return }
        if rename(temporary, url.path) != 0 { unlink(temporary) }
    }
}
