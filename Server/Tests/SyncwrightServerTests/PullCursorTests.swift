@testable import SyncwrightServer
import Testing

/// The cursor a pull hands back: what it keeps of the device's pass through the log, and
/// which removes that lets a pull leave out.
@Suite("Pull cursors")
struct PullCursorTests {
    @Test func aCursorReadsBackAsItWasWritten() throws {
        var cursor = PullCursor(sequence: 40, isInitial: false, estimate: 3, fingerprint: "f00d", passStart: 12)
        for horizon in [20, 25, 30, 35, 40, 45, 50, 55] as [Int64] { cursor.recordRead(at: horizon, caughtUp: false) }
        #expect(cursor.passReads == [30, 35, 40, 45, 50, 55])
        #expect(cursor.olderReads == 25)
        let decoded = try #require(PullCursor(encoded: cursor.encoded))
        #expect(decoded == cursor)
        // A cursor made before passes were kept still works, and never cancels a remove.
        let older = PullCursor(sequence: 7, isInitial: true, initialThrough: 9, estimate: 0, fingerprint: "f00d")
        #expect(older.encoded.count < 60)
        let olderDecoded = try #require(PullCursor(encoded: older.encoded))
        #expect(olderDecoded == older)
        #expect(!olderDecoded.neverSaw(origin: 100, removed: 101))
        #expect(PullCursor(encoded: "Yzk6MTI6YzowOmY") == nil)
    }

    @Test func aStayWithNoReadDuringItWasNeverSeen() {
        var cursor = PullCursor(sequence: 10, isInitial: false, estimate: 0, fingerprint: "f", passStart: 10)
        // Caught up at 10, nothing read since: a row made at 11 and removed at 14 was never seen.
        #expect(cursor.neverSaw(origin: 11, removed: 14))
        #expect(!cursor.neverSaw(origin: 9, removed: 14), "made before the device caught up")
        cursor.recordRead(at: 12, caughtUp: false)
        #expect(!cursor.neverSaw(origin: 11, removed: 14), "a page read at 12 may have seen it")
        #expect(cursor.neverSaw(origin: 13, removed: 14))
        #expect(cursor.neverSaw(origin: 11, removed: 12), "removed by the time of that read")
        // Catching up starts a new pass.
        cursor.sequence = 30
        cursor.recordRead(at: 30, caughtUp: true)
        #expect(cursor.passStart == 30 && cursor.passReads.isEmpty && cursor.olderReads == nil)
    }
}
