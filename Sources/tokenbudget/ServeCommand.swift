import ArgumentParser
import EngineServer
import Foundation
import SessionStore
import Tokenizer

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "JSON-RPC 2.0 over newline-delimited stdin/stdout for the relay daemon (docs/protocol.md).",
        discussion: """
            Exit status: 0 when input ended or on SIGTERM (all accepted requests answered), 2 when the \
            store cannot be opened (locked, corrupt, foreign), 3 when stdout was closed, 4 when reading \
            stdin failed, 5 on SIGTERM when stdout took no bytes for 5 s (the reader stopped reading: \
            answers were lost), 64 for a bad option.
            """)

    @Option(parsing: .unconditional, help: "Longest accepted input line in bytes; longer lines get -32600 and are skipped.")
    var maxLineBytes: Int = 1 << 20

    @Option(parsing: .unconditional, help: "Seconds without a request after which a session becomes abandoned.")
    var idleTimeout: Double = 1800

    @Option(parsing: .unconditional, help: "Reconnect attempts a resume.goAway plan offers before it re-seeds.")
    var maxReconnectAttempts: Int = 3

    @Option(parsing: .unconditional, help: "Delay a reconnect plan suggests, in milliseconds.")
    var reconnectDelayMs: Int = 1_000

    @Option(parsing: .unconditional, help: "Seconds a resumption handle stays valid (Gemini: about 2 h); older handles re-seed.")
    var handleValidity: Double = 7_200

    @Option(help: "Encoding of sessions that do not name one.")
    var encoding: String = "o200k_base"

    @Option(help: ArgumentHelp(
        "A folder session.open's scriptFile may read from (repeatable); without one, scriptFile is refused.",
        valueName: "dir"))
    var scriptDir: [String] = []

    @Option(help: """
        Where sessions survive restarts: an SQLite file (default: $TOKENBUDGET_STORE, else \
        ~/.local/share/tokenbudget/sessions.db), a postgres:// URL shared by several engines \
        (docs/deployment.md), or "none" (memory only).
        """)
    var store: String?

    @Option(parsing: .unconditional, help: "Shared stores: seconds a session stays this engine's without renewal (renewed every third).")
    var leaseSeconds: Double = 15

    @Option(help: "Shared stores: this engine's name as the owner of its sessions (default: host-pid-random).")
    var instanceID: String?

    @Option(help: ArgumentHelp(
        "Write each session that ends to <dir>/<encoded id>.json (its export; created if missing; needs a store).",
        valueName: "dir"))
    var exportDir: String?

    @Option(help: ArgumentHelp("Cap the store at this many 4 KiB pages (a testing aid for a full disk).", visibility: .hidden))
    var storeMaxPages: Int?

    static var defaultStorePath: String {
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return home + "/.local/share/tokenbudget/sessions.db"
    }

    /// Every number has a range, so that none can overflow what is computed from it (docs/protocol.md).
    @Option(parsing: .unconditional, help: "SQLite's page cache in MiB: memory for speed on very large stores (1-4096).")
    var sqliteCacheMib = SQLiteSessionStore.defaultCacheMiB

    func validate() throws {
        guard (1 ... 4_096).contains(sqliteCacheMib) else {
            throw ValidationError("--sqlite-cache-mib must be in 1...4096, got \(sqliteCacheMib)")
        }
        guard (64 ... 1 << 30).contains(maxLineBytes) else {
            throw ValidationError("--max-line-bytes must be in 64...\(1 << 30) (1 GiB), got \(maxLineBytes)")
        }
        guard idleTimeout > 0, idleTimeout <= 31_536_000 else {
            throw ValidationError("--idle-timeout must be positive seconds, at most 31536000 (a year), got \(idleTimeout)")
        }
        guard (0 ... 1_000).contains(maxReconnectAttempts) else {
            throw ValidationError("--max-reconnect-attempts must be in 0...1000, got \(maxReconnectAttempts)")
        }
        guard (0 ... 3_600_000).contains(reconnectDelayMs) else {
            throw ValidationError("--reconnect-delay-ms must be in 0...3600000 (an hour), got \(reconnectDelayMs)")
        }
        guard handleValidity > 0, handleValidity <= 31_536_000 else {
            throw ValidationError("--handle-validity must be positive seconds, at most 31536000 (a year), got \(handleValidity)")
        }
        guard leaseSeconds > 0, leaseSeconds <= 86_400 else {
            throw ValidationError("--lease-seconds must be positive seconds, at most 86400 (a day), got \(leaseSeconds)")
        }
        // Checked here, not at the first session.open: a typo would otherwise fail every open.
        // The name only: a missing vocabulary is still each open's -32008 naming scripts/bootstrap.sh.
        guard Tokenizers.knownNames.contains(encoding) else {
            throw ValidationError(
                "--encoding: unknown encoding \"\(encoding)\"; known: \(Tokenizers.knownNames.joined(separator: ", "))")
        }
        if let exportDir { try Self.prepareExportFolder(exportDir, store: store) }
        for folder in scriptDir {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
                throw ValidationError("--script-dir \(folder): no such folder")
            }
        }
    }

    /// `--export-dir`: an existing folder, or one created now; a file there, or no store, is a bad option.
    static func prepareExportFolder(_ folder: String, store: String?) throws {
        let location = store ?? ProcessInfo.processInfo.environment["TOKENBUDGET_STORE"] ?? defaultStorePath
        guard location != "none" else {
            throw ValidationError("--export-dir needs a store (exports are read from it), not --store none")
        }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw ValidationError("--export-dir \(folder): not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw ValidationError("--export-dir \(folder): cannot create it (\((error as NSError).localizedDescription))")
        }
    }

    func run() throws {
        var options = StdioServer.Options()
        options.maxLineBytes = maxLineBytes
        options.service.idleTimeout = idleTimeout
        options.service.defaultEncoding = encoding
        options.service.scriptFolders = try ScriptFolders(scriptDir)
        options.service.maxReconnectAttempts = maxReconnectAttempts
        options.service.reconnectDelayMs = reconnectDelayMs
        options.service.handleValiditySeconds = handleValidity
        options.service.leaseSeconds = leaseSeconds
        if let instanceID { options.service.ownerID = instanceID }
        var sessionStore: SessionStore?
        let path = store ?? ProcessInfo.processInfo.environment["TOKENBUDGET_STORE"] ?? Self.defaultStorePath
        if let exportDir {
            // The writer's thread reads through a connection of its own, as `tokenbudget sessions` does.
            options.service.exports = .init(directory: exportDir) { try StoreLocation.open(path, readOnly: true) }
        }
        if path != "none" {
            do {
                sessionStore = try StoreLocation.open(
                    path, readOnly: false, maxPageCount: storeMaxPages, sqliteCacheMiB: sqliteCacheMib)
            } catch {
                FileHandle.standardError.write(Data("tokenbudget serve: \(error)\n".utf8))
                throw ExitCode(2)
            }
        }
        StdioServer.installSignalHandlers()
        let service = EngineService(options: options.service, store: sessionStore)
        var server = StdioServer(options: options, service: service)
        let exit = server.run()
        service.finishExports()
        service.releaseLeases()
        if exit != .finished { throw ExitCode(exit.rawValue) }
    }
}
