/// What the context engine needs from a tokenizer: exact counts, ids, and text back from ids.
///
/// Implementations are immutable, shared by every session, and safe to call from any thread.
public protocol TextTokenizer: AnyObject, Sendable {
    /// The encoding's name, e.g. `o200k_base`.
    var name: String { get }
    /// The ids of `text`, special-token strings taken as ordinary text.
    func encodeOrdinary(_ text: String) -> [Rank]
    /// The number of tokens of `text`; equal to `encodeOrdinary(text).count`.
    func count(_ text: String) -> Int
    /// The number of tokens of `text`, or nil as soon as it is known to exceed `limit`.
    func count(_ text: String, upTo limit: Int) -> Int?
    /// The bytes of `ids`.
    func decodeBytes(_ ids: [Rank]) throws -> [UInt8]
}

extension TextTokenizer {
    /// The text of `ids`, invalid UTF-8 replaced by U+FFFD.
    public func decode(_ ids: [Rank]) throws -> String {
        String(decoding: try decodeBytes(ids), as: UTF8.self)
    }
}
