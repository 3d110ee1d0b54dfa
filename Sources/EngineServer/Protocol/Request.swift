import JSONWire

/// One parsed JSON-RPC request (or notification, when `id` is nil).
public struct Request: Sendable {
    public var id: JSONValue?
    public var method: String
    public var params: JSONObject

    public var isNotification: Bool { id == nil }
}

/// Turns one input line into a `Request`, or the error to answer with.
///
/// Rules (JSON-RPC 2.0): an object with `"jsonrpc": "2.0"`, a string `method`, optional `params`
/// (an object; by-position arrays are not used by this protocol), optional `id` (a string, null, or
/// a whole number in Int64's range written without fraction or exponent: the answer echoes it byte
/// for byte). A numeric id past that (`1e400`, `12345678901234567890`, `1.5`) could not be echoed
/// as sent, so the request is refused with -32600 (id null) before anything runs. Batches (arrays)
/// are refused: the protocol is one object per line.
public enum RequestParser {
    /// - Parameter line: 1-based input line number, quoted in parse errors.
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) -> Result<Request, ParseFailure> {
        guard String(validating: bytes, as: UTF8.self) != nil else {
            return .failure(ParseFailure(id: nil, error: RPCError(
                RPCError.parseError, "line \(line): invalid UTF-8", data: ["line": .int(Int64(line))])))
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            return .failure(ParseFailure(id: nil, error: RPCError(
                RPCError.parseError, "line \(line): \(error.message) at byte \(error.offset + 1)",
                data: ["line": .int(Int64(line)), "byte": .int(Int64(error.offset + 1))])))
        }
        guard case .object(let object) = value else {
            let what = value.arrayValue != nil ? "batches (arrays) are not supported; send one object per line" : "expected a JSON-RPC request object, got \(value.typeName)"
            return .failure(ParseFailure(id: nil, error: RPCError(RPCError.invalidRequest, "line \(line): \(what)")))
        }
        var id: JSONValue? = nil
        if let rawID = object["id"] {
            switch rawID {
            case .string, .int, .null: id = rawID
            case .double:
                return .failure(ParseFailure(id: nil, error: RPCError(
                    RPCError.invalidRequest,
                    "line \(line): a numeric \"id\" must be a whole number in -9223372036854775808...9223372036854775807 written without fraction or exponent (send other ids as strings); the request was not run",
                    data: ["line": .int(Int64(line))])))
            default:
                return .failure(ParseFailure(id: nil, error: RPCError(
                    RPCError.invalidRequest, "line \(line): \"id\" must be a string, a number or null")))
            }
        }
        guard object["jsonrpc"] == .string("2.0") else {
            return .failure(ParseFailure(id: id, error: RPCError(
                RPCError.invalidRequest, "line \(line): \"jsonrpc\" must be \"2.0\"")))
        }
        guard let method = object["method"]?.stringValue else {
            return .failure(ParseFailure(id: id, error: RPCError(
                RPCError.invalidRequest, "line \(line): \"method\" must be a string")))
        }
        var params = JSONObject()
        if let raw = object["params"] {
            guard case .object(let object) = raw else {
                return .failure(ParseFailure(id: id, error: RPCError(
                    RPCError.invalidParams, "line \(line): \"params\" must be an object")))
            }
            params = object
        }
        return .success(Request(id: id, method: method, params: params))
    }

    public struct ParseFailure: Error, Sendable {
        public var id: JSONValue?
        public var error: RPCError
    }
}
