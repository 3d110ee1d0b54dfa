// The Swift side of Benchmarks/tokenizer_side_by_side.py: a long-lived process that loads the
// encoding once, then answers timing commands on stdin, one per line:
//   encode|count <encoding> <path> <chunkBytes> [cold]   (chunkBytes 0 = the whole file in one call)
// and prints `<nanoseconds> <tokens>`. Chunks are cut at UTF-8 boundaries before timing starts.
// `cold` (tiktoken encodings): each pass runs on a new `Encoder`, whose short-piece memo and piece
// cache start empty — text never seen before — instead of the shared encoder warmed by earlier passes.
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

var files: [String: [UInt8]] = [:]
var prepared: [String: [String]] = [:]
while let line = readLine() {
    let parts = line.split(separator: " ").map(String.init)
    let cold = parts.count == 5 && parts[4] == "cold"
    guard parts.count == 4 || cold, let size = Int(parts[3]) else {
        FileHandle.standardOutput.write(Data("error bad command\n".utf8))
        continue
    }
    let encoding = try Tokenizers.named(parts[1])
    if files[parts[2]] == nil { files[parts[2]] = [UInt8](FileManager.default.contents(atPath: parts[2])!) }
    let key = "\(parts[2])#\(size)"
    if prepared[key] == nil { prepared[key] = chunks(files[parts[2]]!, size: size) }
    let pieces = prepared[key]!
    var tokens = 0
    if cold {
        guard let bpe = encoding as? BPEEncoding else {
            FileHandle.standardOutput.write(Data("error cold runs need a tiktoken encoding\n".utf8))
            continue
        }
        let encoder = bpe.makeEncoder()
        var ids = [Rank]()
        let start = now()
        for var piece in pieces {
            piece.withUTF8 { bytes in
                if parts[0] == "count" {
                    tokens += encoder.countOrdinary(bytes)!
                } else {
                    ids.removeAll(keepingCapacity: true)
                    encoder.encodeOrdinary(bytes, into: &ids)
                    tokens += ids.count
                }
            }
        }
        let elapsed = now() - start
        FileHandle.standardOutput.write(Data("\(elapsed) \(tokens)\n".utf8))
        continue
    }
    let start = now()
    if parts[0] == "count" {
        for piece in pieces { tokens += encoding.count(piece) }
    } else {
        for piece in pieces { tokens += encoding.encodeOrdinary(piece).count }
    }
    let elapsed = now() - start
    FileHandle.standardOutput.write(Data("\(elapsed) \(tokens)\n".utf8))
}
