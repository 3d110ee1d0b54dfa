import CXXHash

/// XXH3-64 of bytes that arrive in parts: `digest` equals `xxh3(allParts, seed:)`, and each `update`
/// costs its own bytes only. A turn streamed in chunks hashed its whole text again at every chunk:
/// O(turn) per chunk, 400 KB hashed per 5-byte chunk at the end of a 400 KB turn.
///
/// A reference type around the C state (576 bytes, 64-byte aligned, so on the heap); holders that
/// are values copy it before updating a shared one (`isKnownUniquelyReferenced`, `copy()`).
public final class XXH3Stream: @unchecked Sendable {
    private let state: UnsafeMutableRawPointer

    /// A stream with nothing hashed yet.
    public init(seed: UInt64) {
        guard let state = cxxh3_stream_create(seed) else { fatalError("XXH3Stream: out of memory") }
        self.state = state
    }

    private init(copying other: XXH3Stream) {
        guard let state = cxxh3_stream_copy(other.state) else { fatalError("XXH3Stream: out of memory") }
        self.state = state
    }

    deinit { cxxh3_stream_free(state) }

    /// An independent stream in the same state.
    public func copy() -> XXH3Stream { XXH3Stream(copying: self) }

    public func update(_ bytes: UnsafeRawBufferPointer) {
        cxxh3_stream_update(state, bytes.baseAddress, bytes.count)
    }

    /// Adds a string's UTF-8 bytes.
    public func update(_ text: String) {
        withUTF8(text) { update(UnsafeRawBufferPointer($0)) }
    }

    /// The hash of everything added so far (the stream can go on).
    public var digest: UInt64 { UInt64(cxxh3_stream_digest(state)) }
}
