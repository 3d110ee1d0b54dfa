import Foundation

/// Per-thread encoders lent out one call at a time: the vocabulary is shared and immutable, the
/// scratch (match data, merge buffers, piece cache) is not. An encoder returns to the pool after the
/// call, so its piece cache stays warm for the next one.
final class EncoderPool<Encoder: AnyObject>: @unchecked Sendable {
    // @unchecked: `idle` is only touched under `lock`.
    private let lock = NSLock()
    private var idle: [Encoder] = []

    /// Runs `body` with an idle encoder, or a new one from `make`.
    @inline(__always)
    func withEncoder<Result>(make: () -> Encoder, _ body: (Encoder) throws -> Result) rethrows -> Result {
        lock.lock()
        let encoder = idle.popLast() ?? make()
        lock.unlock()
        defer {
            lock.lock()
            idle.append(encoder)
            lock.unlock()
        }
        return try body(encoder)
    }
}

/// Encodings loaded at most once per process, by name (a vocabulary takes 6–115 ms to load and
/// 10–40 MB of memory: every session shares one).
final class LoadedOnce<Value: AnyObject>: @unchecked Sendable {
    // @unchecked: `values` is only touched under `lock`.
    private let lock = NSLock()
    private var values: [String: Value] = [:]

    func value(named name: String, load: () throws -> Value) rethrows -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let value = values[name] { return value }
        let value = try load()
        values[name] = value
        return value
    }
}
