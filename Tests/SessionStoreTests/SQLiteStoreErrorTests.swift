import Foundation
import JSONWire
import SessionStore
import Testing

/// The SQLite store on real files: each failure comes out as a `StoreError` with the code a caller
/// switches on and a message saying what was being done.
@Suite struct SQLiteStoreErrorTests {
    @Test func aFullFileIsFullAndLosesNothingCommitted() throws {
        let file = try TemporaryStore()
        let store = try Sample.store(at: file.path, maxPageCount: 40)
        let text = String(repeating: "Solar panels pay for themselves within eight years. ", count: 40)
        var committed = 0
        var failure: StoreError?
        for batch in 0 ..< 200 {
            failure = storeError {
                try store.begin()
                try store.appendEvents(session: "s1", Sample.events(from: committed, count: 4, text: text))
                try store.commit()
            }
            if failure != nil { store.rollback(); break }
            committed += 4
            _ = batch
        }
        let error = try #require(failure)
        #expect(error.code == .full, "\(error)")
        #expect(error.message.contains("s1") || error.message.contains("committing"), "\(error)")
        #expect(error.underlying?.contains("full") == true, "\(error)")
        #expect(committed > 0)
        #expect(try store.events(session: "s1").count == committed)
    }

    @Test func aReusedSessionIdIsAConflictAndChangesNothing() throws {
        let file = try TemporaryStore()
        let store = try Sample.store(at: file.path)
        try store.begin()
        try store.appendEvents(session: "s1", Sample.events(from: 0, count: 3))
        var closed = Sample.record("s1", status: "closed")
        closed.figures = ["messages": 2]
        try store.updateSession(closed)
        try store.commit()

        try store.begin()
        let error = storeError { try store.createSession(Sample.record("s1", createdAt: 5_000)) }
        // The transaction is still usable after the refused insert.
        try store.upsertMessage(Sample.message("s1", seq: 0))
        try store.commit()
        #expect(error?.code == .conflict, "\(String(describing: error))")
        #expect(error?.message.contains("\"s1\"") == true && error?.message.contains("never reused") == true)
        #expect(try store.session(id: "s1") == closed)
        #expect(try store.events(session: "s1").count == 3)
    }

    @Test func aDamagedFileIsRefusedAndLeftAsItWas() throws {
        let file = try TemporaryStore()
        _ = try Sample.store(at: file.path)
        var bytes = try file.bytes()
        for index in 100 ..< bytes.count { bytes[index] = 0xA5 }
        try bytes.write(to: URL(fileURLWithPath: file.path))
        let error = storeError { _ = try SQLiteSessionStore(path: file.path) }
        #expect(error?.code == .damaged, "\(String(describing: error))")
        #expect(error?.message.contains(file.path) == true && error?.message.contains("not changed") == true)
        #expect(try file.bytes() == bytes)

        let garbage = Data((0 ..< 4096).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
        try garbage.write(to: URL(fileURLWithPath: file.path))
        #expect(storeError { _ = try SQLiteSessionStore(path: file.path) }?.code == .damaged)
        #expect(storeError { _ = try SQLiteSessionStore(readingOnly: file.path) }?.code == .damaged)
        #expect(try file.bytes() == garbage)
    }

    @Test func aNewerSchemaIsUnsupportedAndNamesTheMigrations() throws {
        let file = try TemporaryStore()
        _ = try Sample.store(at: file.path)
        do {
            let database = try SQLiteDatabase(path: file.path, create: false)
            try database.execute("PRAGMA user_version = \(Migration.all.count + 1)")
        }
        let before = try file.bytes()
        for open in [{ _ = try SQLiteSessionStore(path: file.path) }, { _ = try SQLiteSessionStore(readingOnly: file.path) }] {
            let error = try #require(storeError(open))
            #expect(error.code == .unsupportedVersion, "\(error)")
            let known = Migration.all.count
            #expect(error.message.contains("schema version \(known + 1)"), "\(error)")
            #expect(error.message.contains("\"\(Migration.all[known - 1].name)\"") && error.message.contains("migration \(known + 1)"),
                    "\(error)")
        }
        #expect(try file.bytes() == before)
    }

    @Test func aSecondEngineOnTheFileIsInUse() throws {
        let file = try TemporaryStore()
        let first = try SQLiteSessionStore(path: file.path)
        let error = storeError { _ = try SQLiteSessionStore(path: file.path) }
        #expect(error?.code == .inUse && error?.message.contains("in use by another tokenbudget engine") == true)
        _ = first
        #expect(storeError { _ = try SQLiteSessionStore(readingOnly: file.path + ".none") }?.code == .notFound)
    }

    @Test func aRolledBackBatchLeavesNothing() throws {
        let file = try TemporaryStore()
        let store = try SQLiteSessionStore(path: file.path)
        try store.begin()
        try store.saveScript(hash: Sample.scriptHash, encoding: "o200k_base", text: "You are Ada.", tokens: 4)
        try store.createSession(Sample.record("gone"))
        try store.appendEvents(session: "gone", Sample.events(from: 0, count: 5))
        try store.upsertMessage(Sample.message("gone", seq: 0))
        try store.saveResume(session: "gone", ResumeState(handle: "h", resumable: true, updatedAt: 1, attempts: 0))
        try store.updateProgress(Sample.record("gone"))
        store.rollback()
        #expect(try store.session(id: "gone") == nil)
        #expect(try store.events(session: "gone").isEmpty)
        #expect(try store.messages(session: "gone", limit: 10).isEmpty)
        #expect(try store.resume(session: "gone") == nil)
        #expect(try store.script(hash: Sample.scriptHash) == nil)
        #expect(try store.activeSessionIDs().isEmpty && store.statistics().isEmpty)
        // And the same id can then be created: nothing of it was stored.
        try store.begin()
        try store.saveScript(hash: Sample.scriptHash, encoding: "o200k_base", text: "You are Ada.", tokens: 4)
        try store.createSession(Sample.record("gone"))
        try store.commit()
        #expect(try store.session(id: "gone") == Sample.record("gone"))
    }

    @Test func aDamagedEventRecordIsDamagedNamingTheSession() throws {
        let file = try TemporaryStore()
        let store = try Sample.store(at: file.path)
        try store.begin()
        try store.appendEvents(session: "s1", Sample.events(from: 0, count: 2))
        try store.commit()
        do {
            let database = try SQLiteDatabase(path: file.path, create: false)
            try database.execute("UPDATE events SET events = '[[\"turn\"' WHERE session_id = 's1'")
        }
        let error = storeError { _ = try store.events(session: "s1") }
        #expect(error?.code == .damaged, "\(String(describing: error))")
        #expect(error?.message.contains("reading the events of session \"s1\"") == true, "\(String(describing: error))")
    }

    @Test(arguments: [
        (13, StoreError.Code.full), (10, .io), (10 | (3 << 8), .io), (19, .conflict), (19 | (6 << 8), .conflict),
        (5, .inUse), (5 | (2 << 8), .conflict), (6, .conflict), (11, .damaged), (26, .damaged), (1, .other),
    ])
    func sqliteResultCodesMapToStoreCodes(result: Int, code: StoreError.Code) {
        #expect(StoreError.Code(sqliteResult: Int32(result)) == code)
    }

    @Test(arguments: [
        ("23505", StoreError.Code.conflict), ("23503", .conflict), ("40001", .conflict), ("40P01", .conflict),
        ("53100", .full), ("58030", .io), ("08006", .connectionLost), ("57P01", .connectionLost), ("XX001", .damaged),
        ("55P03", .inUse), ("42P01", .other), ("53200", .other),
    ])
    func postgresSQLStatesMapToStoreCodes(state: String, code: StoreError.Code) {
        #expect(StoreError.Code(sqlState: state) == code)
    }

    @Test func theErrorTypeKeepsItsSmallForms() {
        let plain = StoreError("no store at /x")
        #expect(plain.code == .other && plain.description == "no store at /x" && plain.sessions.isEmpty)
        let lost = StoreError(code: .ownershipLost, sessions: ["a", "b"])
        #expect(lost.message.contains("a, b") && lost.sessions == ["a", "b"])
        let wrapped = StoreError(code: .full, message: "inserting", underlying: "database or disk is full").doing("appending")
        #expect(wrapped.code == .full && wrapped.description == "appending: inserting: database or disk is full")
    }
}
