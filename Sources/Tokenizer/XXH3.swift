import CXXHash

/// XXH3-64 of a byte range: ~3 ns on 4-16-byte pieces against ~22 ns for Swift's `Hasher`.
///
/// The corresponding C function is `XXH3_64bits`.
@inline(__always)
public func xxh3(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
    UInt64(cxxh3_64(bytes.baseAddress, bytes.count))
}

/// XXH3-64 of an array of bytes.
public func xxh3(_ bytes: [UInt8]) -> UInt64 {
    bytes.withUnsafeBytes { xxh3($0) }
}

/// XXH3-64 of a string's UTF-8 bytes.
public func xxh3(_ text: String) -> UInt64 {
    var text = text
    return text.withUTF8 { xxh3(UnsafeRawBufferPointer($0)) }
}
