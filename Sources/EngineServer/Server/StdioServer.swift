#if canImport(Glibc)
import Glibc
#endif
import JSONWire

/// Set by the SIGTERM handler; read by the loop between reads, and by `OutputBuffer.flush`, which
/// then stops waiting for a reader that has stopped reading.
nonisolated(unsafe) var terminationRequested: sig_atomic_t = 0

/// `tokenbudget serve`: JSON-RPC 2.0 over newline-delimited stdin/stdout.
///
/// One thread, one loop: `poll` stdin (with a timeout for idle-session expiry), `read(2)` up to
/// 64 KiB (3× faster than `readLine()`), split lines, handle each request in order, flush responses.
/// Regular files work as stdin (`tokenbudget serve < events.jsonl`), unlike NIO's pipe bootstrap.
public struct StdioServer {
    public struct Options: Sendable {
        public var maxLineBytes = 1 << 20
        /// Group commit across input chunks: while more input is already waiting, one batch takes up
        /// to this many 64 KiB chunks before it commits. Each commit writes every page it dirtied to
        /// the WAL; 1,000 interleaved sessions dirty ~one index page per event, so a 64 KiB batch
        /// (~330 events) wrote ~1.3 MB. 16 chunks took `serve-bench.sh` with the store from 23k to 39k
        /// events/s; latency at low rates is unchanged (nothing waits, so the batch ends at once).
        public var maxBatchChunks = 16
        /// A batch holds at most this many bytes of answers before it commits (memory bound).
        public var maxHeldBytes = 4 << 20
        public var service = EngineService.Options()
        public init() {}
    }

    /// How the loop ended; the executable's exit status.
    public enum Exit: Int32 {
        /// Input ended or SIGTERM: all accepted work answered and flushed.
        case finished = 0
        /// stdout was closed under us (EPIPE): what was accepted is kept, the rest cannot be answered.
        case outputClosed = 3
        /// Reading stdin failed.
        case inputFailed = 4
        /// SIGTERM, and then stdout took no byte for `OutputBuffer.terminationGraceSeconds`: the
        /// reader has stopped reading, and the answers still held were not written.
        case outputStalled = 5
    }

    let options: Options
    let service: EngineService
    let input: Int32
    var output: OutputBuffer
    var splitter: LineSplitter
    /// Input chunks in the open batch; 0 when no batch is open.
    var batchChunks = 0

    public init(options: Options = Options(), input: Int32 = 0, output: Int32 = 1, service: EngineService? = nil) {
        self.options = options
        self.service = service ?? EngineService(options: options.service)
        self.input = input
        self.output = OutputBuffer(fd: output)
        self.splitter = LineSplitter(maxLineBytes: options.maxLineBytes)
    }

    /// Ignores SIGPIPE (a Swift process otherwise dies with 141 when the reader goes) and turns
    /// SIGTERM into a request to finish.
    public static func installSignalHandlers() {
        signal(SIGPIPE, SIG_IGN)
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in terminationRequested = 1 }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0  // no SA_RESTART: a blocked poll/read returns EINTR and the loop sees the flag
        sigaction(SIGTERM, &action, nil)
        // A parent may hand us a blocked SIGTERM (seen: children of the test runner inherit its
        // threads' mask), and then `kill -TERM` would never reach the loop.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        sigaddset(&unblock, SIGTERM)
        pthread_sigmask(SIG_UNBLOCK, &unblock, nil)
    }

    public mutating func run() -> Exit {
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        do {
            while terminationRequested == 0 {
                var descriptor = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
                // With a batch open, only look: if nothing is waiting, the batch ends now.
                let timeout = batchChunks > 0
                    ? 0 : service.secondsUntilNextExpiry().map { Int32(min(max($0 * 1000, 0) + 1, 60_000)) } ?? -1
                let ready = poll(&descriptor, 1, timeout)
                if ready < 0 {
                    if errno == EINTR { continue }
                    // Regular files and some descriptors do not poll; read directly.
                }
                if ready == 0 {
                    if batchChunks > 0 {
                        try endBatch()
                        continue
                    }
                    try emitNotifications()
                    try output.flush()  // news must not wait for the next request
                    continue
                }
                let count = chunk.withUnsafeMutableBytes { read(input, $0.baseAddress!, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    try endBatch()
                    try output.flush()
                    return .inputFailed
                }
                if count == 0 { break }
                if batchChunks == 0 { service.beginBatch() }
                batchChunks += 1
                try chunk.withUnsafeBufferPointer { buffer throws(OutputBuffer.Closed) in
                    try process(UnsafeBufferPointer(rebasing: buffer[0 ..< count]))
                }
                if batchChunks >= options.maxBatchChunks { try endBatch() }
            }
            try endBatch()
            if terminationRequested == 0 {
                // End of input: an unterminated last line is still a request.
                var failure: OutputBuffer.Closed?
                var splitter = takeSplitter()
                service.beginBatch()
                splitter.finish { event in
                    do { try self.handle(event) } catch let error as OutputBuffer.Closed { failure = error } catch {}
                }
                self.splitter = splitter
                releaseBatch()
                if let failure { throw failure }
            }
            try output.flush()
            return .finished
        } catch {
            return (error as? OutputBuffer.Closed)?.errno == OutputBuffer.Closed.stalled ? .outputStalled : .outputClosed
        }
    }

    /// Commits the open batch, writes its answers, then any news.
    mutating func endBatch() throws(OutputBuffer.Closed) {
        guard batchChunks > 0 else { return }
        batchChunks = 0
        releaseBatch()
        try output.flush()
        try emitNotifications()
        try output.flush()
    }

    /// Handles the requests of one input chunk inside the open batch.
    mutating func process(_ bytes: UnsafeBufferPointer<UInt8>) throws(OutputBuffer.Closed) {
        var failure: OutputBuffer.Closed?
        // Move the splitter out of `self` so that handling a line may mutate `self` — moved, not
        // copied: a copy shared the held part of a long line, so every chunk copied it whole
        // before appending (a 16 MB line took 1.35 s, 32 MB 5.2 s: quadratic).
        var splitter = takeSplitter()
        splitter.feed(bytes) { event in
            guard failure == nil else { return }
            do { try self.handle(event) } catch let error as OutputBuffer.Closed { failure = error } catch {}
        }
        self.splitter = splitter
        if let failure { throw failure }
    }

    mutating func handle(_ event: LineSplitter.Event) throws(OutputBuffer.Closed) {
        switch event {
        case .tooLong(let number, let bytes):
            service.refuse(id: nil, RPCError(
                RPCError.invalidRequest,
                "line \(number): \(bytes) bytes is over the limit of \(options.maxLineBytes); the line was skipped",
                data: ["line": .int(Int64(number)), "limit": .int(Int64(options.maxLineBytes))]))
        case .line(var bytes, let number):
            // A UTF-8 byte order mark (EF BB BF) some editors and Windows tools put first.
            if number == 1, bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
                bytes = UnsafeBufferPointer(rebasing: bytes[3...])
            }
            if isBlank(bytes) { return }
            service.receive(bytes, number: number)
        }
        // Bound what a batch holds: commit, release and start the next batch.
        if service.heldBytes >= options.maxHeldBytes {
            releaseBatch()
            service.beginBatch()
        }
        if output.needsFlush { try output.flush() }
    }

    /// Ends the open batch in the service (its commit) and writes the answers it releases.
    mutating func releaseBatch() {
        for answer in service.endBatch() { output.append { $0.append(contentsOf: answer) } }
    }

    /// Lease news, then idle sessions become abandoned (a stored change like any other): the news
    /// goes out once stored.
    mutating func emitNotifications() throws(OutputBuffer.Closed) {
        for notification in service.renewLeasesIfDue() + service.expireIdleSessions() {
            output.append { JSONWriter.write(notification, into: &$0) }
        }
        if output.needsFlush { try output.flush() }
    }

    /// The splitter, leaving an empty one in its place (the caller puts it back).
    private mutating func takeSplitter() -> LineSplitter {
        var taken = LineSplitter(maxLineBytes: splitter.maxLineBytes)
        swap(&taken, &splitter)
        return taken
    }

    private func isBlank(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }
}
