import Foundation
import GRDB
@testable import SyncwrightServer
import Testing

/// The SQLite server's commit stamp, by which waiting pulls notice rows another process
/// writes into the file: it changes with every commit by any other connection, even
/// one that leaves the write-ahead log the same size within the same clock tick, and
/// stays the same while nothing commits.
@Suite("SQLite: a commit stamp that can't miss a commit")
struct SQLiteCommitStampTests {
    @Test func everyCommitByAnotherConnectionChangesTheStamp() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stamp-\(UUID().uuidString).sqlite").path
        let database = try SQLiteServerDatabase(path: path)
        try await database.write { connection in
            try await connection.execute("CREATE TABLE counters (id INTEGER PRIMARY KEY, value INTEGER NOT NULL)")
            try await connection.execute("INSERT INTO counters VALUES (1, 0)")
        }
        // Another process's connection, as a system writing straight into the file would.
        let other = try DatabaseQueue(path: path)
        var stamp = try #require(database.commitStamp)
        for value in 1...100 {
            // The same row rewritten: the log's size repeats from one commit to the next.
            try await other.write { db in try db.execute(sql: "UPDATE counters SET value = ? WHERE id = 1", arguments: [value % 2]) }
            let next = try #require(database.commitStamp)
            #expect(next != stamp, "commit \(value) left the stamp at \(stamp)")
            stamp = next
            if value % 25 == 0 {
                // A checkpoint that resets the log: the next commit starts it over at the same size.
                _ = try await other.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
                stamp = try #require(database.commitStamp)
            }
        }
        // The server's own commits change it too.
        try await database.write { connection in try await connection.execute("UPDATE counters SET value = 7") }
        #expect(database.commitStamp != stamp)
        // Reading changes nothing.
        let quiet = database.commitStamp
        _ = try await database.read("SELECT value FROM counters", [])
        _ = try await other.read { db in try Int.fetchOne(db, sql: "SELECT value FROM counters") }
        #expect(database.commitStamp == quiet)
        try other.close()
        try await database.close()
    }
}
