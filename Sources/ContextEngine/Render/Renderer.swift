import JSONWire

/// Turns a snapshot into a provider's wire shape.
///
/// - `neutral`: the snapshot itself — ordered items with id, kind, role, text, tokens.
/// - `gemini`: Gemini Live's `systemInstruction` + `turns` (`role` user|model, `parts` of text), as
///   sent in `setup` and `clientContent` on a fresh connection.
/// - `openai`: OpenAI Realtime conversation items (`session.instructions` + `conversation.item.create`
///   payloads), with our stable ids as item ids so `conversation.item.delete` can name them.
public enum Renderer: String, Sendable, CaseIterable {
    case neutral, gemini, openai

    public func render(_ snapshot: Snapshot) -> JSONValue {
        switch self {
        case .neutral: return Renderer.neutralForm(snapshot)
        case .gemini: return Renderer.geminiForm(snapshot)
        case .openai: return Renderer.openAIForm(snapshot)
        }
    }

    static func neutralForm(_ snapshot: Snapshot) -> JSONValue {
        [
            "session": .string(snapshot.session),
            "version": JSONValue(snapshot.version),
            "hash": .string(snapshot.hash),
            "usage": snapshot.usage.json,
            "items": .array(snapshot.items.map(\.json)),
        ]
    }

    static func geminiForm(_ snapshot: Snapshot) -> JSONValue {
        var system = ""
        var turns = [JSONValue]()
        for item in snapshot.items {
            switch item.kind {
            case .script: system = item.text
            case .summary, .instruction, .turn:
                let role = item.role == .model ? "model" : "user"
                turns.append(["role": .string(role), "parts": [["text": .string(item.text)]]])
            }
        }
        return [
            "systemInstruction": ["parts": [["text": .string(system)]]],
            "turns": .array(turns),
            "turnComplete": false,
            "hash": .string(snapshot.hash),
        ]
    }

    static func openAIForm(_ snapshot: Snapshot) -> JSONValue {
        var instructions = ""
        var items = [JSONValue]()
        for item in snapshot.items {
            switch item.kind {
            case .script: instructions = item.text
            case .summary, .instruction, .turn:
                let assistant = item.role == .model
                items.append([
                    "id": .string(item.id),
                    "type": "message",
                    "role": .string(assistant ? "assistant" : "user"),
                    "content": [["type": .string(assistant ? "output_text" : "input_text"), "text": .string(item.text)]],
                ])
            }
        }
        return ["instructions": .string(instructions), "items": .array(items), "hash": .string(snapshot.hash)]
    }
}

extension ContextItem {
    public var json: JSONValue {
        [
            "id": .string(id), "kind": .string(kind.rawValue), "role": .string(role.rawValue), "text": .string(text),
            "tokens": JSONValue(tokens), "final": .bool(final),
        ]
    }
}

extension Usage {
    public var json: JSONValue {
        [
            "window": JSONValue(window), "reserve": JSONValue(reserve), "limit": JSONValue(limit),
            "script": JSONValue(script), "summary": JSONValue(summary), "history": JSONValue(history),
            "instruction": JSONValue(instruction), "total": JSONValue(total), "free": JSONValue(free),
            "items": JSONValue(items),
        ]
    }
}

extension Delta {
    public var json: JSONValue {
        [
            "added": .array(added.map(\.json)),
            // An updated item carries the text appended since the previous delta, not its whole text.
            "updated": .array(updated.indices.map { index in
                let item = updated[index]
                return [
                    "id": .string(item.id), "kind": .string(item.kind.rawValue), "role": .string(item.role.rawValue),
                    "appended": .string(appended(index)), "tokens": JSONValue(item.tokens), "final": .bool(item.final),
                ]
            }),
            "removed": .array(removed.map { .string($0) }),
        ]
    }
}

extension ContextNote {
    public var json: JSONValue {
        switch self {
        case .evicted(let exchanges, let items, let tokens):
            return ["note": "evicted", "exchanges": JSONValue(exchanges), "items": JSONValue(items), "tokens": JSONValue(tokens)]
        case .instructionReplaced(let id): return ["note": "instructionReplaced", "id": .string(id)]
        case .instructionsCoalesced(let id): return ["note": "instructionsCoalesced", "id": .string(id)]
        case .instructionTruncated(let id, let from, let to):
            return ["note": "instructionTruncated", "id": .string(id), "fromTokens": JSONValue(from), "toTokens": JSONValue(to)]
        case .instructionActivated(let id): return ["note": "instructionActivated", "id": .string(id)]
        case .instructionStripped(let id): return ["note": "instructionStripped", "id": .string(id)]
        case .instructionKept(let id): return ["note": "instructionKept", "id": .string(id)]
        }
    }
}
