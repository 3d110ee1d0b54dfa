// A 2,000-byte turn streamed as 400 chunks of 5 bytes: the token count after every chunk, three ways —
// the whole turn recounted at every chunk (what the engine did), `countAppending` from the settled
// prefix (what it does; also timed with the caller's building of the text), and the whole turn
// counted once (the floor). Prints µs per turn.
//
//   swift run -c release StreamedTurnCount [repetitions] [encoding] [corpus folder] [floor]
//
// Without a corpus, one English turn is repeated: every piece is in the memo after the first pass
// (the lower bound of the work). With a corpus (e.g. the held-out one of
// `Benchmarks/tokenizer_heldout_corpus.py`), every turn is a new 2,000-byte slice of its files, as a
// relay sees them: of every 4 turns, one is streamed, one streamed with its text built chunk by
// chunk in the timing (`text += chunk`, the caller's work), two counted once, so all meet text the
// process has not counted before, and the ratios are of the means. Streamed turns are timed on
// texts built before (counting once is timed on a built text too). With `floor` after the corpus,
// lower bounds for an exact count that counts each chunk's unfinished piece instead
// (`OpenPieceFloor.swift`).
import Foundation
import Tokenizer

let arguments = CommandLine.arguments
let repetitions = arguments.count > 1 ? Int(arguments[1])! : 500
let tokenizer = try Tokenizers.named(arguments.count > 2 ? arguments[2] : "o200k_base")
let turnBytes = 2_000, chunkBytes = 5

/// `bytes` cut into chunks of at most `chunkBytes`, never inside a character (a transcriber sends text).
func chunks(_ bytes: ArraySlice<UInt8>) -> [String] {
    var result = [String](), start = bytes.startIndex
    while start < bytes.endIndex {
        var end = min(bytes.endIndex, start + chunkBytes)
        while end < bytes.endIndex && bytes[end] & 0xC0 == 0x80 { end += 1 }
        result.append(String(decoding: bytes[start ..< end], as: UTF8.self))
        start = end
    }
    return result
}

/// The text after each chunk: built before timing, as counting once times a text already built.
/// Building them is the caller's work whatever the tokenizer (`String +=`, ~395 instructions a
/// chunk, callgrind: 17 % of what the streamed held-out turns cost when it was timed with them);
/// `streamedBuilding` still times both.
func prefixes(_ chunks: [String]) -> [String] {
    var text = "", result = [String]()
    result.reserveCapacity(chunks.count)
    for chunk in chunks {
        text += chunk
        result.append(text)
    }
    return result
}

func streamed(_ prefixes: [String]) -> Int {
    var last = 0
    var settled: SettledPrefix?
    for text in prefixes {
        (last, settled) = tokenizer.countAppending(text, settled: settled)
    }
    return last
}

func streamedBuilding(_ chunks: [String]) -> Int {
    var text = "", last = 0
    var settled: SettledPrefix?
    for chunk in chunks {
        text += chunk
        (last, settled) = tokenizer.countAppending(text, settled: settled)
    }
    return last
}

let clock = ContinuousClock()
func micros(_ duration: Duration) -> Double {
    Double(duration.components.attoseconds) / 1e12 + Double(duration.components.seconds) * 1e6
}

if arguments.count > 3 {
    // Unseen turns: 2,000-byte slices (cut at a character) of every file, in order.
    let folder = URL(fileURLWithPath: arguments[3])
    let files = try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        .filter { $0.pathExtension == "txt" }.sorted { $0.path < $1.path }
    var turns = [ArraySlice<UInt8>]()
    for file in files {
        let bytes = try Array(Data(contentsOf: file))
        var start = 0
        while start + turnBytes <= bytes.count {
            var end = start + turnBytes
            while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
            turns.append(bytes[start ..< end])
            start = end
        }
    }
    if arguments.count > 4 && arguments[4] == "floor" {
        guard let bpe = tokenizer as? BPEEncoding else { fatalError("floor: byte-level BPE encodings only") }
        printOpenPieceFloor(bpe, turns: turns, clock: clock)
        exit(0)
    }
    // Once-per-process work (`CharacterClassTable`: ~3 ms, 87M instructions of PCRE2 matching,
    // callgrind) is done before timing: it fell in the first streamed turn. The table is built
    // through `encodeOrdinary`, so a profiler toggled on `countAppending` sees the warm-up call's
    // own few instructions, not the build (without that call the turns cost 0.2M more: first use).
    let warmUp = "Warm-up: été, 日本語, ١٢٣."
    var checksum = tokenizer.encodeOrdinary(warmUp).count + tokenizer.countAppending(warmUp, settled: nil).tokens
    var streamTime = Duration.zero, buildingTime = Duration.zero, onceTime = Duration.zero
    var streamTurns = 0, buildingTurns = 0, onceTurns = 0
    for (index, turn) in turns.enumerated() {
        let pieces = chunks(turn)
        if index % 4 == 0 {
            let texts = prefixes(pieces)
            streamTime += clock.measure { checksum &+= streamed(texts) }
            streamTurns += 1
        } else if index % 4 == 2 {
            buildingTime += clock.measure { checksum &+= streamedBuilding(pieces) }
            buildingTurns += 1
        } else {
            let whole = String(decoding: turn, as: UTF8.self)
            onceTime += clock.measure { checksum &+= tokenizer.count(whole) }
            onceTurns += 1
        }
    }
    let stream = micros(streamTime) / Double(streamTurns), once = micros(onceTime) / Double(onceTurns)
    let building = micros(buildingTime) / Double(max(1, buildingTurns))
    print("unseen turns of \(turnBytes) bytes from \(files.count) files: streamed as \(chunkBytes)-byte chunks "
        + "\(String(format: "%.1f", stream)) µs per turn (\(streamTurns) turns), counted once "
        + "\(String(format: "%.1f", once)) µs (\(onceTurns) turns): \(String(format: "%.2f", stream / once))× "
        + "(building the text as well: \(String(format: "%.1f", building)) µs, \(String(format: "%.2f", building / once))×) "
        + "(checksum \(checksum))")
    exit(0)
}

let sentence = "So the panels, they'd cover about 40 square metres? I don't know, we'll see. "
let turn = Array(String(repeating: sentence, count: 30).utf8.prefix(turnBytes))
let turnChunks = chunks(turn[...])
let whole = String(decoding: turn, as: UTF8.self)
precondition(turnChunks.count == 400)

func measure(_ name: String, _ body: () -> Int) {
    var checksum = body()  // warm the caches
    let elapsed = clock.measure { for _ in 0 ..< repetitions { checksum &+= body() } }
    print("\(name): \(String(format: "%.1f", micros(elapsed) / Double(repetitions))) µs per turn (checksum \(checksum))")
}

measure("recount the whole turn at each of 400 chunks") {
    var text = "", last = 0
    for chunk in turnChunks {
        text += chunk
        last = tokenizer.count(text)
    }
    return last
}
let turnPrefixes = prefixes(turnChunks)
measure("countAppending at each of 400 chunks") { streamed(turnPrefixes) }
measure("countAppending at each of 400 chunks, building the text as well") { streamedBuilding(turnChunks) }
measure("count the whole turn once") { tokenizer.count(whole) }
