// A 2,000-byte turn streamed as 400 chunks of 5 bytes: the token count after every chunk, three ways —
// the whole turn recounted at every chunk (what the engine did), `countAppending` from the settled
// prefix (what it does), and the whole turn counted once (the floor). Prints µs per turn.
//
//   swift run -c release StreamedTurnCount [repetitions] [encoding]
import Foundation
import Tokenizer

let arguments = CommandLine.arguments
let repetitions = arguments.count > 1 ? Int(arguments[1])! : 500
let tokenizer = try Tokenizers.named(arguments.count > 2 ? arguments[2] : "o200k_base")
let sentence = "So the panels, they'd cover about 40 square metres? I don't know, we'll see. "
let turn = Array(String(repeating: sentence, count: 30).utf8.prefix(2_000))
let chunks = stride(from: 0, to: turn.count, by: 5).map { String(decoding: turn[$0 ..< min(turn.count, $0 + 5)], as: UTF8.self) }
let whole = String(decoding: turn, as: UTF8.self)
precondition(chunks.count == 400)

func measure(_ name: String, _ body: () -> Int) {
    var checksum = body()  // warm the caches
    let clock = ContinuousClock()
    let elapsed = clock.measure { for _ in 0 ..< repetitions { checksum &+= body() } }
    let micros = Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6
    print("\(name): \(String(format: "%.1f", micros / Double(repetitions))) µs per turn (checksum \(checksum))")
}

measure("recount the whole turn at each of 400 chunks") {
    var text = "", last = 0
    for chunk in chunks {
        text += chunk
        last = tokenizer.count(text)
    }
    return last
}
measure("countAppending at each of 400 chunks") {
    var text = "", last = 0
    var settled: SettledPrefix?
    for chunk in chunks {
        text += chunk
        (last, settled) = tokenizer.countAppending(text, settled: settled)
    }
    return last
}
measure("count the whole turn once") { tokenizer.count(whole) }
