/// Splits a byte stream into lines, holding at most `maxLineBytes` of any one line: a longer line is
/// reported once as too long and its remaining bytes are skipped up to its newline, so a 50 MB line
/// costs 50 MB of reading but no memory. The limit counts the line's bytes without its terminator,
/// `\n` or `\r\n` alike: the `\r` of a CRLF line is the one byte held beyond the limit.
public struct LineSplitter {
    public enum Event {
        /// A complete line, without its `\n` (a trailing `\r` is kept: JSON treats it as whitespace).
        case line(UnsafeBufferPointer<UInt8>, number: Int)
        /// A line longer than the limit was skipped.
        case tooLong(number: Int, bytes: Int)
    }

    public let maxLineBytes: Int
    private var partial: [UInt8] = []
    private var skipping = false
    private var skippedBytes = 0
    /// The last byte skipped so far: a CR before the newline is the terminator's, not the line's.
    private var lastSkippedByte: UInt8 = 0
    private(set) var lineNumber = 0

    public init(maxLineBytes: Int) {
        self.maxLineBytes = maxLineBytes
    }

    /// Feeds a chunk; calls `body` for each line it completes, in order.
    public mutating func feed(_ chunk: UnsafeBufferPointer<UInt8>, _ body: (Event) -> Void) {
        var start = 0
        let count = chunk.count
        while start < count {
            var end = start
            while end < count && chunk[end] != 0x0A { end += 1 }
            let piece = UnsafeBufferPointer(rebasing: chunk[start ..< end])
            let complete = end < count
            // One byte past the limit is held while it may be the CR of a CRLF; a complete line is
            // then measured without it.
            let length = partial.count + piece.count
            if skipping {
                skippedBytes += piece.count
                lastSkippedByte = piece.last ?? lastSkippedByte
            } else if length > maxLineBytes + 1
                || (complete && length == maxLineBytes + 1 && (piece.last ?? partial.last) != 0x0D)
            {
                skipping = true
                skippedBytes = length
                lastSkippedByte = piece.last ?? partial.last ?? 0
                partial.removeAll(keepingCapacity: false)
            } else if complete && partial.isEmpty {
                lineNumber += 1
                body(.line(piece, number: lineNumber))  // no copy for lines inside one chunk
                start = end + 1
                continue
            } else {
                partial.append(contentsOf: piece)
            }
            if complete {
                lineNumber += 1
                if skipping {
                    body(.tooLong(number: lineNumber, bytes: skippedBytes - (lastSkippedByte == 0x0D ? 1 : 0)))
                    skipping = false
                    skippedBytes = 0
                } else {
                    partial.withUnsafeBufferPointer { body(.line($0, number: lineNumber)) }
                    partial.removeAll(keepingCapacity: partial.count <= 64 * 1024)
                }
            }
            start = end + 1
        }
    }

    /// At end of input: the unterminated last line, if any, as a line of its own.
    public mutating func finish(_ body: (Event) -> Void) {
        if skipping || (partial.count > maxLineBytes && partial.last != 0x0D) {
            lineNumber += 1
            body(.tooLong(number: lineNumber, bytes: skipping ? skippedBytes : partial.count))
        } else if !partial.isEmpty {
            lineNumber += 1
            partial.withUnsafeBufferPointer { body(.line($0, number: lineNumber)) }
        }
        partial = []
        skipping = false
    }

    /// Bytes of an unfinished line held now.
    public var pendingBytes: Int { partial.count }
}
