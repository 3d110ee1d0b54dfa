// libFuzzer target for `serve`'s input side: line framing and the JSON-RPC request parser.
// Built and run by scripts/fuzz-request-parser.sh (ENABLE_FUZZ=1, -sanitize=fuzzer,address).
//
// Oracles, beyond "no crash, no sanitizer report": every line either parses or yields an error
// object with a JSON-RPC code; a parsed request's params written back as JSON parse to the same
// value (every time, numbers compared as numbers: `sameJSON`); the splitter never hands out a line
// longer than its limit (its CR aside).
import EngineServer
import Foundation
import JSONWire

// SwiftPM renames an executable's entry point, so libFuzzer's own `main` cannot be used; this one
// hands control to libFuzzer's driver with the callback below.
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt

/// JSON equality with numbers compared as numbers: JSON has one number type, and the writer prints a
/// double with no fraction as an integer (`1.0` → `1`), so `.int(1)` equals `.double(1.0)`; doubles
/// compare by value (the writer prints the shortest text that parses back to the same double).
/// A double beyond Double's range (`1e999` parses to infinity) is written as `null`, as the writer
/// documents (JSON has no infinity), so there and only there a non-finite double equals `null`.
/// Strings, keys and key order must match exactly.
func sameJSON(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.int(let x), .int(let y)): return x == y
    case (.double(let x), .double(let y)): return x == y
    case (.int(let x), .double(let y)), (.double(let y), .int(let x)): return Int64(exactly: y) == x
    case (.double(let x), .null), (.null, .double(let x)): return !x.isFinite
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy { sameJSON($0, $1) }
    case (.object(let x), .object(let y)):
        return x.members.count == y.members.count
            && zip(x.members, y.members).allSatisfy { $0.key == $1.key && sameJSON($0.value, $1.value) }
    default: return a == b
    }
}

// libFuzzer's runtime also references the conventional entry point; both lead here.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let data else { return 0 }
    let input = UnsafeBufferPointer(start: data, count: size)
    var splitter = LineSplitter(maxLineBytes: 256)
    // Feed in two chunks to exercise lines that straddle reads.
    let cut = size / 3
    func handle(_ event: LineSplitter.Event) {
        switch event {
        case .tooLong(_, let bytes):
            precondition(bytes > 256, "a line within the limit was reported too long")
        case .line(let bytes, let number):
            // The limit counts the line without its terminator: a CRLF line may hand out its CR beyond it.
            precondition(bytes.count <= 256 || (bytes.count == 257 && bytes.last == 0x0D), "a line over the limit was handed out")
            switch RequestParser.parse(bytes, line: number) {
            case .failure(let failure):
                precondition([-32700, -32600, -32602].contains(failure.error.code), "unexpected code \(failure.error.code)")
                _ = JSONWriter.string(failure.error.json)
            case .success(let request):
                let written = JSONWriter.string(.object(request.params))
                guard case .object(let reparsed)? = try? JSONParser.parse(written) else {
                    preconditionFailure("params did not re-parse: \(written)")
                }
                precondition(sameJSON(.object(reparsed), .object(request.params)), "params changed in a round trip: \(written)")
            }
        }
    }
    splitter.feed(UnsafeBufferPointer(rebasing: input[0 ..< cut]), handle)
    splitter.feed(UnsafeBufferPointer(rebasing: input[cut...]), handle)
    splitter.finish(handle)
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, { data, size in fuzzOneInput(data, size) }))
