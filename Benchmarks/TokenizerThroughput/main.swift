// The Swift side of Benchmarks/tokenizer_side_by_side.py and tokenizer_relay_bench.py: a long-lived
// process that loads the encoding once, then answers commands on stdin, one per line:
//   encode|count <encoding> <path> <chunkBytes> [cold|warm]   → `<nanoseconds> <tokens>`
//   warmfrom <path> [<path> …]   the text a `warm` pass's encoder reads (untimed) before it is timed
//   ids <encoding> <path> <chunkBytes> <outPath>   → `<tokens>`; the ids, little-endian UInt32, to outPath
//   pollute <MB>   from now on, MB of memory are written right before every timed pass (untimed)
// (chunkBytes 0 = the whole file in one call). Chunks are cut at UTF-8 boundaries before timing starts.
// `cold`: the pass runs on a new encoder, whose caches (short-piece memo and piece cache; Gemma's
// segment cache) start empty — text never seen before. `warm`: a new `Encoder` that first encoded the
// `warmfrom` files (another corpus), as a relay process that has served other turns. Neither: the
// shared encoder, warmed by every earlier pass (the same files again: every piece hits the memo).
import Foundation
import Tokenizer

func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

func chunks(_ bytes: [UInt8], size: Int) -> [String] {
    guard size > 0 else { return [String(decoding: bytes, as: UTF8.self)] }
    var result = [String]()
    var start = 0
    while start < bytes.count {
        var end = min(start + size, bytes.count)
        while end < bytes.count && bytes[end] & 0xC0 == 0x80 { end += 1 }
        result.append(String(decoding: bytes[start ..< end], as: UTF8.self))
        start = end
    }
    return result
}

func reply(_ line: String) { FileHandle.standardOutput.write(Data((line + "\n").utf8)) }

var files: [String: [UInt8]] = [:]
var prepared: [String: [String]] = [:]
var warmText: [String] = []
/// Written before every timed pass (`pollute`; empty: nothing): the tables start outside the core's
/// own cache, as the peers' do under tokenizer_relay_bench.py --pollute (Benchmarks/cache_pollution.py).
var pollution = [UInt8]()

@MainActor func pollute() {
    pollution.withUnsafeMutableBytes { if let base = $0.baseAddress { memset(base, 0, $0.count) } }
}

@MainActor func pieces(_ path: String, _ size: Int) -> [String] {
    if files[path] == nil { files[path] = [UInt8](FileManager.default.contents(atPath: path)!) }
    let key = "\(path)#\(size)"
    if prepared[key] == nil { prepared[key] = chunks(files[path]!, size: size) }
    return prepared[key]!
}

while let line = readLine() {
    let parts = line.split(separator: " ").map(String.init)
    if parts.first == "warmfrom" {
        warmText = parts.dropFirst().map { String(decoding: FileManager.default.contents(atPath: $0)!, as: UTF8.self) }
        reply("ok \(warmText.count)")
        continue
    }
    if parts.first == "pollute", parts.count == 2, let megabytes = Int(parts[1]), megabytes >= 0 {
        pollution = [UInt8](repeating: 0, count: megabytes << 20)
        reply("ok \(megabytes)")
        continue
    }
    if parts.first == "ids", parts.count == 5, let size = Int(parts[3]) {
        let encoding = try Tokenizers.named(parts[1])
        var ids = [Rank]()
        for piece in pieces(parts[2], size) {
            if let bpe = encoding as? BPEEncoding { ids += bpe.encodeOrdinary(piece) } else { ids += (encoding as! SentencePieceEncoding).encodeOrdinary(piece) }
        }
        let data = ids.withUnsafeBytes { Data($0) }  // little-endian on every platform Swift runs on here
        guard FileManager.default.createFile(atPath: parts[4], contents: data) else {
            reply("error cannot write \(parts[4])")
            continue
        }
        reply("\(ids.count)")
        continue
    }
    let fresh = parts.count == 5 && (parts[4] == "cold" || parts[4] == "warm")
    guard parts.count == 4 || fresh, let size = Int(parts[3]) else {
        reply("error bad command")
        continue
    }
    let encoding = try Tokenizers.named(parts[1])
    let pieces = pieces(parts[2], size)
    var tokens = 0
    if fresh {
        // A new encoder: the pass counts or encodes text its caches have not seen (`warm`: after
        // the other corpus).
        let run: (UnsafeBufferPointer<UInt8>, inout [Rank]) -> Int
        if let bpe = encoding as? BPEEncoding {
            let encoder = bpe.makeEncoder()
            run = { bytes, ids in
                if parts[0] == "count" { return encoder.countOrdinary(bytes)! }
                ids.removeAll(keepingCapacity: true)
                encoder.encodeOrdinary(bytes, into: &ids)
                return ids.count
            }
        } else {
            let encoder = (encoding as! SentencePieceEncoding).makeEncoder()
            run = { bytes, ids in
                if parts[0] == "count" { return encoder.count(bytes)! }
                ids.removeAll(keepingCapacity: true)
                encoder.encode(bytes, into: &ids)
                return ids.count
            }
        }
        var ids = [Rank]()
        if parts[4] == "warm" {
            for var text in warmText { _ = text.withUTF8 { run($0, &ids) } }
        }
        pollute()
        let start = now()
        for var piece in pieces {
            tokens += piece.withUTF8 { run($0, &ids) }
        }
        let elapsed = now() - start
        reply("\(elapsed) \(tokens)")
        continue
    }
    pollute()
    let start = now()
    if parts[0] == "count" {
        for piece in pieces { tokens += encoding.count(piece) }
    } else {
        for piece in pieces { tokens += encoding.encodeOrdinary(piece).count }
    }
    let elapsed = now() - start
    reply("\(elapsed) \(tokens)")
}
