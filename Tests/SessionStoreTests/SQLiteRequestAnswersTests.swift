import Foundation
import SessionStore
import Testing

/// `saveRequest` keeps a session's last `keep` answers, deleting older ones, and a batch skips a
/// DELETE that could delete nothing new (`ForgottenRequests`). Oracle: the rows read back.
@Suite struct SQLiteRequestAnswersTests {
    static func answer(_ seq: Int) -> StoredRequest { StoredRequest(requestID: "r\(seq)", seq: seq, answer: "{\"n\":\(seq)}") }

    /// A batch of 40 keyed requests keeps all 40 (keep grows with the batch); the next batch of one
    /// keeps the last 16.
    @Test func theLastKeepAnswersStay() throws {
        let folder = try TemporaryStore()
        let store = try Sample.store(at: folder.path)
        try store.begin()
        for seq in 0 ..< 40 { try store.saveRequest(session: "s1", Self.answer(seq), keep: max(16, seq + 1)) }
        try store.commit()
        #expect(try store.requests(session: "s1").map(\.seq) == Array(0 ..< 40))
        try store.begin()
        try store.saveRequest(session: "s1", Self.answer(40), keep: 16)
        try store.commit()
        #expect(try store.requests(session: "s1").map(\.seq) == Array(25 ... 40))
    }

    /// A rolled-back batch's deletes come back with it: the next batch deletes them again, though it
    /// asks to delete up to the same seq.
    @Test func aRolledBackDeleteIsDoneAgain() throws {
        let folder = try TemporaryStore()
        let store = try Sample.store(at: folder.path)
        try store.begin()
        for seq in 0 ..< 20 { try store.saveRequest(session: "s1", Self.answer(seq), keep: 20) }
        try store.commit()
        try store.begin()
        try store.saveRequest(session: "s1", Self.answer(20), keep: 16)
        store.rollback()
        try store.begin()
        try store.saveRequest(session: "s1", Self.answer(20), keep: 16)
        try store.commit()
        #expect(try store.requests(session: "s1").map(\.seq) == Array(5 ... 20))
    }

    @Test func forgettingTheSameBoundTwiceIsSkipped() {
        var forgotten = ForgottenRequests()
        let answers = [
            forgotten.forget("a", through: 4), forgotten.forget("a", through: 4), forgotten.forget("a", through: 3),
            forgotten.forget("a", through: 5), forgotten.forget("b", through: 0),
        ]
        #expect(answers == [true, false, false, true, true])
        forgotten.removeAll()
        let afterReset = forgotten.forget("a", through: 5)
        #expect(afterReset)
    }
}
