import ContextEngine
import Foundation
import JSONWire
import SessionStore
import Tokenizer

/// Opening, reading, closing and rebuilding sessions.
extension EngineService {
    func open(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        if let existing = try? servedSession(id), existing.status == .active {
            throw RPCError(RPCError.sessionExists, "session \"\(id)\" is already open", data: ["session": .string(id)])
        }
        let scriptText: String
        if let text = try params.optionalString("script") {
            scriptText = text
        } else if let path = try params.optionalString("scriptFile") {
            guard let data = FileManager.default.contents(atPath: path),
                let text = String(data: data, encoding: .utf8)
            else {
                throw RPCError(RPCError.scriptUnreadable, "cannot read scriptFile \(path) as UTF-8 text",
                               data: ["scriptFile": .string(path)])
            }
            scriptText = text
        } else {
            throw RPCError(RPCError.invalidParams, "session.open: give \"script\" (text) or \"scriptFile\" (a path)",
                           data: ["param": "script"])
        }
        var configuration: JSONObject = [
            "encoding": .string(try params.optionalString("encoding") ?? options.defaultEncoding),
            "renderer": .string(try params.oneOf("renderer", Renderer.allCases.map(\.rawValue), default: "neutral")),
            "window": JSONValue(try params.optionalInt("window", min: 1) ?? SessionConfiguration.defaultWindow),
            "reserve": JSONValue(try params.optionalInt("reserve", min: 0) ?? 0),
        ]
        if let policy = params.object["policy"], policy != .null {
            do {
                configuration["policy"] = try ContextPolicy.from(parameter: policy).json
            } catch let error as ContextError {
                throw RPCError(RPCError.invalidPolicy, error.message)
            } catch {
                throw RPCError(RPCError.invalidPolicy, "\(error)")
            }
        }
        let (context, tokenizer, renderer) = try makeContext(id: id, configuration: .object(configuration), scriptText: scriptText)
        let served = ServedSession(
            context: context, renderer: renderer, business: try params.optionalString("business"),
            location: try params.optionalString("location"), user: try params.optionalString("user"),
            metadata: try params.optionalObject("metadata"), createdAt: wallNow(), lastActivity: monotonicNow())
        let snapshot = served.context.snapshot()
        _ = served.context.takeDelta()
        sessions[id] = served
        createdInBatch.insert(id)
        touch(served, id: id, at: monotonicNow())
        persistOpen(served, id: id, configuration: .object(configuration), scriptText: scriptText, encoding: tokenizer.name)
        let usage = snapshot.usage
        let policy = context.configuration.policy
        return [
            "session": .string(id),
            "status": "active",
            "encoding": .string(tokenizer.name),
            "script": ["tokens": JSONValue(context.script.tokens), "hash": .string(context.script.hashHex)],
            "policy": policy.json,
            "usage": usage.json,
            "capacity": [
                "limit": JSONValue(usage.limit), "room": JSONValue(usage.limit - usage.script),
                "overheadPerItem": JSONValue(policy.overhead(for: renderer.rawValue)),
            ],
            "hash": .string(snapshot.hash),
            "snapshot": renderer.render(snapshot),
        ]
    }

    /// A context session from a stored configuration: `{encoding, renderer, window, reserve, policy?}`.
    func makeContext(id: String, configuration: JSONValue, scriptText: String) throws(RPCError)
        -> (ContextSession, any TextTokenizer, Renderer)
    {
        let encodingName = configuration["encoding"]?.stringValue ?? options.defaultEncoding
        let tokenizer: any TextTokenizer
        do {
            tokenizer = try Tokenizers.named(encodingName)
        } catch {
            throw RPCError(RPCError.tokenizerUnavailable, "\(error)", data: ["encoding": .string(encodingName)])
        }
        let renderer = Renderer(rawValue: configuration["renderer"]?.stringValue ?? "neutral") ?? .neutral
        var sessionConfiguration = SessionConfiguration(renderer: renderer.rawValue)
        sessionConfiguration.window = configuration["window"]?.intValue ?? SessionConfiguration.defaultWindow
        sessionConfiguration.reserve = configuration["reserve"]?.intValue ?? 0
        do {
            if let policy = configuration["policy"] { sessionConfiguration.policy = try ContextPolicy(json: policy) }
            let script = scripts.script(text: scriptText, tokenizer: tokenizer)
            let context = try ContextSession(id: id, script: script, configuration: sessionConfiguration, tokenizer: tokenizer)
            return (context, tokenizer, renderer)
        } catch let error as ContextError {
            throw Self.rpcError(error, session: id)
        } catch {
            throw RPCError(RPCError.internalError, "\(error)")
        }
    }

    /// Rebuilds a stored session by replaying its logged events through a fresh engine session:
    /// the engine is deterministic, so the snapshot (and its hash) equals the one before the restart.
    func rebuild(_ id: String) throws(RPCError) -> ServedSession? {
        guard let store else { return nil }
        do {
            guard let record = try store.session(id: id) else { return nil }
            // A shared store: an active session is this engine's only once claimed (a takeover when the
            // previous engine's lease ran out or was released; refused while it is live).
            var epoch = 0
            if store.isShared && record.status == "active" {
                switch try store.claim(session: id, owner: options.ownerID, leaseSeconds: options.leaseSeconds) {
                case .owned(let claimed): epoch = claimed
                case .missing: return nil
                case .heldElsewhere(let owner, let secondsLeft):
                    throw RPCError(
                        RPCError.ownedElsewhere,
                        "session \"\(id)\" is held by engine \(owner); its lease ends in \(Int(secondsLeft.rounded(.up))) s unless renewed: retry session.resume then",
                        data: ["session": .string(id), "owner": .string(owner), "secondsLeft": .double(max(0, secondsLeft))])
                }
            }
            guard let scriptText = try store.script(hash: record.scriptHash) else {
                throw RPCError(RPCError.internalError, "session \"\(id)\": its script \(record.scriptHash) is missing from the store")
            }
            var (context, _, renderer) = try makeContext(id: id, configuration: record.configuration, scriptText: scriptText)
            let events = try store.events(session: id)
            for event in events {
                let payload = event.payload
                switch event.kind {
                case "turn":
                    _ = try context.appendTurn(
                        payload["role"]?.stringValue == "model" ? .model : .user, text: payload["text"]?.stringValue ?? "",
                        final: payload["final"]?.boolValue ?? true)
                case "instruction": _ = try context.pushInstruction(payload["text"]?.stringValue ?? "")
                case "speech": _ = try context.clientSpeechStarted()
                case "complete": _ = context.modelTurnComplete()
                case "summary": _ = try context.setSummary(payload["text"]?.stringValue)
                default: throw RPCError(RPCError.internalError, "session \"\(id)\": unknown stored event \(event.kind)")
                }
            }
            _ = context.takeDelta()
            let served = ServedSession(
                context: context, renderer: renderer, business: record.business, location: record.location,
                user: record.user, metadata: record.metadata?.objectValue, createdAt: record.createdAt,
                lastActivity: monotonicNow())
            served.status = ServedSession.Status(rawValue: record.status) ?? .active
            served.messages = record.messageCount
            served.eventCount = events.count
            served.record = record
            served.epoch = epoch
            for message in try store.messages(session: id, limit: Int.max) { served.messageSeqs[message.messageID] = message.seq }
            if let resume = try store.resume(session: id) { served.resume = resume }
            sessions[id] = served
            if served.status == .active { touch(served, id: id, at: monotonicNow()) }
            return served
        } catch let error as RPCError {
            throw error
        } catch {
            throw RPCError(RPCError.internalError, "session \"\(id)\" could not be rebuilt from the store: \(error)")
        }
    }

    func snapshot(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let session = try servedSession(id)
        if session.status == .active { touch(session, id: id, at: monotonicNow()) }
        let renderer: Renderer
        if try params.optionalString("renderer") != nil {
            renderer = Renderer(rawValue: try params.oneOf("renderer", Renderer.allCases.map(\.rawValue)))!
        } else {
            renderer = session.renderer
        }
        let snapshot = session.context.snapshot()
        return [
            "session": .string(id), "status": .string(session.status.rawValue), "usage": snapshot.usage.json,
            "hash": .string(snapshot.hash), "renderer": .string(renderer.rawValue), "snapshot": renderer.render(snapshot),
        ]
    }

    /// `session.resume`: the session as the engine holds it (rebuilt from the store after a restart),
    /// with its full snapshot, so the relay can carry on or re-seed.
    func resumeSession(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let session = try servedSession(id)
        if session.status == .abandoned {
            remember(session, id: id)
            session.status = .active
            persistStatus(session, id: id)
        }
        _ = try activeSession(id)
        touch(session, id: id, at: monotonicNow())
        let snapshot = session.context.snapshot()
        return [
            "session": .string(id), "status": .string(session.status.rawValue), "version": JSONValue(snapshot.version),
            "usage": snapshot.usage.json, "hash": .string(snapshot.hash),
            "pendingInstruction": session.context.pendingInstruction.map { .string($0.id) } ?? .null,
            "activeInstruction": session.context.activeInstructionID.map { .string($0) } ?? .null,
            "snapshot": session.renderer.render(snapshot),
        ]
    }

    func ping(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let session = try activeSession(id)
        touch(session, id: id, at: monotonicNow())
        return ["session": .string(id), "status": "active", "idleTimeoutSeconds": .double(options.idleTimeout)]
    }

    func close(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let status = ServedSession.Status(rawValue: try params.oneOf("status", ["closed", "resolved"], default: "closed"))!
        let session = try activeSession(id)
        remember(session, id: id)
        session.status = status
        activity[id] = nil
        let figures: JSONValue = [
            "durationSeconds": .double(max(0, wallNow() - session.createdAt)),
            "messages": JSONValue(session.messages), "usage": session.context.currentUsage.json,
            "summary": [
                "turns": JSONValue(session.context.snapshot().items.filter { $0.kind == .turn }.count),
                "finalHash": .string(session.context.hash),
            ],
        ]
        persistStatus(session, id: id, figures: figures)
        return ["session": .string(id), "status": .string(status.rawValue), "figures": figures]
    }
}
