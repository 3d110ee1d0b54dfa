import Foundation
import JSONWire
import Testing

@Suite struct JSONWireTests {
    @Test func parsesEveryKindAndKeepsKeyOrder() throws {
        let value = try JSONParser.parse(#" {"b":1,"a":[true,false,null,-2.5e3,"x\n\u00e9\ud83d\ude00"],"c":{}} "#)
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object.keys == ["b", "a", "c"])
        #expect(value["a"] == [true, false, nil, -2500.0, "x\né😀"])
        #expect(JSONWriter.string(value) == #"{"b":1,"a":[true,false,null,-2500,"x\né😀"],"c":{}}"#)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\" 1}", "nul", "01", "1.", "\"abc", "\"\\x\"", "\"\\ud800\"", "{\"a\":1}x",
        "[\"\u{01}\"]", "-", "1e", "{1:2}", "1e400", "[-1e309]",
    ])
    func rejectsMalformedInput(_ text: String) {
        #expect(throws: JSONParseError.self) { try JSONParser.parse(text) }
    }

    @Test func rejectsInvalidUTF8InStrings() {
        #expect(throws: JSONParseError.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect((try? JSONParser.parse(ok)) != nil)
    }

    /// Oracle: Foundation's JSONSerialization agrees on what we write, for random values.
    @Test func writerOutputIsValidJSONForRandomStrings() throws {
        var state: UInt64 = 12345
        func next() -> UInt64 { state = state &* 6364136223846793005 &+ 1442695040888963407; return state >> 33 }
        for _ in 0 ..< 2_000 {
            var scalars = String.UnicodeScalarView()
            for _ in 0 ..< Int(next() % 20) {
                let raw = UInt32(next() % 0x11000)
                if let scalar = Unicode.Scalar(raw < 0x80 ? raw % 0x80 : raw) { scalars.append(scalar) }
            }
            let text = String(scalars)
            let value: JSONValue = ["s": .string(text), "n": .int(Int64(next())), "d": .double(Double(next()) / 7)]
            let bytes = Array(JSONWriter.string(value).utf8)
            let parsed = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
            #expect(parsed["s"] as? String == text)
            #expect(try JSONParser.parse(bytes)["s"]?.stringValue == text)
        }
    }
}
