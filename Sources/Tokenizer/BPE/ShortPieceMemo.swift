import CXXHash
import Foundation

/// The tokens of recently seen short pieces, with the piece's bytes and up to three tokens held in
/// the slot itself: a hit is one 32-byte load and two integer compares.
///
/// On the corpus 86 % of o200k pieces are at most 16 bytes and 91 % repeat; without this memo every
/// piece paid an XXH3 call, a probe of the 8 MiB rank slots, a read of the offsets, a `memcmp` into
/// the 1.5 MB token bytes and, for multi-token pieces, the same again in `PieceCache` — four
/// dependent cache misses where a memo hit has one.
///
/// Two-way set associative with LRU: a set is one 64-byte cache line of two slots; a new piece
/// goes into the first slot and pushes the previous occupant into the second, a hit in the second
/// swaps the two, so a frequent piece survives rare pieces passing through its set. (Direct-mapped,
/// the 20.8k distinct pieces of en.txt collided in ~half of their slots and the memo missed often
/// enough that `memcmp` in the general path was 8 % of the time; the LRU swap took 6 % off the
/// corpus, 77.2 → 72.7 ms.) Nothing is ever cleared. The key is the piece's bytes read as two
/// words plus its length (exact, never a hash), so a hit cannot return another piece's tokens.
struct ShortPieceMemo: ~Copyable {
    /// Pieces longer than this take the general path.
    static let maxPieceBytes = 16
    /// Tokens held in the slot; a piece with more has only its count here (its tokens are in
    /// `PieceCache`): enough for count, one more lookup for encode.
    static let maxTokens = 3
    /// 2^16 sets × 64 bytes = 4 MiB, all written when an encoder is made (`MemoSeed`; unseeded,
    /// only the lines in use are touched), of which the lines in use are cached (en.txt's 20.8k
    /// distinct pieces: ~1.2 MiB whatever the set count). Misses per warm pass over en.txt: 9.1k
    /// with 2^14 sets, 3.3k with 2^15; 2^16 took another 3 % off the corpus (72.7 → 70.5 ms); 2^17
    /// with the seed: no faster (stop 32).
    private static let setBits = 16

    /// One slot is 4 words: key words 0 and 1; word 2 = length | count << 8 | token0 << 32; word 3 =
    /// tokens 1 and 2. Length 0 marks an empty slot (no piece is empty).
    private let words: UnsafeMutablePointer<UInt64>

    private static let byteCount = 64 << setBits
    /// The memo's size in words, as `MemoSeed` stores it.
    static let wordCount = byteCount / 8
    private let allocation: UnsafeMutableRawPointer

    /// An empty memo, or one holding `seed`'s slots: a 4 MiB copy (~1 ms, paid when an encoder is
    /// made), after which the memo is the encoder's own.
    init(seed: MemoSeed?) {
        // Unseeded, zeroed: a new encoder that tokenizes one turn faults in a few pages, not 4 MiB
        // (memory malloc reuses is zeroed by calloc itself). Seeded, the copy writes every page.
        (allocation, words) = CacheLineWords.allocate(ShortPieceMemo.wordCount, zeroed: seed == nil, for: "the piece memo")
        if let seed { words.update(from: seed.words, count: ShortPieceMemo.wordCount) }
    }

    /// Copies the memo's `wordCount` words to `destination` (`MemoSeed`'s build).
    func copyWords(to destination: UnsafeMutablePointer<UInt64>) {
        destination.update(from: words, count: ShortPieceMemo.wordCount)
    }

    deinit { free(allocation) }

    /// The piece's bytes as two words; with the length, an exact key. Reads stay inside the piece.
    ///
    /// - Precondition: `1 ... maxPieceBytes` bytes.
    @inline(__always)
    static func key(_ piece: UnsafeRawBufferPointer) -> (UInt64, UInt64) {
        let base = piece.baseAddress!, count = piece.count
        if count >= 8 {
            // Overlapping loads (bytes 0..<8 and count-8..<count): both words together with the
            // length determine every byte.
            return (base.loadUnaligned(as: UInt64.self), base.loadUnaligned(fromByteOffset: count &- 8, as: UInt64.self))
        }
        if count >= 4 {
            let low = UInt64(base.loadUnaligned(as: UInt32.self))
            let high = UInt64(base.loadUnaligned(fromByteOffset: count &- 4, as: UInt32.self))
            return (low | high << 32, 0)
        }
        let bytes = base.assumingMemoryBound(to: UInt8.self)
        return (UInt64(bytes[0]) | UInt64(bytes[count >> 1]) << 8 | UInt64(bytes[count &- 1]) << 16, 0)
    }

    /// The set a key and length fall in (its first word is at 8 × the set).
    @inline(__always)
    static func set(of key: (UInt64, UInt64), count: Int) -> Int {
        let mixed = (key.0 ^ (key.1 &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(truncatingIfNeeded: count)) &* 0xBF58_476D_1CE4_E5B9
        return Int(truncatingIfNeeded: mixed >> (64 - UInt64(ShortPieceMemo.setBits)))
    }

    @inline(__always)
    private func set(_ key: (UInt64, UInt64), _ count: Int) -> UnsafeMutablePointer<UInt64> {
        words + ShortPieceMemo.set(of: key, count: count) << 3
    }

    /// Asks the memory system for the set of this key and length (a hint: no fault, no wait).
    @inline(__always)
    func prefetch(_ key: (UInt64, UInt64), count: Int) {
        tb_prefetch(UnsafeRawPointer(set(key, count)))
    }

    /// The slot holding the piece with this key and length, or nil.
    @inline(__always)
    func lookup(_ key: (UInt64, UInt64), count: Int) -> UnsafeMutablePointer<UInt64>? {
        let first = set(key, count)
        if first[0] == key.0, first[1] == key.1, Int(truncatingIfNeeded: first[2] & 0xFF) == count { return first }
        let second = first + 4
        if second[0] == key.0, second[1] == key.1, Int(truncatingIfNeeded: second[2] & 0xFF) == count {
            // Least recently used goes second: swap, so the next new piece evicts the other one.
            let (a, b, c, d) = (second[0], second[1], second[2], second[3])
            ShortPieceMemo.moveSlot(from: first, to: second)
            first[0] = a
            first[1] = b
            first[2] = c
            first[3] = d
            return first
        }
        return nil
    }

    /// A slot's 4 words, moved as 4 loads and stores: `update(from:count:)` was a `memmove` call
    /// (17.8k of them on cold held-out text, 17 files, callgrind).
    @inline(__always)
    private static func moveSlot(from source: UnsafeMutablePointer<UInt64>, to destination: UnsafeMutablePointer<UInt64>) {
        let (a, b, c, d) = (source[0], source[1], source[2], source[3])
        destination[0] = a
        destination[1] = b
        destination[2] = c
        destination[3] = d
    }

    /// The number of tokens a slot from `lookup` holds.
    @inline(__always)
    static func tokenCount(_ slot: UnsafeMutablePointer<UInt64>) -> Int { Int(truncatingIfNeeded: (slot[2] >> 8) & 0xFF) }

    /// Appends the tokens a slot from `lookup` holds to `output`.
    @inline(__always)
    static func appendTokens(_ slot: UnsafeMutablePointer<UInt64>, to output: inout [Rank]) {
        output.append(Rank(truncatingIfNeeded: slot[2] >> 32))
        let count = tokenCount(slot)
        if count > 1 { output.append(Rank(truncatingIfNeeded: slot[3])) }
        if count > 2 { output.append(Rank(truncatingIfNeeded: slot[3] >> 32)) }
    }

    /// Remembers a piece that is one token (most pieces unseen text brings), without a buffer.
    @inline(__always)
    func insert(_ key: (UInt64, UInt64), count: Int, token: Rank) {
        store(key, count, tokenCount: 1, first: token, rest: 0)
    }

    /// Remembers `tokens` for the piece with this key and length: their count, and the tokens
    /// themselves when there are at most `maxTokens`.
    @inline(__always)
    func insert(_ key: (UInt64, UInt64), count: Int, tokens: UnsafeBufferPointer<Rank>) {
        let rest = (tokens.count > 1 ? UInt64(tokens[1]) : 0) | (tokens.count > 2 ? UInt64(tokens[2]) << 32 : 0)
        store(key, count, tokenCount: tokens.count, first: tokens[0], rest: rest)
    }

    /// Writes a slot at the front of the key's set; the one there moves second, the second is evicted.
    @inline(__always)
    private func store(_ key: (UInt64, UInt64), _ count: Int, tokenCount: Int, first: Rank, rest: UInt64) {
        let slot = set(key, count)
        ShortPieceMemo.moveSlot(from: slot, to: slot + 4)
        slot[0] = key.0
        slot[1] = key.1
        slot[2] = UInt64(truncatingIfNeeded: count) | UInt64(truncatingIfNeeded: tokenCount) << 8 | UInt64(first) << 32
        slot[3] = rest
    }
}
