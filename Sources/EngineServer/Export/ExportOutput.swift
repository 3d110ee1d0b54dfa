import Foundation

/// A buffered writer on a file descriptor for export documents: bytes go out in 64 KiB writes, so
/// an export's memory is its page of messages plus this buffer, whatever the session's length.
public final class ExportOutput {
    /// Why a write failed (the file, the errno text).
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    let descriptor: Int32
    let name: String
    let ownsDescriptor: Bool
    private var buffer: [UInt8] = []
    static let capacity = 64 * 1024

    /// Writes to `descriptor` (standard output: 1), which it does not close.
    public init(descriptor: Int32, name: String) {
        self.descriptor = descriptor
        self.name = name
        ownsDescriptor = false
        buffer.reserveCapacity(Self.capacity)
    }

    /// Creates (or truncates) `path`; `exclusive`: fails if it exists (a temporary file).
    public init(creating path: String, exclusive: Bool = false) throws(Failure) {
        let flags = O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC)
        descriptor = Foundation.open(path, flags, 0o644)
        guard descriptor >= 0 else { throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))") }
        name = path
        ownsDescriptor = true
        buffer.reserveCapacity(Self.capacity)
    }

    deinit { if ownsDescriptor { close(descriptor) } }

    public func write(_ text: String) throws(Failure) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= Self.capacity { try flush() }
    }

    public func flush() throws(Failure) {
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot write \(name): \(String(cString: strerror(errno)))")
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and forces the bytes to the disk (before a rename makes them the export).
    public func sync() throws(Failure) {
        try flush()
        guard fsync(descriptor) == 0 else { throw Failure(description: "cannot sync \(name): \(String(cString: strerror(errno)))") }
    }
}
