import EngineServer
import Foundation
import JSONWire
import SessionStore

/// An `EngineService` driven as the server drives it, without a process: request lines in one batch,
/// the answers it releases parsed back. The clocks are injected: `advance` moves both.
final class Harness {
    let service: EngineService
    private var nextID = 0

    init(store: SessionStore? = nil, idleTimeout: Double = 60, exports: EngineService.ExportSettings? = nil) {
        var options = EngineService.Options()
        options.idleTimeout = idleTimeout
        options.exports = exports
        let clock = Clock()
        self.clock = clock
        service = EngineService(options: options, store: store, monotonicNow: { clock.monotonic }, wallNow: { clock.wall })
    }

    private let clock: Clock
    private final class Clock: @unchecked Sendable {
        var monotonic = 1_000.0
        var wall = 1_800_000_000.0
    }

    /// Moves both clocks forward.
    func advance(_ seconds: Double) {
        clock.monotonic += seconds
        clock.wall += seconds
    }

    /// One request in a batch of its own; its answer (`result` or `error` object).
    @discardableResult
    func call(_ method: String, _ params: JSONObject) -> JSONValue {
        batch([(method, params)])[0]
    }

    /// Requests as one batch (one commit); their answers in order.
    func batch(_ requests: [(String, JSONObject)]) -> [JSONValue] {
        service.beginBatch()
        for (number, (method, params)) in requests.enumerated() {
            nextID += 1
            let line = JSONWriter.string(["jsonrpc": "2.0", "id": .int(Int64(nextID)), "method": .string(method), "params": .object(params)])
            Array(line.utf8).withUnsafeBufferPointer { service.receive($0, number: number + 1) }
        }
        let answers = service.endBatch()
        service.waitForExports()  // written on the writer's thread: wait, so a test reads them as written
        return answers.map { try! JSONParser.parse(String(decoding: $0, as: UTF8.self)) }
    }

    /// The answer's error code, nil for a result.
    static func code(_ answer: JSONValue) -> Int? { answer["error"]?["code"]?.intValue }
}

/// A temporary folder removed at deinit.
final class TemporaryFolder {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-server-\(UUID())")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
}

let script = "You are Ada, a sales agent for Solar Roofs. Be brief, friendly and concrete."
