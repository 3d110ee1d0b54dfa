// package-benchmark suites for the tokenizer (built only with ENABLE_BENCHMARKS set: the package's
// first build takes ~3.5 min on 2 cores).
//
//     ENABLE_BENCHMARKS=1 swift package benchmark --target TokenizerBenchmarks
//
// Per encoding: encode and count of each corpus file, turn-sized calls (50–500 bytes) and a cold
// vocabulary load. The corpus is ../shared/corpus; without it only the turn-sized and load suites run.
// Side-by-side ratios against tiktoken and sentencepiece are Benchmarks/tokenizer_side_by_side.py.
import Benchmark
import Foundation
import Tokenizer

let corpusDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/corpus")

func corpusFiles() -> [(name: String, text: String)] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: corpusDirectory.path)) ?? []
    return names.filter { $0.hasSuffix(".txt") }.sorted().compactMap { name in
        FileManager.default.contents(atPath: corpusDirectory.appendingPathComponent(name).path)
            .map { (name, String(decoding: $0, as: UTF8.self)) }
    }
}

/// Turns of 50–500 bytes, cut at UTF-8 boundaries from the English and Italian files (or a fixed
/// sentence when the corpus is absent), as a relay tokenizes them on the hot path.
func turns(from files: [(name: String, text: String)]) -> [String] {
    let source = files.filter { $0.name == "en.txt" || $0.name == "it.txt" }.map(\.text).joined()
    let bytes = Array((source.isEmpty ? String(repeating: "The customer asks about the price. ", count: 3_000) : source).utf8)
    // The same turns in every process (package-benchmark lists the benchmarks in one process and
    // runs each in another, by name, and runs must compare): lengths step through 50–500 by 193.
    var result: [String] = []
    var start = 0
    while result.count < 2_000 && start < bytes.count {
        var end = min(bytes.count, start + 50 + (result.count * 193) % 451)
        while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        result.append(String(decoding: bytes[start ..< end], as: UTF8.self))
        start = end
    }
    return result
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        maxDuration: .seconds(5), maxIterations: 20)
    let files = corpusFiles()
    let turnTexts = turns(from: files)
    let turnBytes = turnTexts.reduce(0) { $0 + $1.utf8.count }

    for name in ["o200k_base", "cl100k_base", "gemma3"] {
        guard let encoding = try? Tokenizers.named(name) else {
            print("note: \(name) is not installed; run scripts/bootstrap.sh")
            continue
        }
        for file in files {
            Benchmark("\(name) encode \(file.name)", configuration: .init(scalingFactor: .one)) { benchmark in
                for _ in benchmark.scaledIterations { blackHole(encoding.encodeOrdinary(file.text)) }
            }
            Benchmark("\(name) count \(file.name)") { benchmark in
                for _ in benchmark.scaledIterations { blackHole(encoding.count(file.text)) }
            }
        }
        // No parentheses in names: `--filter` takes a regular expression.
        Benchmark("\(name) encode \(turnTexts.count) turns of \(turnBytes) bytes") { benchmark in
            for _ in benchmark.scaledIterations {
                for turn in turnTexts { blackHole(encoding.encodeOrdinary(turn)) }
            }
        }
        Benchmark("\(name) count \(turnTexts.count) turns of \(turnBytes) bytes") { benchmark in
            for _ in benchmark.scaledIterations {
                for turn in turnTexts { blackHole(encoding.count(turn)) }
            }
        }
    }

    // A cold load each iteration (not the process-wide shared instance): file read, XXH3 check,
    // and the binary cache (tiktoken) or the protobuf parse (SentencePiece).
    Benchmark("o200k_base load") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try BPEEncoding.load(.o200kBase)) }
    }
    Benchmark("gemma3 load") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(try SentencePieceEncoding.load(.gemma3)) }
    }
}
