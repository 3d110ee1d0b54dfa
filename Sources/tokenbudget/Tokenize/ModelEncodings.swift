/// Model names to encodings, as tiktoken's `encoding_for_model` (exact names, then prefixes), plus the
/// Gemini Live families (docs/providers.md): 2.5 → Gemma 3, 3.x → Gemma 4.
enum ModelEncodings {
    /// Longest prefixes first, as tiktoken's `MODEL_PREFIX_TO_ENCODING`.
    static let prefixes: [(prefix: String, encoding: String)] = [
        ("gpt-4o-realtime", "o200k_base"), ("gpt-4o-mini-realtime", "o200k_base"), ("gpt-realtime", "o200k_base"),
        ("gpt-4o", "o200k_base"), ("gpt-4.1", "o200k_base"), ("gpt-4.5", "o200k_base"), ("gpt-5", "o200k_base"),
        ("o1", "o200k_base"), ("o3", "o200k_base"), ("o4-mini", "o200k_base"), ("chatgpt-4o", "o200k_base"),
        ("gpt-oss", "o200k_base"), ("gpt-4", "cl100k_base"), ("gpt-3.5-turbo", "cl100k_base"), ("gpt-35-turbo", "cl100k_base"),
        ("text-embedding-3", "cl100k_base"), ("text-embedding-ada-002", "cl100k_base"),
        ("gemini-live-2.5", "gemma3"), ("gemini-2.5", "gemma3"), ("gemini-3", "gemma4"),
    ]

    /// - Throws: `CLIError` listing the known prefixes for an unknown model.
    static func encoding(forModel model: String) throws -> String {
        let ordered = prefixes.sorted { $0.prefix.count > $1.prefix.count }
        if let match = ordered.first(where: { model.hasPrefix($0.prefix) }) { return match.encoding }
        throw CLIError(
            "no encoding known for model \"\(model)\"; known prefixes: " + prefixes.map(\.prefix).joined(separator: ", ")
                + " (or give --encoding)")
    }
}
