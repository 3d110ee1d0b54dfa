import Foundation

/// A binary image of a parsed `RankTable`, next to the vocabulary file, keyed by the file's XXH3.
///
/// Parsing o200k's 199,998 base64 lines and building the hash table takes ~40 ms; reading this
/// image back is a few `memcpy`s (~3 ms). The image is rebuilt when absent, when the vocabulary's
/// hash differs (stale), or when its own trailing XXH3 does not match (damaged). Failing to write it
/// (read-only directory) only costs the slower load next time.
///
/// Layout, little-endian: magic `TBVOCAB2`, source XXH3, rank count, byte count, slot count, pair
/// slot count, pair shift, then token bytes, offsets (UInt32 × rank count + 1), slots (UInt64), byte
/// ranks (UInt32 × 256), byte-pair ranks (UInt32 × 65,536), pair keys (UInt64), pair values (UInt32),
/// and the XXH3 of everything before it.
enum VocabularyCache {
    static let magic = Array("TBVOCAB2".utf8)

    static func url(for vocabularyPath: String) -> URL {
        URL(fileURLWithPath: vocabularyPath + ".tbcache")
    }

    static func load(_ url: URL, sourceHash: UInt64) -> (RankTable, PairTable)? {
        guard let data = FileManager.default.contents(atPath: url.path), data.count > 64 else { return nil }
        return data.withUnsafeBytes { raw -> (RankTable, PairTable)? in
            let body = UnsafeRawBufferPointer(rebasing: raw[0 ..< raw.count - 8])
            guard raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self) == xxh3(body),
                Array(raw[0 ..< 8]) == magic,
                raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == sourceHash
            else { return nil }
            let rankCount = Int(raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self))
            let byteCount = Int(raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
            let slotCount = Int(raw.loadUnaligned(fromByteOffset: 32, as: UInt64.self))
            let pairCount = Int(raw.loadUnaligned(fromByteOffset: 40, as: UInt64.self))
            let pairShift = raw.loadUnaligned(fromByteOffset: 48, as: UInt64.self)
            var offset = 56
            let expected =
                offset + byteCount + 4 * (rankCount + 1) + 8 * slotCount + 4 * (256 + 65_536) + 12 * pairCount + 8
            guard expected == raw.count, slotCount > 0, slotCount & (slotCount - 1) == 0, pairCount > 0,
                pairCount & (pairCount - 1) == 0, pairShift == UInt64(64 - pairCount.trailingZeroBitCount)
            else { return nil }
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
            let offsets = take(rankCount + 1, UInt32.self)
            let slots = take(slotCount, UInt64.self)
            let byteRanks = take(256, Rank.self)
            let pairRanks = take(65_536, Rank.self)
            let pairKeys = take(pairCount, UInt64.self)
            let pairValues = take(pairCount, Rank.self)
            return (
                RankTable(flatBytes: bytes, offsets: offsets, slots: slots, byteRanks: byteRanks, bytePairRanks: pairRanks),
                PairTable(keys: pairKeys, values: pairValues, shift: pairShift)
            )
        }
    }

    static func store(_ table: RankTable, _ pairs: PairTable, to url: URL, sourceHash: UInt64) {
        var data = [UInt8]()
        data.reserveCapacity(48 + table.bytes.count + 4 * table.offsets.count + 8 * table.slots.count + 4 * 65_792)
        func append<T>(_ values: [T]) { values.withUnsafeBytes { data.append(contentsOf: $0) } }
        data.append(contentsOf: magic)
        append([
            sourceHash, UInt64(table.rankCount), UInt64(table.bytes.count), UInt64(table.slots.count),
            UInt64(pairs.keys.count), pairs.shift,
        ])
        append(table.bytes)
        append(table.offsets)
        append(table.slots)
        append(table.byteRanks)
        append(table.bytePairRanks)
        append(pairs.keys)
        append(pairs.values)
        append([xxh3(data)])
        // Write aside and rename, so that a concurrent reader never sees half a file.
        let temporary = url.path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(data)) else { return }
        if rename(temporary, url.path) != 0 { unlink(temporary) }
    }
}
