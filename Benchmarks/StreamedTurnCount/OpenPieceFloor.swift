import Foundation
import Tokenizer

/// The least a streamed turn can cost when every chunk's count is exact and each unfinished piece
/// is counted by this tokenizer's own piece counter: counting the turn once, plus counting, after
/// each chunk, the last piece of the text so far wherever it is not a piece of the finished turn
/// (a word cut by the chunk: " informati" before " information"). Any exact counter needs that
/// count — no piece of the finished turn spells it — and whatever else it does (finding where to
/// resume, rescanning, the call) comes on top.
///
/// The unfinished pieces of a turn are counted in one call, each kept where it stays one piece
/// between separators ("\n", "0", "。", "|", "é": whichever is a piece of its own there), so no
/// per-call cost is in the figure; the separators are counted too (memo hits). The same text is
/// counted a second time, every piece then in the memo: that bounds what the separators, the scan
/// and the memo probes cost, so the first figure less the second is a floor for the first sight of
/// the unfinished pieces alone. The pieces no separator keeps apart (~30 % on the held-out slices) are left out of the
/// first bound and taken at the kept ones' mean cost in the other two. Turns alternate between
/// counting once and the unfinished pieces so each meets text its encoder has not seen, as in
/// `main.swift`. An appendable encoder (rust-gems' `bpe`) would not count the unfinished piece
/// afresh, but pays per appended byte a search for the tokens ending there and a pair-validity
/// check, several table lookups a byte — by our reckoning more than this per 5-byte chunk (not
/// measured: no binding of it installs here).
func printOpenPieceFloor(_ tokenizer: BPEEncoding, turns: [ArraySlice<UInt8>], clock: ContinuousClock) {
    var joinedOf = [Int: [UInt8]]()
    var chunkEnds = 0, unfinished = 0, kept = 0, keptBytes = 0
    let separators: [[UInt8]] = [[0x0A], [0x30], Array("。".utf8), [0x7C], Array("é".utf8)]
    func pieces(_ bytes: [UInt8]) -> [Range<Int>] { tokenizer.pieceRanges(String(decoding: bytes, as: UTF8.self)) }
    for (index, turn) in turns.enumerated() where index % 2 == 0 {
        let finished = Set(pieces(Array(turn)))
        var prefix = [UInt8](), joined = [UInt8]()
        for chunk in chunks(turn) {
            prefix += Array(chunk.utf8)
            chunkEnds += 1
            let last = pieces(prefix).last!
            guard !finished.contains(last) else { continue }
            unfinished += 1
            let open = Array(prefix[last])
            for separator in joined.isEmpty ? [[]] : separators {
                let trial = joined + separator + open
                let trialPieces = pieces(trial)
                guard trialPieces.last == (trial.count - open.count) ..< trial.count else { continue }
                if !joined.isEmpty {
                    guard trialPieces.count >= 2, trialPieces[trialPieces.count - 2] == joined.count ..< joined.count + separator.count,
                        pieces(joined) == Array(trialPieces.dropLast(2))
                    else { continue }
                }
                joined = trial
                kept += 1
                keptBytes += open.count
                break
            }
        }
        joinedOf[index] = joined
    }
    let encoder = tokenizer.makeEncoder()
    var checksum = 0, floorTime = Duration.zero, seenTime = Duration.zero, onceTime = Duration.zero, floorTurns = 0, onceTurns = 0
    for (index, turn) in turns.enumerated() {
        if let joined = joinedOf[index] {
            floorTime += clock.measure { checksum &+= joined.withUnsafeBufferPointer { encoder.countOrdinary($0)! } }
            // Again, every piece now in the memo: what scanning the text and a memo hit per piece
            // cost, more than the separators alone can.
            seenTime += clock.measure { checksum &+= joined.withUnsafeBufferPointer { encoder.countOrdinary($0)! } }
            floorTurns += 1
        } else {
            let whole = Array(turn)
            onceTime += clock.measure { checksum &+= whole.withUnsafeBufferPointer { encoder.countOrdinary($0)! } }
            onceTurns += 1
        }
    }
    let floor = micros(floorTime) / Double(floorTurns), once = micros(onceTime) / Double(onceTurns)
    let seen = micros(seenTime) / Double(floorTurns)
    let perTurn = { (count: Int) in String(format: "%.0f", Double(count) / Double(floorTurns)) }
    let scale = Double(unfinished) / Double(max(1, kept))
    let ratio = { (value: Double) in String(format: "%.2f", value) }
    print("unfinished pieces at \(perTurn(unfinished)) of \(perTurn(chunkEnds)) chunk ends per turn; \(perTurn(kept)) of them "
        + "(\(keptBytes / max(1, kept)) bytes on average) in one call: \(String(format: "%.1f", floor)) µs per turn, "
        + "\(String(format: "%.1f", seen)) µs again (every piece in the memo); the turn once \(String(format: "%.1f", once)) µs "
        + "(\(onceTurns) turns). Streamed / once is at least: \(ratio(1 + (floor - seen) / once))× (the kept pieces' first "
        + "sight), \(ratio(1 + (floor - seen) / once * scale))× (every unfinished piece at that cost), "
        + "\(ratio(1 + floor / once * scale))× (with the scan and memo probe of each) (checksum \(checksum))")
}
