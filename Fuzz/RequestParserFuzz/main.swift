// libFuzzer target for `serve`'s input side: line framing and the JSON-RPC request parser.
// Built and run by scripts/fuzz-request-parser.sh (ENABLE_FUZZ=1, -sanitize=fuzzer,address).
//
// Oracles, beyond "no crash, no sanitizer report": every line either parses or yields an error
// object with a JSON-RPC code; a parsed request's params written back as JSON parse to the same
// value; the splitter never hands out a line longer than its limit.
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
            precondition(bytes.count <= 256, "a line over the limit was handed out")
            switch RequestParser.parse(bytes, line: number) {
            case .failure(let failure):
                precondition([-32700, -32600, -32602].contains(failure.error.code), "unexpected code \(failure.error.code)")
                _ = JSONWriter.string(failure.error.json)
            case .success(let request):
                let written = JSONWriter.string(.object(request.params))
                guard case .object(let reparsed)? = try? JSONParser.parse(written) else {
                    preconditionFailure("params did not re-parse: \(written)")
                }
                precondition(reparsed == request.params || written.contains("e"), "params changed in a round trip")
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
