import JSONWire

/// Typed access to a request's params; every failure is a -32602 naming the parameter.
struct Params {
    let object: JSONObject
    let method: String

    init(_ request: Request) {
        object = request.params
        method = request.method
    }

    private func invalid(_ name: String, _ expected: String, _ value: JSONValue?) -> RPCError {
        let got = value.map { "got \($0.typeName)" } ?? "it is missing"
        return RPCError(
            RPCError.invalidParams, "\(method): expected \(expected) for \"\(name)\", \(got)",
            data: ["param": .string(name)])
    }

    func string(_ name: String) throws(RPCError) -> String {
        guard let value = object[name]?.stringValue else { throw invalid(name, "a string", object[name]) }
        return value
    }

    func optionalString(_ name: String) throws(RPCError) -> String? {
        guard let value = object[name], value != .null else { return nil }
        guard let string = value.stringValue else { throw invalid(name, "a string", value) }
        return string
    }

    func optionalInt(_ name: String, min: Int, max: Int = .max) throws(RPCError) -> Int? {
        guard let value = object[name], value != .null else { return nil }
        guard let int = value.intValue, int >= min, int <= max else {
            throw invalid(name, "a whole number in \(min)...\(max == .max ? "" : String(max))", value)
        }
        return int
    }

    func optionalBool(_ name: String) throws(RPCError) -> Bool? {
        guard let value = object[name], value != .null else { return nil }
        guard let bool = value.boolValue else { throw invalid(name, "true or false", value) }
        return bool
    }

    func optionalObject(_ name: String) throws(RPCError) -> JSONObject? {
        guard let value = object[name], value != .null else { return nil }
        guard let object = value.objectValue else { throw invalid(name, "an object", value) }
        return object
    }

    func oneOf(_ name: String, _ allowed: [String], default defaultValue: String? = nil) throws(RPCError) -> String {
        guard let value = object[name], value != .null else {
            if let defaultValue { return defaultValue }
            throw invalid(name, "one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", "), nil)
        }
        guard let string = value.stringValue, allowed.contains(string) else {
            throw RPCError(
                RPCError.invalidParams,
                "\(method): \"\(name)\" must be one of " + allowed.map { "\"\($0)\"" }.joined(separator: ", "),
                data: ["param": .string(name)])
        }
        return string
    }
}
