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
    // `swift build --traits Postgres` adds the PostgreSQL backend (`serve --store postgres://…`). Off by
    // default: postgres-nio's first build takes 4–11 min on 2 cores and every CI run starts from a
    // clean clone. With the trait off SwiftPM neither clones nor builds postgres-nio (its product is
    // used only under the trait; scripts/test.sh checks that it was not cloned), and
    // PostgresSessionStore compiles to an empty module.
    traits: [
        .trait(name: "Postgres", description: "The PostgreSQL session store (postgres-nio) for several engines."),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
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
        // Its sources are inside `#if Postgres`: without the trait the module is empty.
        .target(
            name: "PostgresSessionStore",
            dependencies: [
                "SessionStore", "JSONWire",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["Postgres"])),
            ]
        ),
        // JSON-RPC over stdin/stdout: framing, limits, dispatch, ordering, backpressure, shutdown.
        .target(name: "EngineServer", dependencies: ["ContextEngine", "Tokenizer", "JSONWire", "SessionStore"]),
        .executableTarget(
            name: "tokenbudget",
            dependencies: [
                "Tokenizer", "EngineServer", "CapacityTools", "ContextEngine", "JSONWire",
                .target(name: "PostgresSessionStore", condition: .when(traits: ["Postgres"])),
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
