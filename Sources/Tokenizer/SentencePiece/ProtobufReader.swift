/// A reader of the protobuf wire format, just enough for SentencePiece's `ModelProto`.
///
/// swift-protobuf would cost its plugin's 9.5-minute first build for the six fields we read; the wire
/// format is four rules (varint, 64-bit, length-delimited, 32-bit), so the reader is hand-written and
/// every malformed input is a thrown error, never a trap.
struct ProtobufReader {
    enum WireType: UInt64 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5
    }

    struct Field {
        var number: UInt64
        var wireType: WireType
        /// For `.varint`, `.fixed32` and `.fixed64`: the value; for `.lengthDelimited`: unused.
        var scalar: UInt64
        /// For `.lengthDelimited`: the bytes.
        var bytes: ArraySlice<UInt8>
    }

    private let data: ArraySlice<UInt8>
    private var position: Int
    /// Where the message is, for errors: the file, and the piece when reading one. Kept in parts:
    /// interpolating a string for each of 262,144 pieces cost ~15 % of a Gemma load.
    private let path: String
    private let part: String
    private let index: Int?

    init(_ data: ArraySlice<UInt8>, path: String, part: String = "", index: Int? = nil) {
        self.data = data
        self.position = data.startIndex
        self.path = path
        self.part = part
        self.index = index
    }

    /// The next field, or nil at the end of the message.
    mutating func next() throws -> Field? {
        guard position < data.endIndex else { return nil }
        let key = try varint()
        guard let wireType = WireType(rawValue: key & 7) else {
            throw malformed("unsupported wire type \(key & 7) at byte \(position)")
        }
        let number = key >> 3
        switch wireType {
        case .varint:
            return Field(number: number, wireType: wireType, scalar: try varint(), bytes: [])
        case .fixed64:
            return Field(number: number, wireType: wireType, scalar: try fixed(8), bytes: [])
        case .fixed32:
            return Field(number: number, wireType: wireType, scalar: try fixed(4), bytes: [])
        case .lengthDelimited:
            let length = try varint()
            guard length <= UInt64(data.endIndex - position) else {
                throw malformed("field \(number) claims \(length) bytes, \(data.endIndex - position) remain")
            }
            let start = position
            position += Int(length)
            return Field(number: number, wireType: wireType, scalar: 0, bytes: data[start ..< position])
        }
    }

    private mutating func varint() throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while position < data.endIndex, shift < 64 {
            let byte = data[position]
            position += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw malformed("truncated varint at byte \(position)")
    }

    private mutating func fixed(_ size: Int) throws -> UInt64 {
        guard data.endIndex - position >= size else { throw malformed("truncated fixed\(size * 8) at byte \(position)") }
        var result: UInt64 = 0
        for index in 0 ..< size { result |= UInt64(data[position + index]) << (8 * UInt64(index)) }
        position += size
        return result
    }

    private func malformed(_ detail: String) -> TokenizerError {
        let context = path + (part.isEmpty ? "" : " " + part) + (index.map { " \($0)" } ?? "")
        return TokenizerError(.vocabularyMalformed, "\(context): \(detail)")
    }
}
