import Foundation
import Testing
import Tokenizer

/// Ids equal to tiktoken's, token for token, on the corpus, the adversarial file and generated
/// pathological inputs (the oracle: fixtures/tokenizer/reference.json, from tiktoken 0.14).
@Suite struct ExactnessTests {
    @Test(arguments: ReferenceCase.all.filter { !$0.needsShared })
    func idsEqualTiktoken(_ reference: ReferenceCase) throws {
        try Self.expectTiktokenIds(reference)
    }

    @Test(.needsShared, arguments: ReferenceCase.all.filter(\.needsShared))
    func corpusIdsEqualTiktoken(_ reference: ReferenceCase) throws {
        try Self.expectTiktokenIds(reference)
    }

    static func expectTiktokenIds(_ reference: ReferenceCase) throws {
        let text = try reference.text()
        #expect(text.utf8.count == reference.bytes, "input differs from the one the reference was made from")
        let encoding = Fixtures.encoding(reference.encoding)
        let ids = encoding.encodeOrdinary(text)
        #expect(ids.count == reference.expected.count)
        #expect(SHA256.idHash(ids) == reference.expected.sha256_16)
        #expect(encoding.count(text) == reference.expected.count)
    }

    /// The corpus README's own table (tiktoken's counts and id hashes, o200k): an oracle that does
    /// not go through our fixture script at all.
    @Test(.needsShared) func o200kMatchesCorpusReadme() throws {
        let shared = try Fixtures.shared()
        let readme = try Fixtures.text(shared.appendingPathComponent("corpus/README.md"))
        var checked = 0
        for line in readme.split(separator: "\n") where line.hasPrefix("| ") && line.contains(".txt |") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 4, cells[0].hasSuffix(".txt"),
                let count = Int(cells[2].replacingOccurrences(of: ",", with: ""))
            else { continue }
            let text = try Fixtures.text(shared.appendingPathComponent("corpus").appendingPathComponent(cells[0]))
            let ids = Fixtures.o200k.encodeOrdinary(text)
            #expect(ids.count == count, "\(cells[0])")
            #expect(SHA256.idHash(ids) == cells[3], "\(cells[0])")
            checked += 1
        }
        #expect(checked == 11)
    }

    struct RandomCase: Decodable {
        var text: String
        var o200k_base: [UInt32]
        var cl100k_base: [UInt32]
    }

    /// 600 seeded random strings across scripts, controls and emoji, with tiktoken's full id lists.
    @Test func randomStringsEqualTiktoken() throws {
        let url = Fixtures.tokenizerDirectory.appendingPathComponent("random_strings.json")
        let cases = try JSONDecoder().decode([RandomCase].self, from: Data(contentsOf: url))
        #expect(cases.count == 600)
        for item in cases {
            #expect(Fixtures.o200k.encodeOrdinary(item.text) == item.o200k_base, "\(item.text.debugDescription)")
            #expect(Fixtures.cl100k.encodeOrdinary(item.text) == item.cl100k_base, "\(item.text.debugDescription)")
        }
    }

    /// Known ids from tiktoken's own README and tests.
    @Test func knownIds() {
        #expect(Fixtures.o200k.encodeOrdinary("hello world") == [24912, 2375])
        #expect(Fixtures.cl100k.encodeOrdinary("hello world") == [15339, 1917])
        #expect(Fixtures.o200k.encodeOrdinary("") == [])
    }
}
