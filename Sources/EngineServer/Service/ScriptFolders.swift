#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSONWire

/// The folders `session.open`'s `scriptFile` may read from (`serve --script-dir DIR`, repeatable).
///
/// Without any, `scriptFile` is refused: a relay (or whoever writes to its socket) must not make the
/// engine read `/etc/shadow` and echo it back as a snapshot. A path is first checked lexically (after
/// removing `.` and `..`, so nothing outside is even looked at), then resolved with `realpath(3)`
/// and checked again, so a symlink inside a folder that points outside is refused too. Relative
/// paths are taken from each folder in turn, the first that has the file wins.
public struct ScriptFolders: Sendable {
    /// Each folder as given (made absolute, `.`/`..` removed) and as `realpath` resolves it.
    public let folders: [(given: String, real: String)]
    /// Largest script file read (16 MiB): a script is a prompt, not a data set.
    public static let maxBytes = 16 << 20

    public struct Unusable: Error, CustomStringConvertible {
        public var description: String
    }

    public static let none = ScriptFolders(resolved: [])

    private init(resolved: [(given: String, real: String)]) { folders = resolved }

    /// - Throws: `Unusable` for a folder that does not exist or cannot be resolved.
    public init(_ paths: [String]) throws {
        var resolved = [(given: String, real: String)]()
        for path in paths {
            guard let real = Self.realPath(path) else {
                throw Unusable(description: "--script-dir \(path): \(String(cString: strerror(errno)))")
            }
            resolved.append((Self.lexical(Self.absolute(path)), real))
        }
        folders = resolved
    }

    /// The text of `path`, if it is a UTF-8 file inside a folder.
    ///
    /// - Throws: -32009 with `data.reason`: `disabled` (no folder configured), `outside`, `missing`,
    ///   `notAFile`, `tooLarge`, `unreadable`, `notUTF8`.
    func read(_ path: String) throws(RPCError) -> String {
        func refuse(_ reason: String, _ message: String) -> RPCError {
            RPCError(RPCError.scriptUnreadable, message, data: ["scriptFile": .string(path), "reason": .string(reason)])
        }
        guard !folders.isEmpty else {
            throw refuse("disabled", "scriptFile is disabled: this engine was started without --script-dir; send the script's text as \"script\", or start serve with --script-dir FOLDER")
        }
        let outside = refuse("outside", "scriptFile \(path) is outside the folders this engine may read scripts from (--script-dir)")
        let candidates = path.hasPrefix("/") ? [Self.lexical(path)] : folders.map { Self.lexical($0.given + "/" + path) }
        guard candidates.allSatisfy({ candidate in folders.contains { Self.isInside(candidate, $0.given) || Self.isInside(candidate, $0.real) } })
        else { throw outside }
        guard let real = candidates.lazy.compactMap(Self.realPath).first else {
            throw refuse("missing", "scriptFile \(path) does not exist")
        }
        guard folders.contains(where: { Self.isInside(real, $0.real) }) else { throw outside }
        var status = stat()
        guard stat(real, &status) == 0 else { throw refuse("unreadable", "scriptFile \(path) cannot be read: \(String(cString: strerror(errno)))") }
        guard status.st_mode & S_IFMT == S_IFREG else { throw refuse("notAFile", "scriptFile \(path) is not a regular file") }
        guard Int(status.st_size) <= Self.maxBytes else {
            throw refuse("tooLarge", "scriptFile \(path) has \(status.st_size) bytes, over the limit of \(Self.maxBytes)")
        }
        guard let data = FileManager.default.contents(atPath: real) else {
            throw refuse("unreadable", "scriptFile \(path) cannot be read (permissions?)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw refuse("notUTF8", "scriptFile \(path) is not UTF-8 text")
        }
        return text
    }

    // MARK: - Paths

    /// `realpath(3)`: absolute, no symlinks, no `.`/`..`; nil when the path does not exist.
    static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// `/a/./b/../c//d` → `/a/c/d`, without touching the file system (`..` at the root stays there).
    static func lexical(_ path: String) -> String {
        var parts = [Substring]()
        for part in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch part {
            case ".": continue
            case "..": if !parts.isEmpty { parts.removeLast() }
            default: parts.append(part)
            }
        }
        return "/" + parts.joined(separator: "/")
    }

    static func isInside(_ path: String, _ folder: String) -> Bool {
        folder == "/" || path.hasPrefix(folder + "/")
    }
}
