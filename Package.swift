// swift-tools-version:6.1
import Foundation
import PackageDescription

// Benchmarks pull in package-benchmark, whose first build takes ~3.5 min on 2 cores; every CI run
// rebuilds from scratch, so its targets exist only when ENABLE_BENCHMARKS is set.
let benchmarksEnabled = ProcessInfo.processInfo.environment["ENABLE_BENCHMARKS"] != nil

var package = Package(
    name: "tokenbudget",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Tokenizer", targets: ["Tokenizer"]),
        // The engine as a library, for a Swift relay that embeds it in-process (Examples/EmbeddedRelay).
        .library(name: "ContextEngine", targets: ["ContextEngine"]),
        .library(name: "JSONWire", targets: ["JSONWire"]),
        .executable(name: "tokenbudget", targets: ["tokenbudget"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CPCRE2",
            pkgConfig: "libpcre2-8",
            providers: [.apt(["libpcre2-dev"])]
        ),
        .systemLibrary(
            name: "CXXHash",
            pkgConfig: "libxxhash",
            providers: [.apt(["libxxhash-dev"])]
        ),
        .target(
            name: "Tokenizer",
            dependencies: ["CPCRE2", "CXXHash"]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        // Ordered JSON values, a strict hand parser and a writer: the wire format of `serve`.
        .target(name: "JSONWire"),
        // Sessions, budget, policies, eviction, snapshots, deltas, renderers: pure logic, no I/O.
        // CONTEXT_INVARIANT_CHECKS (debug builds, so every test): each applied event is followed by
        // the O(items) invariant check of ContextSession+Invariants.swift, as swift-collections
        // gates `_checkInvariants` behind COLLECTIONS_INTERNAL_CHECKS. Release builds skip it.
        .target(
            name: "ContextEngine", dependencies: ["Tokenizer", "JSONWire"],
            swiftSettings: [.define("CONTEXT_INVARIANT_CHECKS", .when(configuration: .debug))]
        ),
        // Turn capacity of a profile, replays of recorded sessions, SVG charts.
        .target(name: "CapacityTools", dependencies: ["ContextEngine", "Tokenizer", "JSONWire"]),
        // Persistence behind one protocol; SQLite (WAL) is the embedded default.
        .target(name: "SessionStore", dependencies: ["CSQLite", "JSONWire"]),
        // JSON-RPC over stdin/stdout: framing, limits, dispatch, ordering, backpressure, shutdown.
        .target(name: "EngineServer", dependencies: ["ContextEngine", "Tokenizer", "JSONWire", "SessionStore"]),
        .executableTarget(
            name: "tokenbudget",
            dependencies: [
                "Tokenizer", "EngineServer", "CapacityTools", "ContextEngine", "JSONWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Load benchmark of the engine alone (no package-benchmark: builds in seconds, runs anywhere).
        .executableTarget(
            name: "ContextEngineLoad", dependencies: ["ContextEngine", "Tokenizer"], path: "Benchmarks/ContextEngineLoad"),
        // A turn streamed in chunks: recounted at each chunk, counted from the settled prefix, counted once.
        .executableTarget(
            name: "StreamedTurnCount", dependencies: ["Tokenizer"], path: "Benchmarks/StreamedTurnCount"),
        // The Swift side of Benchmarks/tokenizer_side_by_side.py.
        .executableTarget(
            name: "TokenizerThroughput", dependencies: ["Tokenizer"], path: "Benchmarks/TokenizerThroughput"),
        // A Swift relay embedding the engine in-process; the test command runs it.
        .executableTarget(
            name: "EmbeddedRelay", dependencies: ["ContextEngine", "Tokenizer", "JSONWire"], path: "Examples/EmbeddedRelay"),
        // Throughput and latency of the real `serve` process on pipes.
        .executableTarget(name: "ServeLoad", path: "Benchmarks/ServeLoad"),
        .testTarget(name: "TokenizerTests", dependencies: ["Tokenizer"]),
        .testTarget(name: "JSONWireTests", dependencies: ["JSONWire"]),
        .testTarget(name: "CapacityToolsTests", dependencies: ["CapacityTools", "ContextEngine", "Tokenizer"]),
        // Spawns the built `tokenbudget` on real pipes and files.
        .testTarget(name: "EndToEndTests", dependencies: ["JSONWire", "SessionStore"]),
        .testTarget(name: "ContextEngineTests", dependencies: ["ContextEngine", "Tokenizer", "JSONWire"]),
        // The server's parts without a process: registry, unit of work, method table (in-memory and
        // SQLite stores, an injected clock).
        .testTarget(
            name: "EngineServerTests", dependencies: ["EngineServer", "ContextEngine", "SessionStore", "JSONWire", "Tokenizer"]),
        .testTarget(name: "SessionStoreTests", dependencies: ["SessionStore", "JSONWire"]),
    ]
)

// The libFuzzer targets build only with sanitizers, by scripts/fuzz-request-parser.sh,
// scripts/fuzz-split-scanner.sh and scripts/fuzz-service-sequence.sh.
if ProcessInfo.processInfo.environment["ENABLE_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(
            name: "RequestParserFuzz", dependencies: ["EngineServer", "JSONWire"], path: "Fuzz/RequestParserFuzz"
        )
    )
    package.targets.append(
        .executableTarget(name: "SplitScannerFuzz", dependencies: ["Tokenizer"], path: "Fuzz/SplitScannerFuzz")
    )
    package.targets.append(
        .executableTarget(
            name: "ServiceSequenceFuzz", dependencies: ["EngineServer", "JSONWire"], path: "Fuzz/ServiceSequenceFuzz"
        )
    )
}

// The PostgreSQL backend pulls in postgres-nio (4–11 min of first build on 2 cores), so it exists only
// when ENABLE_POSTGRES is set: scripts/test-postgres.sh builds it in its own scratch path
// (.build-postgres), and `tokenbudget serve --store postgres://…` is available in that build.
if ProcessInfo.processInfo.environment["ENABLE_POSTGRES"] != nil {
    package.dependencies.append(.package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"))
    package.targets.append(
        .target(
            name: "PostgresSessionStore",
            dependencies: ["SessionStore", "JSONWire", .product(name: "PostgresNIO", package: "postgres-nio")]
        )
    )
    for target in package.targets where target.name == "tokenbudget" {
        target.dependencies.append("PostgresSessionStore")
    }
}

if benchmarksEnabled {
    package.dependencies.append(
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"])
    )
    package.targets.append(
        .executableTarget(
            name: "TokenizerBenchmarks",
            dependencies: ["Tokenizer", .product(name: "Benchmark", package: "benchmark")],
            path: "Benchmarks/TokenizerBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
