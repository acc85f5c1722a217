import Foundation
@testable import SyncwrightServer
import Testing

/// The cursor a pull hands back: what it keeps of the device's pass through the log, and
/// which removes that lets a pull leave out.
@Suite("Pull cursors")
struct PullCursorTests {
    @Test func aCursorReadsBackAsItWasWritten() throws {
        var cursor = PullCursor(sequence: 12, isInitial: false, estimate: 3, fingerprint: "f00d", passStart: 12)
        let pages: [(through: Int64, horizon: Int64)] = [(15, 20), (20, 25), (30, 30), (33, 35), (40, 40), (41, 45), (50, 50), (52, 55), (60, 90), (70, 91)]
        for page in pages {
            cursor.sequence = page.through
            cursor.recordRead(at: page.horizon, caughtUp: false)
        }
        // Ten pages in eight: the two pairs read closest in time are merged, each reading
        // through the later one's position at the earlier one's horizon.
        #expect(cursor.passReads.count == PullCursor.keptReads)
        #expect(cursor.passReads.first == PullCursor.PassRead(through: 20, horizon: 20))
        #expect(cursor.passReads.last == PullCursor.PassRead(through: 70, horizon: 90))
        #expect(cursor.olderReads == nil)
        let decoded = try #require(PullCursor(encoded: cursor.encoded))
        #expect(decoded == cursor)
        // A cursor made before passes were kept still works, and never cancels a remove.
        let older = PullCursor(sequence: 7, isInitial: true, initialThrough: 9, estimate: 0, fingerprint: "f00d")
        #expect(older.encoded.count < 60)
        let olderDecoded = try #require(PullCursor(encoded: older.encoded))
        #expect(olderDecoded == older)
        #expect(!olderDecoded.neverSaw(origin: 100, removed: 101))
        #expect(!olderDecoded.neverReceivedPut(origin: 101, versions: LogEntryVersions([]), removed: 101))
        #expect(PullCursor(encoded: "Yzk6MTI6YzowOmY") == nil)
        // The longest cursor this server can write reads back.
        var longest = PullCursor(sequence: .max, isInitial: true, initialThrough: .max - 1, estimate: .max, fingerprint: "0123456789abcdef",
                                 passStart: .max - 1)
        for _ in 0...PullCursor.keptReads { longest.recordRead(at: .max, caughtUp: false) }
        #expect(longest.encoded.count <= PullCursor.maximumEncodedLength)
        #expect(PullCursor(encoded: longest.encoded) == longest)
    }

    @Test func aPassBegunUnderAnOlderCursorGoesOnWithoutPositions() throws {
        // c2: a pass that started at 10, read at horizons 12 and 14.
        let c2 = Data("c2:14:c:0:f:10:-:12,14".utf8).base64EncodedString()
            .replacingOccurrences(of: "=", with: "").replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        var cursor = try #require(PullCursor(encoded: c2))
        #expect(cursor.passReads == [.init(through: nil, horizon: 12), .init(through: nil, horizon: 14)])
        #expect(cursor.neverSaw(origin: 15, removed: 16))
        #expect(!cursor.neverSaw(origin: 11, removed: 13))
        // Without where its pages read through, only the horizons judge.
        #expect(!cursor.neverReceivedPut(origin: 15, versions: LogEntryVersions(text: "15p,"), removed: 16))
        cursor.sequence = 16
        cursor.recordRead(at: 16, caughtUp: false)
        #expect(PullCursor(encoded: cursor.encoded) == cursor)
        #expect(String(decoding: Data(base64Encoded: cursor.encoded + "==")!, as: UTF8.self).hasPrefix("c2:"))
        // Catching up starts a pass that keeps positions.
        cursor.sequence = 20
        cursor.recordRead(at: 20, caughtUp: true)
        cursor.sequence = 22
        cursor.recordRead(at: 25, caughtUp: false)
        #expect(cursor.passReads == [.init(through: 22, horizon: 25)])
        #expect(PullCursor(encoded: cursor.encoded) == cursor)
    }

    @Test func aStayWithNoReadDuringItWasNeverSeen() {
        // A pass begun under a c2 cursor judges by its horizons alone.
        var cursor = PullCursor(sequence: 10, isInitial: false, estimate: 0, fingerprint: "f", passStart: 10, keepsPositions: false)
        // Caught up at 10, nothing read since: a row made at 11 and removed at 14 was never seen.
        #expect(cursor.neverSaw(origin: 11, removed: 14))
        #expect(!cursor.neverSaw(origin: 9, removed: 14), "made before the device caught up")
        cursor.sequence = 11
        cursor.recordRead(at: 12, caughtUp: false)
        #expect(!cursor.neverSaw(origin: 11, removed: 14), "a page read at 12 may have seen it")
        #expect(cursor.neverSaw(origin: 13, removed: 14))
        #expect(cursor.neverSaw(origin: 11, removed: 12), "removed by the time of that read")
        // Catching up starts a new pass, which keeps positions.
        cursor.sequence = 30
        cursor.recordRead(at: 30, caughtUp: true)
        #expect(cursor.passStart == 30 && cursor.passReads.isEmpty && cursor.olderReads == nil && cursor.keepsPositions)
        #expect(!cursor.neverSaw(origin: 31, removed: 32), "a pass that keeps positions judges by them")
        #expect(cursor.neverReceivedPut(origin: 31, versions: LogEntryVersions([]), removed: 31))
    }

    /// A row that came and went while the device read a backlog page by page: its put
    /// sat where the device's pages had not reached yet, and had moved on when they did.
    @Test func aPutThePagesReachedOnlyAfterItMovedWasNeverReceived() throws {
        // Caught up at 100; the first page of the backlog read 101...110 at horizon 200.
        var cursor = PullCursor(sequence: 100, isInitial: false, estimate: 0, fingerprint: "f", passStart: 100)
        cursor.sequence = 110
        cursor.recordRead(at: 200, caughtUp: false)
        // Made as a put at 150 (after the first page's reach), updated at 210 (a put again),
        // removed at 260; the second page read 111...170 at horizon 250.
        let versions = try logVersions("150p,210p,")
        #expect(!cursor.neverSaw(origin: 150, removed: 260), "the first page was read while it was there")
        #expect(cursor.neverReceivedPut(origin: 150, versions: versions, removed: 260), "but that page didn't reach 150")
        cursor.sequence = 170
        cursor.recordRead(at: 250, caughtUp: false)
        // The second page reached 150 at horizon 250: by then the entry was at 210.
        #expect(cursor.neverReceivedPut(origin: 150, versions: versions, removed: 260))
        // Had it stayed at 150 until 255, that page would have found it there.
        #expect(!cursor.neverReceivedPut(origin: 150, versions: try logVersions("150p,255p,"), removed: 260))
        // A version at 210 the second page's reach didn't cover: not received either.
        #expect(cursor.neverReceivedPut(origin: 150, versions: try logVersions("150p,210r,230p,"), removed: 260))
        // Removed (rather than moved) at 240, read by the second page at 250: that page
        // found the remove and no put.
        #expect(cursor.neverReceivedPut(origin: 150, versions: try logVersions("150p,"), removed: 240))
        // A put a push wrote counts as received: the device that pushed it holds the row.
        #expect(!cursor.neverReceivedPut(origin: 150, versions: try logVersions("150d,210p,"), removed: 260))
        // What isn't known counts as received: versions cut short, or not kept at all.
        #expect(!cursor.neverReceivedPut(origin: 120, versions: versions, removed: 260), "the versions before 150 were dropped")
        #expect(!cursor.neverReceivedPut(origin: 150, versions: nil, removed: 260))
        #expect(!cursor.neverReceivedPut(origin: 99, versions: try logVersions("99p,"), removed: 260),
                "made before the pass")
    }

    @Test func mergedPagesCountAsHavingReadWhatTheyReached() throws {
        var cursor = PullCursor(sequence: 0, isInitial: false, estimate: 0, fingerprint: "f", passStart: 0)
        // Pages through 10, 20, …, 90 read at horizons 100, 105, 300, 400, …: the first two
        // were read closest in time and are merged into one through 20 at horizon 100.
        for (page, horizon) in zip(1...9 as ClosedRange<Int64>, [100, 105, 300, 400, 500, 600, 700, 800, 900] as [Int64]) {
            cursor.sequence = page * 10
            cursor.recordRead(at: horizon, caughtUp: false)
        }
        #expect(cursor.passReads.first == PullCursor.PassRead(through: 20, horizon: 100))
        // A put at 15, moved at 102: the page that reached 15 read at horizon 100, before
        // the move: received.
        #expect(!cursor.neverReceivedPut(origin: 15, versions: try logVersions("15p,"), removed: 102))
        // A put at 18, moved at 103: the page that really reached it read at 105, after the
        // move, but merged it counts as read at 100: received.
        #expect(!cursor.neverReceivedPut(origin: 18, versions: try logVersions("18p,"), removed: 103))
        // A put at 25, moved at 26: reached by the page through 30 at horizon 300.
        #expect(cursor.neverReceivedPut(origin: 25, versions: try logVersions("25p,"), removed: 26))
    }

    @Test func versionsReadOnlyInTheFormTheTriggersWrite() {
        #expect(LogEntryVersions(text: "") == LogEntryVersions([]))
        #expect(LogEntryVersions(text: "3p,5r,")?.positions == [.init(position: 3, isPut: true), .init(position: 5, isPut: false)])
        #expect(LogEntryVersions(text: "3p,3r,") == nil, "positions only grow")
        #expect(LogEntryVersions(text: "3x,") == nil)
        #expect(LogEntryVersions(text: "3d,")?.positions == [.init(position: 3, isPut: true, isPushed: true)])
        #expect(LogEntryVersions(text: "-3p,") == nil)
        #expect(LogEntryVersions(text: "3p,5r,")?.isComplete(origin: 3, removed: 9) == true)
        #expect(LogEntryVersions(text: "5r,")?.isComplete(origin: 3, removed: 9) == false)
        #expect(LogEntryVersions(text: "")?.isComplete(origin: 9, removed: 9) == true)
        #expect(LogEntryVersions(text: "")?.isComplete(origin: 3, removed: 9) == false)
    }

    private func logVersions(_ text: String) throws -> LogEntryVersions {
        try #require(LogEntryVersions(text: text))
    }
}
