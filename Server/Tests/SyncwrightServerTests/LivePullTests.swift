import Foundation
import ServiceLifecycleTestKit
import Syncwright
@testable import SyncwrightServer
import Testing

/// `POST /v1/pull` with `wait`: a pull with nothing new waits until a change lands in
/// one of the caller's own buckets, and only then.
@Suite("Live pulls: wait for a change in your own buckets")
struct LivePullTests {
    static func service(_ kind: DatabaseKind) async throws -> SyncService {
        let service = SyncService(schema: FieldService.schema, database: try await TestDatabases.make(kind), logger: TestDatabases.logger,
                                  changeLogInterval: .milliseconds(50))
        try await service.prepare()
        try await FieldService.seed(service.database)
        return service
    }

    static func request(_ service: SyncService, cursor: String, wait: Double) -> PullRequest {
        PullRequest(subset: "technician", schemaHash: service.schema.schemaHash, units: ["jobs": cursor], limit: 100, wait: wait)
    }

    /// Ann's pull from `cursor`, waiting up to 50 s, once the service has registered it.
    static func waitingPull(_ service: SyncService, from cursor: String) async throws -> Task<PullResponse, any Error> {
        let waiting = Task { try await service.pull(request(service, cursor: cursor, wait: 50), claims: FieldService.annClaims) }
        try await waitUntil("Ann's pull to wait") { service.bucketSignals.waitingCount == 1 }
        return waiting
    }

    static func push(_ service: SyncService, order: String, notes: String, claims: [String: JSONValue]) async throws {
        let version = try await service.database.read(
            "SELECT version FROM work_orders WHERE id = \(service.database.dialect.placeholder(1))\(service.database.dialect.cast(for: .uuid))",
            [.text(order)]).first?.first?.integer
        let results = try await service.push(PushRequest(
            clientId: "live-\(UUID())", subset: "technician", schemaHash: service.schema.schemaHash,
            ops: [SyncServicePushTests.op(.update, "WorkOrder", order, base: version, ["notes": .string(notes)])]), claims: claims).results
        #expect(results.first?.status == .applied)
    }

    /// Ann's pull waits on `waiting`; a change to Bob's order through `writer` must not
    /// answer it, and then one to Ann's must, well before the wait (50 s) ends. Returns
    /// the page.
    static func expectOnlyAnnsChangeWakes(waiting: SyncService, writer: SyncService, notes: String) async throws -> PullResponse {
        let cursor = try await waiting.pullAll("jobs", claims: FieldService.annClaims).cursor
        let clock = ContinuousClock()
        let pull = try await waitingPull(waiting, from: cursor)
        try await push(writer, order: FieldService.id("e", 2), notes: "Bob's", claims: FieldService.bobClaims)
        // Once the waiting server has read Bob's entry from the log, it has signalled its
        // buckets: a pull that wasn't woken then, isn't woken by it.
        let bobs = try await writer.database.changeLogHorizon()
        try await waitUntil("the waiting server to read Bob's change from the log") {
            await waiting.changeLogWatcher.position ?? 0 >= bobs
        }
        #expect(waiting.bucketSignals.waitingCount == 1, "Bob's change didn't wake Ann")
        let pushed = clock.now
        try await push(writer, order: FieldService.id("e", 1), notes: notes, claims: FieldService.annClaims)
        let page = try await pull.value
        // Woken by the change, not by the end of the wait; latency is a benchmark's.
        #expect(clock.now - pushed < .seconds(25), "woken in \(clock.now - pushed)")
        #expect(page.changes.map(\.key) == [.string(FieldService.id("e", 1))])
        #expect(page.changes.first?.row?["notes"] == .string(notes))
        #expect(waiting.bucketSignals.waitingCount == 0)
        return page
    }

    @Test(arguments: DatabaseKind.underTest)
    func aWaitingPullWakesOnlyForItsOwnBuckets(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind)
        _ = try await Self.expectOnlyAnnsChangeWakes(waiting: service, writer: service, notes: "Ann's")
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRowAnotherSystemWritesWakesTheWaitingDevice(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind)
        let cursor = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        let waiting = try await Self.waitingPull(service, from: cursor)
        let clock = ContinuousClock()
        let written = clock.now
        try await FieldService.sql(service.database,
            "UPDATE work_orders SET notes = 'from the office' WHERE id = '\(FieldService.id("e", 1))'")
        let page = try await waiting.value
        #expect(page.changes.first?.row?["notes"] == .string("from the office"))
        #expect(clock.now - written < .seconds(25), "noticed at the next read of the log (every 50 ms here), not at the end of the wait")
    }

    @Test(arguments: DatabaseKind.underTest)
    func aWaitEndsWithAnEmptyPageAndACancelledOneLeavesNothingBehind(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind)
        let cursor = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        let clock = ContinuousClock()
        let started = clock.now
        let page = try await service.pull(Self.request(service, cursor: cursor, wait: 0.5), claims: FieldService.annClaims)
        let waited = clock.now - started
        #expect(page.changes.isEmpty)
        #expect(!page.more)
        #expect(waited >= .milliseconds(450) && waited < .seconds(20), "\(waited)")
        // The cursor it answers goes on from the same place: a change after it arrives.
        try await Self.push(service, order: FieldService.id("e", 1), notes: "later", claims: FieldService.annClaims)
        let next = try await service.pull(Self.request(service, cursor: try #require(page.units["jobs"]), wait: 0),
                                          claims: FieldService.annClaims)
        #expect(next.changes.map(\.key) == [.string(FieldService.id("e", 1))])

        let waiting = Task { try await service.pull(Self.request(service, cursor: try #require(next.units["jobs"]), wait: 30),
                                                    claims: FieldService.annClaims) }
        try await waitUntil("the pull to wait") { service.bucketSignals.waitingCount == 1 }
        let cancelled = clock.now
        waiting.cancel()
        _ = await waiting.result
        #expect(clock.now - cancelled < .seconds(20))
        #expect(service.bucketSignals.waitingCount == 0, "nothing left waiting")
        // A pull with something to send never waits.
        let immediate = clock.now
        let first = try await service.pull(PullRequest(subset: "technician", schemaHash: service.schema.schemaHash,
                                                       units: ["jobs": nil], limit: 100, wait: 30), claims: FieldService.annClaims)
        #expect(!first.changes.isEmpty)
        #expect(clock.now - immediate < .seconds(20))
    }

    @Test func overHTTPTheTransportWaitsLongerThanItsOwnTimeout() async throws {
        let server = try await LiveServer.start(service: try await Self.service(.sqlite))
        let token = try await LiveServer.token(FieldService.annClaims)
        let transport = HTTPSyncTransport(baseURL: server.baseURL, timeout: 1) { token }
        let cursor = try await server.service.pullAll("jobs", claims: FieldService.annClaims).cursor
        // Nothing changes: the server answers when the wait (2 s) ends, after the
        // transport's own timeout (1 s), and the transport takes that answer.
        let clock = ContinuousClock()
        let asked = clock.now
        let page = try await transport.pull(Self.request(server.service, cursor: cursor, wait: 2))
        #expect(clock.now - asked >= .seconds(1.9), "answered at the end of the wait, \(clock.now - asked) after asking")
        #expect(page.changes.isEmpty)
        #expect(page.units["jobs"] == cursor)
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func aLiveEngineSeesTheOfficeChangeWhileItWaits(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(service: try await Self.service(kind))
        let phone = try await Device(server: server, claims: FieldService.annClaims, liveWait: .seconds(50))
        await phone.engine.start()
        let order = FieldService.id("e", 1)
        let clock = ContinuousClock()
        func notes() throws -> DatabaseValue? { try phone.value("work_orders", "notes", id: order) }
        // The first sync (no cursors yet), then the waiting pull.
        try await waitUntil("the phone's first sync", within: .seconds(60)) { try !phone.keys("work_orders").isEmpty }
        try await waitUntil("the phone's pull to wait", within: .seconds(60)) { server.service.bucketSignals.waitingCount == 1 }
        let written = clock.now
        try await FieldService.sql(server.database, "UPDATE work_orders SET notes = 'Call before you come' WHERE id = '\(order)'")
        try await waitUntil("the change to reach the waiting phone before its wait (50 s) ends", within: .seconds(40)) {
            try notes() == "Call before you come".databaseValue
        }
        #expect(clock.now - written < .seconds(40), "before the wait (50 s) ended")
        // Stopped, nothing waits any more.
        await phone.engine.stop()
        try await waitUntil("the server to let go of the request the phone dropped", within: .seconds(30)) {
            server.service.bucketSignals.waitingCount == 0
        }
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func theWatcherStopsWithTheApplication(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind)
        let watcher = service.changeLogWatcher
        _ = try await Self.waitingPull(service, from: try await service.pullAll("jobs", claims: FieldService.annClaims).cursor)
        #expect(await watcher.isFollowing, "the first waiting pull starts it")
        // As one of the application's services, the graceful shutdown stops it.
        try await testGracefulShutdown { shutdown in
            async let running: Void = watcher.run()
            shutdown.triggerGracefulShutdown()
            try await running
        }
        #expect(await !watcher.isFollowing)
    }

    @Test(arguments: DatabaseKind.underTest)
    func aServerRestartWhileDevicesWaitLosesNothing(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind)
        let server = try await LiveServer.start(service: service)
        let token = try await LiveServer.token(FieldService.annClaims)
        let transport = HTTPSyncTransport(baseURL: server.baseURL, timeout: 5) { token }
        let cursor = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        let waiting = Task { try await transport.pull(Self.request(service, cursor: cursor, wait: 50)) }
        try await waitUntil("the phone's pull to wait") { service.bucketSignals.waitingCount == 1 }
        // The server stops while the phone waits: it lets go of the waiting pull at once
        // (an empty page, same cursor) rather than holding the shutdown for the wait.
        let clock = ContinuousClock()
        let stopping = clock.now
        await server.stop(closingDatabase: false)
        #expect(clock.now - stopping < .seconds(10), "stopped in \(clock.now - stopping)")
        let answer = await waiting.result
        if case .success(let page) = answer {
            #expect(page.changes.isEmpty)
            #expect(page.units["jobs"] == cursor)
        }
        // Written while no server runs; a new server on the same database, and the
        // phone's next waiting pull from its cursor, sees it.
        try await FieldService.sql(service.database,
            "UPDATE work_orders SET notes = 'while the server was down' WHERE id = '\(FieldService.id("e", 1))'")
        let restarted = SyncService(schema: FieldService.schema, database: service.database, logger: TestDatabases.logger)
        try await restarted.prepare()
        let next = try await LiveServer.start(service: restarted)
        let again = HTTPSyncTransport(baseURL: next.baseURL, timeout: 5) { token }
        let page = try await again.pull(Self.request(restarted, cursor: cursor, wait: 50))
        #expect(page.changes.map(\.key) == [.string(FieldService.id("e", 1))])
        #expect(page.changes.first?.row?["notes"] == .string("while the server was down"))
        // And a change after that wakes a pull waiting on the new server.
        let later = Task { try await again.pull(Self.request(restarted, cursor: try #require(page.units["jobs"]), wait: 50)) }
        try await waitUntil("the phone's pull to wait on the new server") { restarted.bucketSignals.waitingCount == 1 }
        try await Self.push(restarted, order: FieldService.id("e", 1), notes: "after the restart", claims: FieldService.annClaims)
        #expect(try await later.value.changes.first?.row?["notes"] == .string("after the restart"))
        await next.stop()
    }
}
