import Foundation
import SessionStore
import Testing

/// The store notices when the file under its handle is no longer the file at its path, refuses the
/// batch and every later one; text with U+0000 goes in and out whole.
@Suite struct SQLiteFileIdentityTests {
    @Test func aCommitAfterTheFileWasReplacedIsRefusedAndSoIsEveryLaterBatch() throws {
        let file = try TemporaryStore()
        let store = try SQLiteSessionStore(path: file.path)
        try store.begin()
        try store.saveScript(hash: Sample.scriptHash, encoding: "o200k_base", text: "You are Ada.", tokens: 4)
        try store.createSession(Sample.record("s"))
        try store.commit()
        let copy = file.directory.appendingPathComponent("copy.db").path
        try FileManager.default.copyItem(atPath: file.path, toPath: copy)
        #expect(rename(copy, file.path) == 0)
        try store.begin()
        try store.createSession(Sample.record("t"))
        #expect { try store.commit() } throws: { ($0 as? StoreError)?.code == .fileReplaced }
        store.rollback()
        #expect(store.writeRefusal?.code == .fileReplaced)
        #expect { try store.begin() } throws: { ($0 as? StoreError)?.code == .fileReplaced }
        #expect(try store.session(id: "s") != nil)  // reads still answer from the open handle
    }

    @Test func textWithNULIsStoredWhole() throws {
        let file = try TemporaryStore()
        let store = try SQLiteSessionStore(path: file.path)
        try store.begin()
        try store.saveScript(hash: Sample.scriptHash, encoding: "o200k_base", text: "a\u{0}b", tokens: 4)
        try store.createSession(Sample.record("x\u{0}y"))
        try store.createSession(Sample.record("x"))
        try store.upsertMessage(Sample.message("x\u{0}y", seq: 0, content: "one\u{0}two"))
        try store.upsertMessage(Sample.message("x", seq: 0, content: ""))
        try store.commit()
        #expect(try store.script(hash: Sample.scriptHash) == "a\u{0}b")
        #expect(try store.session(id: "x\u{0}y")?.id == "x\u{0}y")
        #expect(try store.messages(session: "x\u{0}y", limit: 10).map(\.content) == ["one\u{0}two"])
        #expect(try store.messages(session: "x", limit: 10).map(\.content) == [""])  // empty text, not NULL
    }
}
