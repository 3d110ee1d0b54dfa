/// A session id as the key of the engine's tables: equal when its UTF-8 bytes are equal.
///
/// Swift's `String ==` (and its hashing) is canonical equivalence: `"caf\u{E9}"` (composed) and
/// `"cafe\u{301}"` (decomposed) are one key in a `[String: _]`, while every store compares ids as
/// bytes. A registry keyed by `String` made them one session in memory and two in the store, and the
/// second one's writes (its events and messages under an id the store did not have) failed every
/// write of the batch. An id is a name the relay chose, not text to normalize: the engine keys it by
/// its bytes, in memory as in the store, so those are two sessions everywhere (docs/protocol.md).
///
/// - Complexity: hashing and `==` are O(bytes), no normalization (ASCII ids cost as before).
struct SessionKey: Hashable {
    let id: String

    init(_ id: String) { self.id = id }

    static func == (lhs: SessionKey, rhs: SessionKey) -> Bool {
        lhs.id.utf8.count == rhs.id.utf8.count && lhs.id.utf8.elementsEqual(rhs.id.utf8)
    }

    func hash(into hasher: inout Hasher) {
        var id = id
        id.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Byte order, for deterministic listings (`String <` would tie equivalent ids).
    static func ordered(_ lhs: String, _ rhs: String) -> Bool { lhs.utf8.lexicographicallyPrecedes(rhs.utf8) }
}
