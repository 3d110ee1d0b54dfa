import ArgumentParser
import EngineServer
import Foundation

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "JSON-RPC 2.0 over newline-delimited stdin/stdout for the relay daemon (docs/protocol.md).",
        discussion: """
            Exit status: 0 when input ended or on SIGTERM (all accepted requests answered), 3 when \
            stdout was closed, 4 when reading stdin failed.
            """)

    @Option(help: "Longest accepted input line in bytes; longer lines get -32600 and are skipped.")
    var maxLineBytes: Int = 1 << 20

    @Option(help: "Seconds without a request after which a session becomes abandoned.")
    var idleTimeout: Double = 1800

    @Option(help: "Encoding of sessions that do not name one.")
    var encoding: String = "o200k_base"

    func validate() throws {
        guard maxLineBytes >= 64 else { throw ValidationError("--max-line-bytes must be at least 64") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") }
    }

    func run() throws {
        var options = StdioServer.Options()
        options.maxLineBytes = maxLineBytes
        options.service.idleTimeout = idleTimeout
        options.service.defaultEncoding = encoding
        StdioServer.installSignalHandlers()
        var server = StdioServer(options: options)
        let exit = server.run()
        if exit != .finished { throw ExitCode(exit.rawValue) }
    }
}
