import Foundation

/// The framing of the binary caches beside vocabulary files (`VocabularyCache`, `FlatPieces`):
/// an 8-byte magic, the XXH3 of the source file, little-endian words and arrays, and the XXH3 of
/// everything before it. A file that is absent, of another kind, stale (another source hash) or
/// damaged (checksum) reads as nil, and the caller rebuilds it.
enum BinaryImage {
    /// Reads the arrays and words after the header, in the order they were written.
    struct Reader {
        fileprivate let raw: UnsafeRawBufferPointer
        fileprivate var offset = 16

        /// Bytes left before the trailing checksum.
        var remaining: Int { raw.count - 8 - offset }

        mutating func word() -> UInt64? {
            guard remaining >= 8 else { return nil }
            defer { offset += 8 }
            return raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
        }

        mutating func array<T>(_ count: Int, of type: T.Type) -> [T]? {
            let size = count * MemoryLayout<T>.stride
            guard count >= 0, size <= remaining else { return nil }
            let result = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[offset ..< offset + size]))
                initialized = count
            }
            offset += size
            return result
        }

        /// Copies the next `count` values to `destination` (memory the caller laid out, e.g.
        /// aligned to cache lines); false when the image is shorter.
        mutating func copy<T>(_ count: Int, of type: T.Type, to destination: UnsafeMutablePointer<T>) -> Bool {
            let size = count * MemoryLayout<T>.stride
            guard count >= 0, size <= remaining else { return false }
            UnsafeMutableRawPointer(destination).copyMemory(from: raw.baseAddress! + offset, byteCount: size)
            offset += size
            return true
        }
    }

    /// Parses `url` with `body` when its magic, source hash and checksum hold; `body` must consume
    /// the whole image, or the file is taken as damaged.
    ///
    /// The file is mapped, not read: the arrays are copied straight out of the page cache (reading it
    /// into a buffer first touched another 12 MB of fresh pages: o200k's load 27 → ~20 ms).
    static func read<Value>(_ url: URL, magic: [UInt8], sourceHash: UInt64, _ body: (inout Reader) -> Value?) -> Value? {
        let descriptor = open(url.path, O_RDONLY)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_size >= 24 else { return nil }
        let size = Int(status.st_size)
        guard let mapping = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), mapping != MAP_FAILED else { return nil }
        defer { munmap(mapping, size) }
        let raw = UnsafeRawBufferPointer(start: mapping, count: size)
        let checked = UnsafeRawBufferPointer(rebasing: raw[0 ..< raw.count - 8])
        guard raw.loadUnaligned(fromByteOffset: raw.count - 8, as: UInt64.self) == xxh3(checked),
            Array(raw[0 ..< 8]) == magic,
            raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self) == sourceHash
        else { return nil }
        var reader = Reader(raw: raw)
        guard let value = body(&reader), reader.remaining == 0 else { return nil }
        return value
    }

    /// Builds an image; `write` adds the checksum and replaces the file atomically.
    struct Writer {
        private var data: [UInt8]

        init(magic: [UInt8], sourceHash: UInt64, capacity: Int) {
            data = magic
            data.reserveCapacity(capacity + 32)
            append([sourceHash])
        }

        mutating func append<T>(_ values: [T]) { values.withUnsafeBytes { data.append(contentsOf: $0) } }

        mutating func append<T>(_ values: UnsafeBufferPointer<T>) { data.append(contentsOf: UnsafeRawBufferPointer(values)) }

        /// Writes aside and renames, so that a concurrent reader never sees half a file. A failure
        /// (a read-only folder) only costs the slower load next time.
        func write(to url: URL) {
            var data = self.data
            let checksum = xxh3(data)
            withUnsafeBytes(of: checksum) { data.append(contentsOf: $0) }
            let temporary = url.path + ".\(getpid()).tmp"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(data)) else { return }
            if rename(temporary, url.path) != 0 { unlink(temporary) }
        }
    }
}
