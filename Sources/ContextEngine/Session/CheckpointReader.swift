import JSONWire

/// A checkpoint this build cannot read (another format, a missing or mistyped field).
public struct CheckpointError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// Typed reads of a checkpoint's fields, each naming the field it could not read.
struct CheckpointReader {
    let object: JSONObject

    init(_ value: JSONValue) throws(CheckpointError) {
        guard let object = value.objectValue else { throw CheckpointError("a checkpoint part is \(value.typeName), not an object") }
        self.object = object
    }

    func value(_ key: String) throws(CheckpointError) -> JSONValue {
        guard let value = object[key] else { throw CheckpointError("the checkpoint has no \(key)") }
        return value
    }

    /// The field, or nil when it is absent or null.
    func optional(_ key: String) throws(CheckpointError) -> JSONValue? {
        guard let value = object[key], value != .null else { return nil }
        return value
    }

    func int(_ key: String) throws(CheckpointError) -> Int { try Self.int(try value(key), key) }
    func bool(_ key: String) throws(CheckpointError) -> Bool { try Self.bool(try value(key), key) }
    func string(_ key: String) throws(CheckpointError) -> String { try Self.string(try value(key), key) }

    func array(_ key: String) throws(CheckpointError) -> [JSONValue] {
        guard let array = try value(key).arrayValue else { throw CheckpointError("the checkpoint's \(key) is not an array") }
        return array
    }

    static func int(_ value: JSONValue, _ what: String) throws(CheckpointError) -> Int {
        guard case .int(let number) = value, let int = Int(exactly: number) else {
            throw CheckpointError("the checkpoint's \(what) is not an integer")
        }
        return int
    }

    static func bool(_ value: JSONValue, _ what: String) throws(CheckpointError) -> Bool {
        guard let bool = value.boolValue else { throw CheckpointError("the checkpoint's \(what) is not a boolean") }
        return bool
    }

    static func string(_ value: JSONValue, _ what: String) throws(CheckpointError) -> String {
        guard let string = value.stringValue else { throw CheckpointError("the checkpoint's \(what) is not a string") }
        return string
    }

    /// A fixed-length array.
    static func fields(_ value: JSONValue, count: Int, what: String) throws(CheckpointError) -> [JSONValue] {
        guard let array = value.arrayValue, array.count == count else {
            throw CheckpointError("the checkpoint's \(what) is not an array of \(count)")
        }
        return array
    }
}
