import Tokenizer

/// The file name of a session's export: a session id may hold any character (`/`, `..`, NUL, a
/// newline), so it is encoded, injectively, into `[A-Za-z0-9._%~-]`.
///
/// Each UTF-8 byte outside `[A-Za-z0-9._-]` becomes `%XX` (upper-case hex), and so does a leading
/// `.` (no hidden file, no `.` or `..`). `%` itself is encoded, so two ids never share a name.
/// Names stay under NAME_MAX (255 bytes on Linux): an encoding over 200 bytes keeps its first 120
/// and appends `~` and the SHA-256 of the id (64 hex digits); `~` never occurs in a short name
/// (it would be `%7E`), so long and short names cannot collide either.
///
/// ```swift
/// ExportFileName.encode("../etc/passwd")  // "%2E.%2Fetc%2Fpasswd"
/// ```
public enum ExportFileName {
    static let limit = 200, keptPrefix = 120

    public static func encode(_ id: String) -> String {
        var name = [UInt8]()
        name.reserveCapacity(id.utf8.count)
        for (index, byte) in id.utf8.enumerated() {
            if isKept(byte) && !(index == 0 && byte == UInt8(ascii: ".")) {
                name.append(byte)
            } else {
                name += [UInt8(ascii: "%"), hexDigit(byte >> 4), hexDigit(byte & 0xF)]
            }
        }
        if name.isEmpty { return "%" }  // the empty id: "%" alone is no encoding of anything else
        if name.count > limit {
            name = Array(name.prefix(keptPrefix)) + Array("~".utf8) + Array(SHA256.hex(Array(id.utf8)).utf8)
        }
        return String(decoding: name, as: UTF8.self)
    }

    static func isKept(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A") ... UInt8(ascii: "Z"), UInt8(ascii: "a") ... UInt8(ascii: "z"),
             UInt8(ascii: "0") ... UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            true
        default:
            false
        }
    }

    static func hexDigit(_ value: UInt8) -> UInt8 { Array("0123456789ABCDEF".utf8)[Int(value)] }
}
