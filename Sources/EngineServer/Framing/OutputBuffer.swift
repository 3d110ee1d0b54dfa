#if canImport(Glibc)
import Glibc
#endif

/// Responses waiting to be written, flushed with blocking `write(2)`.
///
/// Backpressure: the server flushes after every input chunk and whenever more than `limit` bytes
/// wait, and a blocking write stops the loop — so a slow reader pauses reading instead of letting
/// memory grow (at most one input chunk's responses, plus the limit, are ever held).
public struct OutputBuffer {
    public struct Closed: Error {
        public var errno: Int32
    }

    let fd: Int32
    public let limit: Int
    private(set) var bytes: [UInt8] = []

    public init(fd: Int32, limit: Int = 256 * 1024) {
        self.fd = fd
        self.limit = limit
        bytes.reserveCapacity(limit + 64 * 1024)
    }

    public var needsFlush: Bool { bytes.count >= limit }

    public mutating func append(_ write: (inout [UInt8]) -> Void) {
        write(&bytes)
        bytes.append(0x0A)
    }

    /// Writes everything held. - Throws: `Closed` when the reader has gone (EPIPE) or writing fails.
    public mutating func flush() throws(Closed) {
        var offset = 0
        let total = bytes.count
        while offset < total {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, total - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                bytes.removeAll(keepingCapacity: true)
                throw Closed(errno: code)
            }
            offset += written
        }
        bytes.removeAll(keepingCapacity: true)
    }
}
