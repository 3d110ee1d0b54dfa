import JSONWire

/// The protocol as data: `OpenRPCDocument.text` (docs/openrpc.json, written by scripts/make_openrpc.py),
/// parsed once. `rpc.discover` answers it, and the method table takes each method's parameter names
/// from it, so the document and the server cannot disagree about them.
enum OpenRPC {
    static let document: JSONValue = {
        // A compiled-in constant that a test parses: failing here is a build defect, not bad input.
        try! JSONParser.parse(OpenRPCDocument.text)
    }()

    /// Method name → the names of its params.
    static let params: [String: Set<String>] = {
        var params = [String: Set<String>]()
        for method in document["methods"]?.arrayValue ?? [] {
            guard let name = method["name"]?.stringValue else { continue }
            params[name] = Set((method["params"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue })
        }
        return params
    }()
}
