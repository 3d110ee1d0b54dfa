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

    /// The event records of a session (`$1`) that hold seqs of `$2` or more, in order: by the
    /// (session, first_seq) index, whose rows before a checkpoint are skipped without being read.
    public static func selectRecords(_ dialect: SQLDialect) -> String {
        "SELECT first_seq, count, events FROM events WHERE session_id = \(dialect.parameter(1)) "
            + "AND first_seq + count > \(dialect.parameter(2)) ORDER BY first_seq"
    }

    /// Appends the events of one record with a seq of `from` or more. The records must follow each
    /// other without a gap from `from` on (the first may start before it).
    ///
    /// - Throws: `StoreError` (`.damaged`) naming the session and seq when the record is not the next one (a gap)
    ///   or is damaged: a session is never rebuilt from a partial log.
    public static func appendRecord(
        _ text: String?, first: Int, count: Int, session: String, from: Int = 0, to events: inout [StoredEvent]
    ) throws {
        let expected = events.last.map { $0.seq + 1 } ?? from
        let inPlace = events.isEmpty ? first <= expected && expected < first + count : first == expected
        guard inPlace, let array = text.flatMap({ try? JSONParser.parse($0) })?.arrayValue, array.count == count else {
            throw StoreError(code: .damaged, message: "session \(session): events from seq \(first) are damaged or missing")
        }
        for (offset, pair) in array.enumerated() where first + offset >= from {
            guard let parts = pair.arrayValue, parts.count == 2, let kind = parts[0].stringValue else {
                throw StoreError(code: .damaged, message: "session \(session): event \(first + offset) is damaged")
            }
            events.append(StoredEvent(seq: first + offset, kind: kind, payload: parts[1]))
        }
    }
}
