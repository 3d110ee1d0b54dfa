import Foundation
import SessionStore
#if Postgres
import PostgresSessionStore
#endif

/// Opens the store a `--store` value names: an SQLite file path, or a `postgres://` URL (in builds
/// with the Postgres trait, `swift build --traits Postgres`, as scripts/test-postgres.sh makes).
enum StoreLocation {
    static func isPostgres(_ location: String) -> Bool {
        location.hasPrefix("postgres://") || location.hasPrefix("postgresql://")
    }

    /// The store for an engine (`readOnly: false`) or for `tokenbudget sessions` (`readOnly: true`).
    static func open(
        _ location: String, readOnly: Bool, maxPageCount: Int? = nil, sqliteCacheMiB: Int = SQLiteSessionStore.defaultCacheMiB
    ) throws -> SessionStore {
        if isPostgres(location) {
            #if Postgres
            // PostgreSQL serves readers and writers alike; a reader simply never writes.
            return try PostgresSessionStore(url: location)
            #else
            throw StoreError(
                "this build has no PostgreSQL backend; build with `swift build --traits Postgres` (see docs/deployment.md) "
                    + "or give an SQLite file path")
            #endif
        }
        if readOnly { return try SQLiteSessionStore(readingOnly: location) }
        // A bare file name (`--store s.db`) has no folder to create: it is in the working directory.
        let folder = (location as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw StoreError("cannot create the store's folder \(folder): \((error as NSError).localizedDescription)")
            }
        }
        return try SQLiteSessionStore(path: location, maxPageCount: maxPageCount, cacheMiB: sqliteCacheMiB)
    }
}
