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
        /// `errno` of a flush given up after SIGTERM because the reader took nothing for
        /// `terminationGraceSeconds` (the server exits 5).
        public static let stalled: Int32 = -1
    }

    /// After SIGTERM, how long a flush waits for the reader to take a byte before it gives up. Without
    /// a bound a reader that stopped reading kept the engine blocked in `write(2)` forever.
    public static let terminationGraceSeconds = 5.0

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
            if terminationRequested != 0 { return try flushBeforeExit(from: offset) }
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, total - offset) }
            if written < 0 {
                if errno == EINTR { continue }  // SIGTERM: the loop's check above takes over
                let code = errno
                bytes.removeAll(keepingCapacity: true)
                throw Closed(errno: code)
            }
            offset += written
        }
        bytes.removeAll(keepingCapacity: true)
    }

    /// The flush after SIGTERM: non-blocking writes, each wait for room bounded by `poll`; gives up
    /// once no byte was taken for `terminationGraceSeconds`.
    @inline(never)
    private mutating func flushBeforeExit(from start: Int) throws(Closed) {
        let flags = fcntl(fd, F_GETFL)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
        defer { if flags >= 0 { _ = fcntl(fd, F_SETFL, flags) } }
        var offset = start
        let total = bytes.count
        var lastProgress = Self.now()
        while offset < total {
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, total - offset) }
            if written > 0 {
                offset += written
                lastProgress = Self.now()
                continue
            }
            let code = errno
            if written < 0 && code != EAGAIN && code != EWOULDBLOCK && code != EINTR {
                bytes.removeAll(keepingCapacity: true)
                throw Closed(errno: code)
            }
            let left = Self.terminationGraceSeconds - (Self.now() - lastProgress)
            if left <= 0 {
                bytes.removeAll(keepingCapacity: true)
                throw Closed(errno: Closed.stalled)
            }
            var descriptor = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            _ = poll(&descriptor, 1, Int32(left * 1000) + 1)
        }
        bytes.removeAll(keepingCapacity: true)
    }

    private static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}
