import JSONWire

/// How a session's events of one batch are kept as one stored record, in either backend: a JSON
/// array of `[kind, payload]`, whose first event has seq `first_seq` and which holds `count` events.
extension StoredEvent {
    /// The record text of `events`, which must have consecutive seqs.
    public static func recordText(_ events: [StoredEvent]) -> String {
        var bytes: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in events.enumerated() {
            precondition(event.seq == events[0].seq + index, "events of one record must have consecutive seqs")
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONWriter.write([.string(event.kind), event.payload], into: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the events of one record to `events`, which must already hold every earlier seq.
    ///
    /// - Throws: `StoreError` (`.damaged`) naming the session and seq when the record is not the next one (a gap)
    ///   or is damaged: a session is never rebuilt from a partial log.
    public static func appendRecord(_ text: String?, first: Int, count: Int, session: String, to events: inout [StoredEvent]) throws {
        guard first == events.count, let array = text.flatMap({ try? JSONParser.parse($0) })?.arrayValue, array.count == count
        else {
            throw StoreError(code: .damaged, message: "session \(session): events from seq \(first) are damaged or missing")
        }
        for (offset, pair) in array.enumerated() {
            guard let parts = pair.arrayValue, parts.count == 2, let kind = parts[0].stringValue else {
                throw StoreError(code: .damaged, message: "session \(session): event \(first + offset) is damaged")
            }
            events.append(StoredEvent(seq: first + offset, kind: kind, payload: parts[1]))
        }
    }
}
