// libFuzzer target for the pre-tokenizer split of o200k_base and cl100k_base: the hand-written
// scanners with PCRE2 deciding the rest must cut exactly the pieces PCRE2 alone cuts, on any input
// (bytes are read as UTF-8, invalid sequences replaced, as `String` does). Built and run by
// scripts/fuzz-split-scanner.sh.
import Foundation
import Tokenizer

// The split needs the pattern only: a vocabulary of the 256 single bytes keeps the target free of
// vocabulary files.
let byteTable = try! RankTable(tokens: (0 ..< 256).map { (bytes: [UInt8(truncatingIfNeeded: $0)][...], rank: Rank($0)) })
let specs: [EncodingSpec] = [.o200kBase, .cl100kBase]
let encodings = specs.map { try! BPEEncoding(spec: $0, table: byteTable) }
// libFuzzer calls the callback from one thread.
nonisolated(unsafe) let references = specs.map { try! RegexPattern($0.pattern, extraOptions: $0.patternOptions).makeMatcher() }

// SwiftPM renames an executable's entry point, so libFuzzer's own `main` cannot be used.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for (encoding, reference) in zip(encodings, references) {
        let ours = encoding.pieceRanges(text)
        var expected = [Range<Int>]()
        Array(text.utf8).withUnsafeBufferPointer { bytes in
            try! reference.forEachMatch(in: bytes) { expected.append($0) }
        }
        if ours != expected {
            fatalError("\(encoding.name) split differs from PCRE2 on \(text.debugDescription): \(ours) vs \(expected)")
        }
    }
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, { data, size in fuzzOneInput(data, size) }))
