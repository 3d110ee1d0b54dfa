import ContextEngine
import Foundation
import JSONWire
import SessionStore
import Tokenizer

/// Opening, reading and closing sessions (rebuilding them is `SessionRegistry.rebuild`).
extension EngineService {
    func open(_ params: Params) throws(RPCError) -> Reply {
        let id = try params.string("session")
        try refuseReuse(of: id)
        let scriptText: String
        // One or the other: with both, `scriptFile` was ignored unread (even a number was taken).
        if params.object["script"].map({ $0 != .null }) == true, params.object["scriptFile"].map({ $0 != .null }) == true {
            throw RPCError(RPCError.invalidParams, "session.open: give \"script\" or \"scriptFile\", not both",
                           data: ["param": "scriptFile"])
        }
        if let text = try params.optionalString("script") {
            scriptText = text
        } else if let path = try params.optionalString("scriptFile") {
            scriptText = try options.scriptFolders.read(path)
        } else {
            throw RPCError(RPCError.invalidParams, "session.open: give \"script\" (text) or \"scriptFile\" (a path)",
                           data: ["param": "script"])
        }
        let profile = try providerProfile(params)
        let defaultRenderer = profile.map { $0.kind == .geminiLive ? "gemini" : "openai" } ?? "neutral"
        var configuration: JSONObject = [
            "encoding": .string(try params.optionalString("encoding") ?? profile?.encoding ?? options.defaultEncoding),
            "renderer": .string(try params.oneOf("renderer", Renderer.allCases.map(\.rawValue), default: defaultRenderer)),
            "window": JSONValue(
                try params.optionalInt("window", min: 1, max: Bounds.maxWindow) ?? profile?.window ?? SessionConfiguration.defaultWindow),
            "reserve": JSONValue(try params.optionalInt("reserve", min: 0, max: Bounds.maxWindow - 1) ?? profile?.reserve ?? 0),
        ]
        var parsing = "policy"  // which parameter an error below is about
        var providerPolicy = ProviderPolicy()
        do {
            var policy: ContextPolicy?
            if let value = params.object["policy"], value != .null { policy = try ContextPolicy.from(parameter: value) }
            // The profile's framing per item, unless the policy names its own.
            if let profile, params.object["policy"]?["overheadPerItem"] == nil {
                policy = policy ?? .stripAfterResponse
                policy?.overheadPerItem = ["*": profile.overheadPerItem]
            }
            if let policy { configuration["policy"] = policy.json }
            if let profile {
                configuration["provider"] = .string(profile.kind.rawValue)
                configuration["model"] = .string(profile.model)
                if let value = params.object["providerPolicy"], value != .null {
                    parsing = "providerPolicy"
                    providerPolicy = try ProviderPolicy(json: value)
                    if let setup = providerPolicy.setup { try ProviderSetup.check(setup, for: profile.kind) }
                    configuration["providerPolicy"] = providerPolicy.json
                }
                // Stored with the session: one stored before a default existed rebuilds without it.
                let opening = providerPolicy.opening(profile)
                if opening != providerPolicy {
                    providerPolicy = opening
                    configuration["providerPolicy"] = opening.json
                }
            } else if params.object["providerPolicy"].map({ $0 != .null }) == true {
                throw RPCError(RPCError.invalidParams,
                               "session.open: \"providerPolicy\" needs a \"provider\" (gemini-live or openai-realtime); a session without one has no provider ledger",
                               data: ["param": "providerPolicy"])
            }
        } catch let error as RPCError {
            throw error
        } catch let error as ContextError {
            // Always the parameter; the key too when the error names one (a value out of range).
            var data: JSONObject = ["param": .string(parsing)]
            if let key = error.field { data["key"] = .string(key) }
            throw RPCError(RPCError.invalidPolicy, error.message, data: .object(data))
        } catch {
            throw RPCError(RPCError.invalidPolicy, "\(error)", data: ["param": .string(parsing)])
        }
        if let profile, let window = configuration["window"]?.intValue, let reserve = configuration["reserve"]?.intValue {
            // What a budget may keep: no more than the provider holds (an OpenAI call with window
            // 100,000 held 40,081 of its 28,224 with no delete, re-seed or note; audit), and where
            // re-seeds are planned (no deletes), no more than the threshold, for a seed holds up to
            // window − reserve and one over it was planned again at once (Gemini, window 32,000,
            // reserve 0: 214 plans in 400 exchanges, 32,034 held of 32,000; re-audit).
            let reseeds = !profile.canDelete && providerPolicy.planReseeds
            let most = reseeds ? min(1, providerPolicy.reseedAt) * Double(profile.heldLimit) : Double(profile.heldLimit)
            if Double(window - reserve) > most {
                let bound = reseeds && providerPolicy.reseedAt < 1
                    ? "the re-seed threshold \(Int(most)) (reseedAt \(providerPolicy.reseedAt) of \(profile.heldLimit)): every seed "
                        + "would be planned again at once"
                    : "what \(profile.kind.rawValue) \(profile.model) holds (\(profile.heldLimit))"
                let param = params.object["window"].map { $0 != .null } == true ? "window" : "reserve"
                throw RPCError(
                    RPCError.invalidParams,
                    "session.open: window − reserve is \(window - reserve) (window \(window), reserve \(reserve)), more than "
                        + bound + "; give a window of at most \(Int(most) + reserve) with this reserve",
                    data: ["param": .string(param)])
            }
        }
        let (context, tokenizer, renderer) = try registry.makeContext(
            id: id, configuration: .object(configuration), scriptText: scriptText)
        let served = ServedSession(
            context: context, renderer: renderer, business: try params.optionalString("business"),
            location: try params.optionalString("location"), user: try params.optionalString("user"),
            metadata: try params.optionalObject("metadata"), createdAt: wallNow(), lastActivity: monotonicNow())
        let snapshot = served.context.snapshot()
        _ = served.context.takeDelta()
        try persistOpen(served, id: id, configuration: .object(configuration), scriptText: scriptText, encoding: tokenizer.name)
        registry.add(served, id: id, at: monotonicNow())
        let usage = snapshot.usage
        let policy = context.configuration.policy
        var result: JSONObject = [
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
        if let opening = served.context.providerOpening, let profile {
            result["provider"] = [
                "name": .string(profile.kind.rawValue), "model": .string(profile.model),
                "held": .int(Int64(opening.held)), "stale": .int(Int64(opening.stale)), "limit": .int(Int64(opening.limit)),
            ]
            result["send"] = .array(opening.send)
        }
        return .changed(.object(result))
    }

    /// The profile `provider` and `model` name (`provider: "none"` or absent: no provider).
    func providerProfile(_ params: Params) throws(RPCError) -> ProviderProfile? {
        let names = ProviderKind.allCases.map(\.rawValue) + ["none"]
        let name = try params.oneOf("provider", names, default: "none")
        let model = try params.optionalString("model")
        guard let kind = ProviderKind(rawValue: name) else {
            if model != nil {
                throw RPCError(RPCError.invalidParams, "session.open: \"model\" needs a \"provider\" (gemini-live or openai-realtime)",
                               data: ["param": "model"])
            }
            return nil
        }
        do {
            return try ProviderProfile.named(kind, model: model)
        } catch {
            throw RPCError(RPCError.invalidParams, "session.open: \(error)", data: ["param": "model"])
        }
    }

    /// An id names one conversation, for good: opening an id that is open (here, or in a shared store
    /// on another engine) or that a conversation already used is refused, and the old conversation
    /// stays readable (`session.get`, `session.messages`). The same with every store, and without one.
    func refuseReuse(of id: String) throws(RPCError) {
        var status = registry[id]?.status.rawValue ?? registry.tombstone(id)?.rawValue
        if status == nil, let store {
            let record: SessionRecord?
            do { record = try store.session(id: id) } catch {
                throw RPCError(RPCError.storeUnavailable, "the store could not answer: \(error)", data: ["session": .string(id)])
            }
            // An active session of another engine answers -32013 from the claim in its rebuild.
            if record?.status == "active" { _ = try servedSession(id) }
            status = record?.status
        }
        guard let status else { return }
        if status == "active" {
            throw RPCError(RPCError.sessionExists, "session \"\(id)\" is already open; session.resume carries it on",
                           data: ["session": .string(id), "status": .string(status)])
        }
        throw RPCError(
            RPCError.sessionExists,
            "session \"\(id)\" was a conversation that is now \(status); an id names one conversation and is never reused (session.get and session.messages still read it): open a new id",
            data: ["session": .string(id), "status": .string(status)])
    }

    func snapshot(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let session = try servedSession(id)
        if session.status == .active { registry.touch(session, id: id, at: monotonicNow()) }
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
    func resumeSession(_ params: Params) throws(RPCError) -> Reply {
        let id = try params.string("session")
        let session = try servedSession(id)
        let revived = session.status == .abandoned
        if revived {
            unit.touch(session, id: id)
            session.status = .active
            persistStatus(session, id: id)
            registry.add(session, id: id, at: monotonicNow())
        }
        _ = try activeSession(id)
        registry.touch(session, id: id, at: monotonicNow())
        let snapshot = session.context.snapshot()
        return Reply(result: .value([
            "session": .string(id), "status": .string(session.status.rawValue), "version": JSONValue(snapshot.version),
            "usage": snapshot.usage.json, "hash": .string(snapshot.hash),
            "pendingInstruction": session.context.pendingInstruction.map { .string($0.id) } ?? .null,
            "activeInstruction": session.context.activeInstructionID.map { .string($0) } ?? .null,
            "snapshot": session.renderer.render(snapshot),
        ]), changed: revived)
    }

    func ping(_ params: Params) throws(RPCError) -> JSONValue {
        let id = try params.string("session")
        let session = try activeSession(id)
        registry.touch(session, id: id, at: monotonicNow())
        return ["session": .string(id), "status": "active", "idleTimeoutSeconds": .double(options.idleTimeout)]
    }

    func close(_ params: Params) throws(RPCError) -> Reply {
        let id = try params.string("session")
        let status = ServedSession.Status(rawValue: try params.oneOf("status", ["closed", "resolved"], default: "closed"))!
        let session = try activeSession(id)
        unit.touch(session, id: id)
        session.status = status
        let figures: JSONValue = [
            "durationSeconds": .double(max(0, wallNow() - session.createdAt)),
            "messages": JSONValue(session.messages), "usage": session.context.currentUsage.json,
            "summary": [
                "turns": JSONValue(session.context.snapshot().items.filter { $0.kind == .turn }.count),
                "finalHash": .string(session.context.hash),
            ],
        ]
        persistStatus(session, id: id, figures: figures)
        registry.ended(id, status: status)
        return .changed(["session": .string(id), "status": .string(status.rawValue), "figures": figures])
    }
}
