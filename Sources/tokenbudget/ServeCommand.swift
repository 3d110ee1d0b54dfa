import ArgumentParser
import EngineServer
import Foundation
import SessionStore

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "JSON-RPC 2.0 over newline-delimited stdin/stdout for the relay daemon (docs/protocol.md).",
        discussion: """
            Exit status: 0 when input ended or on SIGTERM (all accepted requests answered), 2 when the \
            store cannot be opened (locked, corrupt, foreign), 3 when stdout was closed, 4 when reading \
            stdin failed.
            """)

    @Option(help: "Longest accepted input line in bytes; longer lines get -32600 and are skipped.")
    var maxLineBytes: Int = 1 << 20

    @Option(help: "Seconds without a request after which a session becomes abandoned.")
    var idleTimeout: Double = 1800

    @Option(help: "Reconnect attempts a resume.goAway plan offers before it re-seeds.")
    var maxReconnectAttempts: Int = 3

    @Option(help: "Delay a reconnect plan suggests, in milliseconds.")
    var reconnectDelayMs: Int = 1_000

    @Option(help: "Seconds a resumption handle stays valid (Gemini: about 2 h); older handles re-seed.")
    var handleValidity: Double = 7_200

    @Option(help: "Encoding of sessions that do not name one.")
    var encoding: String = "o200k_base"

    @Option(help: """
        Where sessions survive restarts: an SQLite file (default: $TOKENBUDGET_STORE, else \
        ~/.local/share/tokenbudget/sessions.db), a postgres:// URL shared by several engines \
        (docs/deployment.md), or "none" (memory only).
        """)
    var store: String?

    @Option(help: "Shared stores: seconds a session stays this engine's without renewal (renewed every third).")
    var leaseSeconds: Double = 15

    @Option(help: "Shared stores: this engine's name as the owner of its sessions (default: host-pid-random).")
    var instanceID: String?

    @Option(help: ArgumentHelp("Cap the store at this many 4 KiB pages (a testing aid for a full disk).", visibility: .hidden))
    var storeMaxPages: Int?

    static var defaultStorePath: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/tokenbudget/sessions.db"
    }

    func validate() throws {
        guard maxLineBytes >= 64 else { throw ValidationError("--max-line-bytes must be at least 64") }
        guard idleTimeout > 0 else { throw ValidationError("--idle-timeout must be positive") }
        guard maxReconnectAttempts >= 0 else { throw ValidationError("--max-reconnect-attempts must be 0 or more") }
        guard reconnectDelayMs >= 0 else { throw ValidationError("--reconnect-delay-ms must be 0 or more") }
        guard handleValidity > 0 else { throw ValidationError("--handle-validity must be positive") }
        guard leaseSeconds > 0 else { throw ValidationError("--lease-seconds must be positive") }
    }

    func run() throws {
        var options = StdioServer.Options()
        options.maxLineBytes = maxLineBytes
        options.service.idleTimeout = idleTimeout
        options.service.defaultEncoding = encoding
        options.service.maxReconnectAttempts = maxReconnectAttempts
        options.service.reconnectDelayMs = reconnectDelayMs
        options.service.handleValiditySeconds = handleValidity
        options.service.leaseSeconds = leaseSeconds
        if let instanceID { options.service.ownerID = instanceID }
        var sessionStore: SessionStore?
        let path = store ?? ProcessInfo.processInfo.environment["TOKENBUDGET_STORE"] ?? Self.defaultStorePath
        if path != "none" {
            do {
                sessionStore = try StoreLocation.open(path, readOnly: false, maxPageCount: storeMaxPages)
            } catch {
                FileHandle.standardError.write(Data("tokenbudget serve: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        StdioServer.installSignalHandlers()
        let service = EngineService(options: options.service, store: sessionStore)
        var server = StdioServer(options: options, service: service)
        let exit = server.run()
        service.releaseLeases()
        if exit != .finished { throw ExitCode(exit.rawValue) }
    }
}
