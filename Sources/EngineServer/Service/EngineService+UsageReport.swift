import ContextEngine
import Foundation
import JSONWire

/// `usage.report`: what the provider reported for its last response, against the ledger.
extension EngineService {
    /// `usage.report {session, usageMetadata | usage | inputTokens (+ audioTokens)}`: what the provider
    /// reported for its last response (Gemini `usageMetadata.promptTokenCount`, OpenAI `response.done`'s
    /// `usage.input_tokens`), and how much of it was audio when the report says (Gemini
    /// `promptTokensDetails`, OpenAI `input_token_details.audio_tokens`), against the ledger: the drift
    /// in tokens and percent; the policy may calibrate from it, and a drift past its threshold is also
    /// sent as a `provider.drift` notification.
    func usageReport(_ params: Params) throws(RPCError) -> Reply {
        let id = try params.string("session")
        let reported: Int
        var audio: Int?
        if params.object["audioTokens"].map({ $0 != .null }) == true, params.object["inputTokens"].map({ $0 != .null }) != true {
            throw RPCError(RPCError.invalidParams,
                           "usage.report: audioTokens goes with inputTokens; a provider's usage says its audio part itself",
                           data: ["param": "audioTokens"])
        }
        if let gemini = try params.optionalObject("usageMetadata") {
            reported = try Self.reportedCount(gemini, "promptTokenCount", in: "usageMetadata")
            audio = try Self.geminiAudioTokens(gemini["promptTokensDetails"], of: reported)
        } else if let openAI = try params.optionalObject("usage") {
            reported = try Self.reportedCount(openAI, "input_tokens", in: "usage")
            audio = try Self.openAIAudioTokens(openAI["input_token_details"], of: reported)
        } else if let count = try params.optionalInt("inputTokens", min: 0, max: Bounds.maxReportedTokens) {
            reported = count
            audio = try params.optionalInt("audioTokens", min: 0, max: count)
        } else {
            throw RPCError(RPCError.invalidParams, "usage.report: give usageMetadata (Gemini), usage (OpenAI) or inputTokens",
                           data: ["param": "usageMetadata"])
        }
        let session = try activeSession(id)
        guard session.context.provider != nil else {
            throw RPCError(RPCError.invalidParams, "usage.report: session \"\(id)\" was opened without a provider",
                           data: ["param": "session", "session": .string(id)])
        }
        var notification: JSONValue?
        let reply = try change(params, .usageReported(inputTokens: reported, audioTokens: audio), metadata: nil) { outcome in
            guard let drift = outcome.provider?.drift else { return [:] }
            var fields: JSONObject = [
                "reported": .int(Int64(drift.reported)), "held": .int(Int64(drift.held)),
                "driftTokens": .int(Int64(drift.tokens)), "driftPercent": .double((drift.percent * 100).rounded() / 100),
                "calibrated": drift.calibrated.map { .string($0) } ?? .null,
            ]
            if let split = drift.audio { fields["audio"] = ["reported": .int(Int64(split.reported)), "held": .int(Int64(split.held))] }
            if drift.notify {
                var params = fields
                params["session"] = .string(id)
                notification = ["jsonrpc": "2.0", "method": "provider.drift", "params": .object(params)]
            }
            return ["drift": .object(fields)]
        }
        if let notification { notify(notification) }
        return reply
    }

    /// The audio part of a Gemini report: the `AUDIO` entries of `promptTokensDetails` (a list of
    /// `{modality, tokenCount}`, google-genai `ModalityTokenCount`), or nil without the list.
    static func geminiAudioTokens(_ details: JSONValue?, of total: Int) throws(RPCError) -> Int? {
        guard let details, details != .null else { return nil }
        let refusal = RPCError(
            RPCError.invalidParams,
            "usage.report: usageMetadata.promptTokensDetails must be a list of {modality, tokenCount} whose counts sum to at most promptTokenCount (\(total))",
            data: ["param": "usageMetadata"])
        guard let entries = details.arrayValue else { throw refusal }
        guard !entries.isEmpty else { return nil }  // no details: the total alone
        var audio = 0, sum = 0
        for entry in entries {
            // Proto3 JSON leaves a default out: no `modality` is MODALITY_UNSPECIFIED, no `tokenCount` 0.
            guard case .object(let object) = entry else { throw refusal }
            let modality: String?
            switch object["modality"] {
            case nil, .null?: modality = nil
            case let value?:
                guard let name = value.stringValue else { throw refusal }
                modality = name
            }
            let count: Int
            switch object["tokenCount"] {
            case nil, .null?: count = 0
            case let value?:
                guard let whole = value.intValue, whole >= 0, whole <= total else { throw refusal }
                count = whole
            }
            sum += count  // each ≤ total: no overflow in any list a request can carry
            if modality == "AUDIO" { audio += count }
        }
        guard sum <= total else { throw refusal }
        return audio
    }

    /// A provider's count of the report's input tokens, `key` of its usage object `param`.
    static func reportedCount(_ usage: JSONObject, _ key: String, in param: String) throws(RPCError) -> Int {
        guard let count = usage[key]?.intValue, count >= 0, count <= Bounds.maxReportedTokens else {
            throw RPCError(RPCError.invalidParams,
                           "usage.report: \(param) needs a whole number \(key) in 0...\(Bounds.maxReportedTokens)",
                           data: ["param": .string(param)])
        }
        return count
    }

    /// The audio part of an OpenAI report: `input_token_details.audio_tokens`, or nil without it.
    static func openAIAudioTokens(_ details: JSONValue?, of total: Int) throws(RPCError) -> Int? {
        guard let details, details != .null else { return nil }
        guard case .object(let object) = details else {
            throw RPCError(RPCError.invalidParams, "usage.report: usage.input_token_details must be an object", data: ["param": "usage"])
        }
        guard let value = object["audio_tokens"], value != .null else { return nil }
        guard let tokens = value.intValue, tokens >= 0, tokens <= total else {
            throw RPCError(RPCError.invalidParams,
                           "usage.report: usage.input_token_details.audio_tokens must be a whole number in 0...input_tokens (\(total))",
                           data: ["param": "usage"])
        }
        return tokens
    }
}
