import ContextEngine
import JSONWire

/// Direct UTF-8 encodings of the values every event response carries, written without building a
/// `JSONValue` tree first: building and freeing that tree was ~25 % of `serve`'s time per event.
/// Each writes exactly what `JSONWriter.write(x.json)` writes (checked by `WireBytesTests`).
extension ContextItem {
    public func writeJSON(into output: inout [UInt8]) {
        output.append(contentsOf: #"{"id":"#.utf8)
        JSONWriter.writeString(id, into: &output)
        output.append(contentsOf: #","kind":""#.utf8)
        output.append(contentsOf: kind.rawValue.utf8)
        output.append(contentsOf: #"","role":""#.utf8)
        output.append(contentsOf: role.rawValue.utf8)
        output.append(contentsOf: #"","text":"#.utf8)
        JSONWriter.writeString(text, into: &output)
        output.append(contentsOf: #","tokens":"#.utf8)
        JSONWriter.writeInteger(Int64(tokens), into: &output)
        output.append(contentsOf: (final ? #","final":true}"# : #","final":false}"#).utf8)
    }
}

extension Usage {
    public func writeJSON(into output: inout [UInt8]) {
        let fields: [(StaticString, Int)] = [
            (#"{"window":"#, window), (#","reserve":"#, reserve), (#","limit":"#, limit), (#","script":"#, script),
            (#","summary":"#, summary), (#","history":"#, history), (#","instruction":"#, instruction),
            (#","total":"#, total), (#","free":"#, free), (#","items":"#, items),
        ]
        for (key, value) in fields {
            output.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
            JSONWriter.writeInteger(Int64(value), into: &output)
        }
        output.append(UInt8(ascii: "}"))
    }
}

extension Delta {
    public func writeJSON(into output: inout [UInt8]) {
        output.append(contentsOf: #"{"added":["#.utf8)
        for (index, item) in added.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            item.writeJSON(into: &output)
        }
        output.append(contentsOf: #"],"updated":["#.utf8)
        for (index, item) in updated.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            output.append(contentsOf: #"{"id":"#.utf8)
            JSONWriter.writeString(item.id, into: &output)
            output.append(contentsOf: #","kind":""#.utf8)
            output.append(contentsOf: item.kind.rawValue.utf8)
            output.append(contentsOf: #"","role":""#.utf8)
            output.append(contentsOf: item.role.rawValue.utf8)
            output.append(contentsOf: #"","appended":"#.utf8)
            JSONWriter.writeString(appended(index), into: &output)
            output.append(contentsOf: #","tokens":"#.utf8)
            JSONWriter.writeInteger(Int64(item.tokens), into: &output)
            output.append(contentsOf: (item.final ? #","final":true}"# : #","final":false}"#).utf8)
        }
        output.append(contentsOf: #"],"removed":["#.utf8)
        for (index, id) in removed.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(id, into: &output)
        }
        output.append(contentsOf: "]}".utf8)
    }
}
