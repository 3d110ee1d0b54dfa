import Foundation
import JSONWire

/// One recorded event: `{"seq","t","type":"user"|"model"|"instruction","text"}` per line (the format
/// of `../shared/sessions/`).
public struct RecordedEvent: Sendable, Equatable {
    public enum Kind: String, Sendable { case user, model, instruction }
    public var seq: Int
    public var time: Double
    public var kind: Kind
    public var text: String
}

public struct EventLogError: Error, CustomStringConvertible {
    public var description: String
}

public enum EventLog {
    /// Parses a JSON-lines event log; a bad line is an error naming the file and line.
    public static func read(_ path: String) throws -> [RecordedEvent] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw EventLogError(description: "cannot read \(path)")
        }
        var events = [RecordedEvent]()
        for (index, line) in data.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) { continue }
            let where_ = "\(path):\(index + 1)"
            let value: JSONValue
            do {
                value = try JSONParser.parse([UInt8](line))
            } catch {
                throw EventLogError(description: "\(where_): \(error)")
            }
            guard let type = value["type"]?.stringValue, let kind = RecordedEvent.Kind(rawValue: type) else {
                throw EventLogError(description: "\(where_): \"type\" must be \"user\", \"model\" or \"instruction\"")
            }
            guard let text = value["text"]?.stringValue else {
                throw EventLogError(description: "\(where_): \"text\" must be a string")
            }
            events.append(RecordedEvent(
                seq: value["seq"]?.intValue ?? events.count, time: value["t"]?.doubleValue ?? 0, kind: kind, text: text))
        }
        return events
    }

    /// The `.jsonl` files of a directory (recursively), sorted; or the path itself when it is a file.
    public static func files(at path: String) throws -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw EventLogError(description: "no such file or directory: \(path)")
        }
        guard isDirectory.boolValue else { return [path] }
        let enumerator = FileManager.default.enumerator(atPath: path)
        var files = [String]()
        while let entry = enumerator?.nextObject() as? String {
            if entry.hasSuffix(".jsonl") { files.append((path as NSString).appendingPathComponent(entry)) }
        }
        return files.sorted()
    }
}
