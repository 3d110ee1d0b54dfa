import ContextEngine
import JSONWire

/// The bytes of JSON-RPC answers, written directly: the hot path of a call answers one of these per
/// event, and building a `JSONValue` tree first cost ~25 % of `serve`'s time per event.
enum ResponseBytes {
    /// `{"jsonrpc":"2.0","id":…,"result":…}`
    static func result(id: JSONValue?, _ result: RPCResult) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(448)
        bytes.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONWriter.write(id ?? .null, into: &bytes)
        bytes.append(contentsOf: #","result":"#.utf8)
        switch result {
        case .value(let value): JSONWriter.write(value, into: &bytes)
        case .encoded(let encoded): bytes.append(contentsOf: encoded)
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// `{"jsonrpc":"2.0","id":…,"error":{code, message, data?}}`
    static func error(id: JSONValue?, _ error: RPCError) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONWriter.write(id ?? .null, into: &bytes)
        bytes.append(contentsOf: #","error":"#.utf8)
        JSONWriter.write(error.json, into: &bytes)
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }

    /// The result of a state-changing event: `{session, version, usage, delta, hash, notes?,
    /// pendingInstruction?, activeInstruction?}` (docs/protocol.md).
    static func change(id: String, context: ContextSession, outcome: EventOutcome, extra: JSONObject = [:]) -> [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(384)
        bytes.append(contentsOf: #"{"session":"#.utf8)
        JSONWriter.writeString(id, into: &bytes)
        bytes.append(contentsOf: #","version":"#.utf8)
        JSONWriter.writeInteger(Int64(context.version), into: &bytes)
        bytes.append(contentsOf: #","usage":"#.utf8)
        outcome.usage.writeJSON(into: &bytes)
        bytes.append(contentsOf: #","delta":"#.utf8)
        outcome.delta.writeJSON(into: &bytes)
        bytes.append(contentsOf: #","hash":""#.utf8)
        bytes.append(contentsOf: outcome.hash.utf8)
        bytes.append(UInt8(ascii: "\""))
        if !outcome.notes.isEmpty {
            bytes.append(contentsOf: #","notes":"#.utf8)
            JSONWriter.write(.array(outcome.notes.map(\.json)), into: &bytes)
        }
        if let pending = context.pendingInstruction {
            bytes.append(contentsOf: #","pendingInstruction":"#.utf8)
            JSONWriter.writeString(pending.id, into: &bytes)
        }
        if let active = context.activeInstructionID {
            bytes.append(contentsOf: #","activeInstruction":"#.utf8)
            JSONWriter.writeString(active, into: &bytes)
        }
        if let provider = outcome.provider {
            bytes.append(contentsOf: #","provider":"#.utf8)
            JSONWriter.write(provider.ledgerJSON, into: &bytes)
            bytes.append(contentsOf: #","send":"#.utf8)
            JSONWriter.write(.array(provider.send), into: &bytes)
            if let reseed = provider.reseed {
                bytes.append(contentsOf: #","reseed":"#.utf8)
                JSONWriter.write(reseed.json, into: &bytes)
            }
        }
        for (key, value) in extra.members {
            bytes.append(UInt8(ascii: ","))
            JSONWriter.writeString(key, into: &bytes)
            bytes.append(UInt8(ascii: ":"))
            JSONWriter.write(value, into: &bytes)
        }
        bytes.append(UInt8(ascii: "}"))
        return bytes
    }
}
