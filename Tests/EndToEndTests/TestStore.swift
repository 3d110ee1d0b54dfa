import Foundation
import SessionStore
import Testing

/// The store an end-to-end test runs `serve` on: a fresh SQLite file, or — when scripts/test-postgres.sh
/// runs the suites with `TOKENBUDGET_TEST_PG_SOCKET_DIR` set — a fresh PostgreSQL database on that
/// throwaway server. The suites that use it are the shared store suite of both backends.
final class TestStore {
    /// The socket folder of the test server, when the suites run against PostgreSQL.
    static let postgresSocketDirectory = ProcessInfo.processInfo.environment["TOKENBUDGET_TEST_PG_SOCKET_DIR"]
    static var isPostgres: Bool { postgresSocketDirectory != nil }

    /// A path or a `postgres://` URL, for `--store`.
    let location: String
    private let directory: URL?

    init() throws {
        if let socket = Self.postgresSocketDirectory {
            let name = "tb_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20))"
            let createdb = Process()
            createdb.executableURL = URL(fileURLWithPath: try Self.postgresTool("createdb"))
            createdb.arguments = ["-h", socket, "-U", "postgres", name]
            try createdb.run()
            createdb.waitUntilExit()
            guard createdb.terminationStatus == 0 else { throw StoreSetupError("createdb \(name) failed") }
            location = "postgres://postgres@/\(name)?host=\(socket)"
            directory = nil
        } else {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("tb-store-\(UUID())")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            location = url.appendingPathComponent("sessions.db").path
            directory = url
        }
    }

    deinit {
        if let directory { try? FileManager.default.removeItem(at: directory) }
    }

    /// `serve` arguments for this store. Engines that share an `instance` name are the same engine
    /// restarted (it takes its sessions back at once); otherwise each engine has its own name.
    func serveArguments(instance: String? = nil, _ extra: [String] = []) -> [String] {
        var arguments = ["serve", "--store", location]
        if let instance, Self.isPostgres { arguments += ["--instance-id", instance] }
        return arguments + extra
    }

    /// Runs `sql` on the store directly (psql, or the SQLite file), as an operator or a damaged disk would.
    func execute(_ sql: String) throws {
        if let socket = Self.postgresSocketDirectory {
            let psql = Process()
            psql.executableURL = URL(fileURLWithPath: try Self.postgresTool("psql"))
            // postgres://postgres@/NAME?host=SOCKET
            let database = String(location.components(separatedBy: "@/")[1].split(separator: "?")[0])
            psql.arguments = ["-h", socket, "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql]
            try psql.run()
            psql.waitUntilExit()
            guard psql.terminationStatus == 0 else { throw StoreSetupError("psql failed: \(sql)") }
        } else {
            try SQLiteDatabase(path: location, create: false).execute(sql)
        }
    }

    static func postgresTool(_ name: String) throws -> String {
        if let bin = ProcessInfo.processInfo.environment["TOKENBUDGET_TEST_PG_BIN"] { return bin + "/" + name }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        guard let version = versions.sorted().last else { throw StoreSetupError("PostgreSQL is not installed") }
        return "/usr/lib/postgresql/\(version)/bin/\(name)"
    }
}

struct StoreSetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
