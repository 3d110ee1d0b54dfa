import Foundation
import Testing
@testable import Tokenizer

@Suite struct VocabularyTests {
    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("tokenbudget-vocab-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func missingVocabularyNamesTheFileAndTheFix() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        do {
            _ = try BPEEncoding.load(.o200kBase, directory: directory)
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            #expect(error.code == .vocabularyMissing)
            #expect(error.message.contains("o200k_base.tiktoken"))
            #expect(error.message.contains("bootstrap.sh"))
        }
    }

    @Test func corruptVocabularyIsRefusedNotApproximated() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var bytes = try Fixtures.bytes(VocabularyLocator.defaultDirectory.appendingPathComponent("cl100k_base.tiktoken"))
        bytes[1000] = bytes[1000] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try Data(bytes).write(to: directory.appendingPathComponent("cl100k_base.tiktoken"))
        do {
            _ = try BPEEncoding.load(.cl100kBase, directory: directory)
            Issue.record("expected an error")
        } catch let error as TokenizerError {
            #expect(error.code == .vocabularyCorrupt)
            #expect(error.message.contains("cl100k_base.tiktoken"))
        }
    }

    @Test func malformedLinesAreReportedWithTheirLineNumber() throws {
        let good = Array("IQ== 0\nIg== 1\n".utf8)
        let table = try TiktokenFile.parse(good, path: "t")
        #expect(table.rankCount == 2)
        #expect(table.bytes(of: 1) == [UInt8(ascii: "\"")])
        for bad in ["IQ== 0\nIg==\n", "IQ== 0\n!!!! 1\n", "IQ== 0\nIQ== 1\n", "IQ== 0\nIg== 0\n", "IQ== x\n"] {
            #expect(throws: TokenizerError.self) { try TiktokenFile.parse(Array(bad.utf8), path: "t") }
        }
        do {
            _ = try TiktokenFile.parse(Array("IQ== 0\nIg==\n".utf8), path: "v.tiktoken")
        } catch let error as TokenizerError {
            #expect(error.message.hasPrefix("v.tiktoken:2:"))
        }
    }

    @Test func rankTableRoundTripsEveryToken() throws {
        let table = Fixtures.o200k.table
        var present = 0
        for rank in 0 ..< Rank(table.rankCount) {
            guard let bytes = table.bytes(of: rank) else { continue }
            present += 1
            #expect(Array(bytes).withUnsafeBytes { table.rank(of: $0) } == rank)
        }
        #expect(present == 199_998)
        #expect([UInt8]("not-a-token-xyzzy".utf8).withUnsafeBytes { table.rank(of: $0) } == RankTable.none)
    }
}
