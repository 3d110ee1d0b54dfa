import Foundation
import SessionStore
import Testing

/// `readingConsistently`: the reads inside see the store as at the first of them, while another
/// connection writes (WAL), as an export needs when a session is revived meanwhile. Oracle: the
/// same reads outside it, which see the writes.
@Suite struct SQLiteReadTransactionTests {
    /// An abandoned session with two messages, then revived with a third by the engine between a
    /// reader's record read and its messages read.
    @Test func readsInsideSeeOneState() throws {
        let folder = try TemporaryStore()
        let engine = try Sample.store(at: folder.path)
        try engine.begin()
        for seq in [1, 2] { try engine.upsertMessage(Sample.message("s1", seq: seq)) }
        try engine.updateSession(Sample.record("s1", status: "abandoned"))
        try engine.commit()

        let reader = try SQLiteSessionStore(readingOnly: folder.path)
        let (status, seqs) = try reader.readingConsistently {
            let record = try #require(try reader.session(id: "s1"))
            try engine.begin()
            try engine.updateSession(Sample.record("s1", status: "active"))
            try engine.upsertMessage(Sample.message("s1", seq: 3))
            try engine.commit()
            return (record.status, try reader.messages(session: "s1", after: Int.min, limit: 100).map(\.seq))
        }
        #expect(status == "abandoned" && seqs == [1, 2])
        // Outside it, the next reads see the revival.
        #expect(try reader.session(id: "s1")?.status == "active")
        #expect(try reader.messages(session: "s1", after: Int.min, limit: 100).map(\.seq) == [1, 2, 3])
    }

    /// Not inside a batch: it throws, and the batch goes on.
    @Test func aReadInsideABatchIsRefused() throws {
        let folder = try TemporaryStore()
        let engine = try Sample.store(at: folder.path)
        try engine.begin()
        try engine.upsertMessage(Sample.message("s1", seq: 1))
        #expect(throws: StoreError.self) { try engine.readingConsistently { try engine.session(id: "s1") } }
        try engine.commit()
        #expect(try engine.messages(session: "s1", after: Int.min, limit: 10).map(\.seq) == [1])
    }

    /// A read that throws ends its transaction: the connection reads and writes on.
    @Test func aFailedReadEndsItsTransaction() throws {
        let folder = try TemporaryStore()
        let engine = try Sample.store(at: folder.path)
        struct Stop: Error {}
        #expect(throws: Stop.self) { try engine.readingConsistently { _ = try engine.session(id: "s1"); throw Stop() } }
        #expect(try engine.readingConsistently { try engine.session(id: "s1")?.status } == "active")
        try engine.begin()
        try engine.upsertMessage(Sample.message("s1", seq: 1))
        try engine.commit()
        #expect(try engine.messages(session: "s1", after: Int.min, limit: 10).map(\.seq) == [1])
    }
}
