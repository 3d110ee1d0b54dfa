import Foundation
import Testing
import Tokenizer

@Suite struct RoundTripTests {
    @Test(.needsShared, arguments: ["o200k_base", "cl100k_base"])
    func corpusRoundTrips(_ name: String) throws {
        let shared = try Fixtures.shared()
        let encoding = Fixtures.encoding(name)
        for file in try FileManager.default.contentsOfDirectory(atPath: shared.appendingPathComponent("corpus").path)
        where file.hasSuffix(".txt") {
            let bytes = try Fixtures.bytes(shared.appendingPathComponent("corpus").appendingPathComponent(file))
            let ids = encoding.encodeOrdinary(String(decoding: bytes, as: UTF8.self))
            #expect(try encoding.decodeBytes(ids) == bytes, "\(file)")
        }
    }

    /// Property: decode(encode(x)) == x, and count(x) == encode(x).count, for random Unicode strings.
    @Test(arguments: ["o200k_base", "cl100k_base"])
    func randomStringsRoundTrip(_ name: String) throws {
        let encoding = Fixtures.encoding(name)
        var generator = SeededGenerator(seed: 0x70C0_B0D6)
        for _ in 0 ..< 3_000 {
            let text = generator.unicodeString(maxScalars: 80)
            let ids = encoding.encodeOrdinary(text)
            #expect(try encoding.decode(ids) == text, "\(text.debugDescription)")
            #expect(encoding.count(text) == ids.count)
        }
    }

    @Test func lossyDecodeReplacesInvalidUTF8() throws {
        // 0xE4 0xB8 0xAD is 中; its first byte alone is one token of o200k, not valid UTF-8.
        let ids = Fixtures.o200k.encodeOrdinary("中")
        let bytes = try Fixtures.o200k.decodeBytes(ids)
        #expect(bytes == [0xE4, 0xB8, 0xAD])
        let firstByte = [UInt8]([0xE4]).withUnsafeBytes { Fixtures.o200k.table.rank(of: $0) }
        #expect(try Fixtures.o200k.decode([firstByte]) == "\u{FFFD}")
    }
}
