import Foundation
import JSONWire
import Testing

/// Objects past the 16-key threshold keep an index: the same answers as the small path (oracle: the
/// standard library's `Dictionary` and the input's own key order), linear time, duplicates refused.
@Suite struct LargeObjectTests {
    static func objectLine(keys: Int, prefix: String = "k") -> String {
        "{" + (0 ..< keys).map { "\"\(prefix)\($0)\":\($0)" }.joined(separator: ",") + "}"
    }

    @Test(arguments: [0, 1, 15, 16, 17, 18, 40, 1_000])
    func keyOrderAndLookupsMatchADictionary(_ count: Int) throws {
        var generator = SystemRandomNumberGenerator()
        let keys = (0 ..< count).map { "\($0)-\(UInt32.random(in: 0 ... .max, using: &generator))" }
        let text = "{" + keys.enumerated().map { "\"\($1)\":\($0)" }.joined(separator: ",") + "}"
        guard case .object(var object) = try JSONParser.parse(text) else { Issue.record("not an object"); return }
        #expect(object.keys == keys)
        let oracle = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, Int64($0)) })
        for (key, value) in oracle { #expect(object[key] == .int(value)) }
        #expect(object["missing"] == nil)
        // Mutations keep the order and the index in step: replace, remove, append.
        if let first = keys.first {
            object[first] = "replaced"
            #expect(object.keys == keys && object[first] == "replaced")
            object[first] = nil
            #expect(object.keys == Array(keys.dropFirst()) && object[first] == nil)
            for key in keys.dropFirst() { #expect(object[key] == .int(oracle[key]!)) }
            object[first] = 7
            #expect(object.keys == Array(keys.dropFirst()) + [first] && object[first] == 7)
        }
        #expect(JSONWriter.string(.object(object)) == JSONWriter.string(try JSONParser.parse(JSONWriter.string(.object(object)))))
    }

    @Test(arguments: [2, 16, 17, 100, 60_000])
    func aRepeatedKeyIsRefusedNamingIt(_ count: Int) throws {
        // The duplicate is the last key, a copy of the first: the large path must see it too.
        let text = String(Self.objectLine(keys: count).dropLast()) + ",\"k0\":1}"
        do {
            _ = try JSONParser.parse(text)
            Issue.record("a duplicate key was accepted")
        } catch {
            #expect(error.message == "duplicate key \"k0\"")
            #expect(error.offset == text.utf8.count - 7)  // the opening quote of the repeated key
        }
        // Nested objects are separate scopes; the same key in two of them is fine.
        #expect((try? JSONParser.parse(#"{"a":{"a":1},"b":{"a":2}}"#)) != nil)
    }

    /// Issue 15 #12: a 1 MiB line with 60,000 keys took 9.8 s (quadratic duplicate checks). Linear
    /// now: checked as a ratio (10× the keys must cost well under 100× the time, which is what
    /// quadratic costs; measured interleaved, best of 5, so that a loaded machine slows both alike)
    /// and as a generous absolute bound for a debug build.
    @Test func sixtyThousandKeysParseInLinearTime() throws {
        let small = Array(Self.objectLine(keys: 6_000).utf8), large = Array(Self.objectLine(keys: 60_000).utf8)
        func seconds(_ bytes: [UInt8]) throws -> Double {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = try JSONParser.parse(bytes)
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
        var smallTime = Double.infinity, largeTime = Double.infinity
        for _ in 0 ..< 5 {
            smallTime = min(smallTime, try seconds(small))
            largeTime = min(largeTime, try seconds(large))
        }
        #expect(largeTime < 3.0, "60,000 keys took \(largeTime) s")
        #expect(largeTime < 60 * max(smallTime, 0.0005), "6,000 keys \(smallTime) s, 60,000 keys \(largeTime) s")
    }
}
