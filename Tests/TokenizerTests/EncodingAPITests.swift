import Foundation
import Testing
import Tokenizer

@Suite struct EncodingAPITests {
    let o200k = Fixtures.o200k
    let cl100k = Fixtures.cl100k

    @Test func allowedSpecialTokensBecomeTheirIds() throws {
        let text = "hi<|endoftext|>there<|endofprompt|>"
        let ids = try o200k.encode(text, allowedSpecial: ["<|endoftext|>", "<|endofprompt|>"])
        #expect(ids == o200k.encodeOrdinary("hi") + [199_999] + o200k.encodeOrdinary("there") + [200_018])
        let fim = try cl100k.encode("a<|fim_prefix|>b", allowedSpecial: ["<|fim_prefix|>"])
        #expect(fim == cl100k.encodeOrdinary("a") + [100_258] + cl100k.encodeOrdinary("b"))
        #expect(try o200k.decode(ids) == text)
    }

    @Test func disallowedSpecialTokenIsAnError() {
        #expect(throws: TokenizerError.self) {
            try o200k.encode("x <|endoftext|>", allowedSpecial: ["<|endofprompt|>"])
        }
        do {
            _ = try o200k.encode("x <|endoftext|>")
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            #expect(error.code == .disallowedSpecialToken)
            #expect(error.message.contains("<|endoftext|>") && error.message.contains("byte 2"))
        } catch { Issue.record("unexpected \(error)") }
        // Ordinary encoding takes it as text, as tiktoken's encode_ordinary does.
        #expect(o200k.encodeOrdinary("<|endoftext|>").count > 1)
    }

    @Test func countUpToStopsOnceOverTheLimit() {
        let text = String(repeating: "hello world ", count: 100)
        let total = o200k.count(text)
        #expect(total == o200k.encodeOrdinary(text).count)
        #expect(total == 201)  // 100 × ("hello", " world") and the trailing " "
        #expect(o200k.count(text, upTo: total) == total)
        #expect(o200k.count(text, upTo: total - 1) == nil)
        #expect(o200k.count(text, upTo: 0) == nil)
        #expect(o200k.count("", upTo: 0) == 0)
        for limit in stride(from: 0, through: 250, by: 7) {
            let result = o200k.count(text, upTo: limit)
            #expect(result == (total <= limit ? total : nil))
        }
    }

    @Test func decodeRejectsUnknownIds() {
        #expect(throws: TokenizerError.self) { try o200k.decodeBytes([1, 2, 250_000]) }
        #expect(throws: TokenizerError.self) { try cl100k.decodeBytes([100_261]) }  // a gap in the ranks
        #expect(try! cl100k.decode([100_276]) == "<|endofprompt|>")
    }

    @Test func concurrentUseGivesTheSameIds() async {
        let texts = (0 ..< 64).map { "session \($0): " + String(repeating: "Ciao, come stai? 你好 ", count: $0 + 1) }
        let expected = texts.map { o200k.encodeOrdinary($0) }
        let encoding = o200k
        await withTaskGroup(of: (Int, [UInt32]).self) { group in
            for round in 0 ..< 8 {
                for (index, text) in texts.enumerated() where index % 8 == round {
                    group.addTask { (index, encoding.encodeOrdinary(text)) }
                }
            }
            for await (index, ids) in group { #expect(ids == expected[index]) }
        }
    }

    @Test func unknownEncodingNamesTheKnownOnes() {
        do {
            _ = try BPEEncoding.named("p50k_base")
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            #expect(error.code == .unknownEncoding)
            #expect(error.message.contains("o200k_base"))
        } catch { Issue.record("unexpected \(error)") }
    }
}
