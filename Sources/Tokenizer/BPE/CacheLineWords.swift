import Foundation

/// Words aligned to a 64-byte cache line, for the tables whose lookups read one line
/// (`ShortPieceMemo`, `MemoSeed`, `ShortTokenTable`): 64 bytes more are allocated and the start
/// rounded up; `free` the allocation.
enum CacheLineWords {
    /// `zeroed`: calloc, whose fresh pages come zeroed without being touched (a table that fills
    /// as it is used faults in only the pages it uses); otherwise malloc, for memory the caller
    /// writes whole at once. `what` names the table in the fatal error when memory runs out.
    static func allocate(_ count: Int, zeroed: Bool, for what: String) -> (allocation: UnsafeMutableRawPointer, words: UnsafeMutablePointer<UInt64>) {
        let size = count * 8 + 64
        guard let allocation = zeroed ? calloc(size, 1) : malloc(size) else {
            fatalError("cannot allocate \(count * 8) bytes for \(what)")
        }
        let aligned = UnsafeMutableRawPointer(bitPattern: (Int(bitPattern: allocation) + 63) & ~63)!
        return (allocation, aligned.bindMemory(to: UInt64.self, capacity: count))
    }
}
