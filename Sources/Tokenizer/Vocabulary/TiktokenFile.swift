import Foundation

/// Parser of tiktoken's rank files: one `<base64 bytes> <rank>` per line.
///
/// Hand-written over the raw bytes: o200k_base has 199,998 lines, and going through `String`,
/// `split` and `Data(base64Encoded:)` for each costs ~10x more than this loop.
enum TiktokenFile {
    static func parse(_ data: [UInt8], path: String) throws -> RankTable {
        var flat = [UInt8]()
        flat.reserveCapacity(data.count)
        var tokens = [(start: Int, end: Int, rank: Rank)]()
        tokens.reserveCapacity(data.count / 16)
        var lineNumber = 0
        var index = 0
        let count = data.count
        try data.withUnsafeBufferPointer { data in
            while index < count {
                lineNumber += 1
                var lineEnd = index
                while lineEnd < count && data[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
                defer { index = lineEnd + 1 }
                var end = lineEnd
                if end > index && data[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                if end == index { continue }
                var space = index
                while space < end && data[space] != UInt8(ascii: " ") { space += 1 }
                // Built only on failure: interpolating it for each of 200k lines cost ~40 ms of load.
                func malformed() -> TokenizerError {
                    TokenizerError(.vocabularyMalformed, "\(path):\(lineNumber): expected \"<base64> <rank>\"")
                }
                guard space < end, space > index else { throw malformed() }
                var rank: UInt64 = 0
                guard space + 1 < end else { throw malformed() }
                for position in (space + 1) ..< end {
                    let digit = data[position] &- UInt8(ascii: "0")
                    guard digit < 10, rank < UInt64(Rank.max) / 10 else { throw malformed() }
                    rank = rank * 10 + UInt64(digit)
                }
                let start = flat.count
                guard Base64.decode(data[index ..< space], into: &flat) else {
                    throw TokenizerError(.vocabularyMalformed, "\(path):\(lineNumber): invalid base64")
                }
                tokens.append((start, flat.count, Rank(rank)))
            }
        }
        guard !tokens.isEmpty else {
            throw TokenizerError(.vocabularyMalformed, "\(path): no tokens")
        }
        // Ranks are 0..<N in order in tiktoken's files; lay them out by rank in case they are not.
        let inOrder = tokens.enumerated().allSatisfy { $0.offset == Int($0.element.rank) }
        if inOrder {
            var offsets = tokens.map { UInt32($0.start) }
            offsets.append(UInt32(flat.count))
            return try RankTable(flatBytes: flat, offsets: offsets)
        }
        return try RankTable(tokens: tokens.map { (flat[$0.start ..< $0.end], $0.rank) })
    }
}

/// Standard base64 (RFC 4648, with padding) decoding into an existing buffer.
enum Base64 {
    private static let table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    /// Appends the decoded bytes; false on a character outside the alphabet or a bad length.
    static func decode(_ input: Slice<UnsafeBufferPointer<UInt8>>, into output: inout [UInt8]) -> Bool {
        var body = input
        var padding = 0
        while let last = body.last, last == UInt8(ascii: "="), padding < 2 {
            body = body.dropLast()
            padding += 1
        }
        guard (body.count + padding) % 4 == 0 else { return false }
        var accumulator: UInt32 = 0
        var bits = 0
        for character in body {
            let value = table[Int(character)]
            guard value != 0xFF else { return false }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return true
    }
}
