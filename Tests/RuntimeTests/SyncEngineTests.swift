import Foundation
import GRDB
import Testing
@testable import Syncwright

/// Records the delays the engine waits, instead of waiting.
final class SleepRecorder: Sendable {
    let delays = Locked<[Duration]>([])
    var policy: RetryPolicy {
        RetryPolicy(maximumAttempts: 4, initialDelay: .milliseconds(100), maximumDelay: .seconds(1)) { [delays] delay in
            delays.withValue { $0.append(delay) }
        }
    }
}

/// A store, a server double and an engine wired together.
struct Harness {
    let temporary: TemporaryStore
    let server: TestServer
    let engine: SyncEngine
    let sleeps = SleepRecorder()

    init(conflictPolicy: SyncConflictPolicy = .serverWins, configuration: SyncConfiguration? = nil) throws {
        let model = TestModel.model(conflictPolicy: conflictPolicy)
        temporary = try TemporaryStore(model: model)
        server = TestServer(model: model)
        var configuration = configuration ?? SyncConfiguration(pushBatchSize: 100, pullPageSize: 1000)
        configuration.retry = sleeps.policy
        engine = SyncEngine(store: temporary.store, transport: server, configuration: configuration)
    }

    var store: SyncStore { temporary.store }

    /// A blocking write, as an app's synchronous code makes it.
    func write(_ body: (SyncTransaction) throws -> Void) throws {
        try store.write(body)
    }

    func key(_ id: UUID) -> JSONValue { .string(id.uuidString.lowercased()) }

    /// A sync whose push the server applies while every answer to it is lost, so it fails.
    func syncLosingEveryAnswer() async {
        await server.configure { $0.losePushResponses = 4 }
        await #expect(throws: (any Error).self) { try await engine.sync() }
    }
}

@Suite("Sync engine")
struct SyncEngineTests {
    @Test("a sync pushes local changes in order, in batches, then pulls every unit")
    func pushThenPull() async throws {
        let harness = try Harness(configuration: SyncConfiguration(pushBatchSize: 2))
        let tasks = (1...5).map { TaskItem(title: "Task \($0)") }
        for task in tasks { try harness.write { try $0.insert(task) } }
        let opIDs = try harness.store.pendingChanges().map(\.opID)
        let projectID = UUID()
        await harness.server.write("Project", ["id": harness.key(projectID), "name": .string("Boilers")])

        let report = try await harness.engine.sync()

        #expect(report.pushed == 5)
        #expect(await harness.server.pushedBatches == [Array(opIDs[0..<2]), Array(opIDs[2..<4]), [opIDs[4]]])
        #expect(try await harness.store.pendingChangeCount() == 0)
        #expect(await harness.server.rowCount("TaskItem") == 5)
        #expect(try await harness.store.read { try Project.fetchAll($0) } == [Project(id: projectID, name: "Boilers")])
        // The pushed rows come back with their server versions.
        let versions = try await harness.store.read { try Int64.fetchAll($0, sql: "SELECT version FROM task_item ORDER BY version") }
        #expect(versions == [2, 3, 4, 5, 6])
        #expect(report.pulled["work"] == 6)
        #expect(try await harness.store.lastSyncedAt() != nil)
    }

    @Test("each batch is prepared while the server works on the one before, and sent as prepared")
    func preparedWhileInFlight() async throws {
        let model = TestModel.model(conflictPolicy: .serverWins)
        let temporary = try TemporaryStore(model: model)
        let transport = PreparingTransport(server: TestServer(model: model))
        let engine = SyncEngine(store: temporary.store, transport: transport,
                                configuration: SyncConfiguration(pushBatchSize: 2, pullPageSize: 1000))
        for index in 1...5 { try await temporary.store.write { try $0.insert(TaskItem(title: "Task \(index)")) } }

        let report = try await engine.sync()

        #expect(report.pushed == 5)
        #expect(await transport.server.rowCount("TaskItem") == 5)
        let events = transport.events.withValue { $0 }
        // Three batches, each prepared once and sent as prepared; the second was prepared
        // before the first was answered, the third before the second was.
        #expect(events.filter { $0.hasPrefix("prepare") }.count == 3)
        #expect(events.filter { $0.hasPrefix("send") } == ["send 1", "send 2", "send 3"])
        #expect(!events.contains("unprepared"))
        let position = { (event: String) in events.firstIndex(of: event) ?? Int.max }
        #expect(position("prepare 2") < position("answer 1"))
        #expect(position("prepare 3") < position("answer 2"))
    }

    @Test("a push whose answer was lost is retried with the same op ids and changes nothing twice")
    func replayedPush() async throws {
        let harness = try Harness()
        var task = TaskItem(title: "Once")
        try harness.write { try $0.insert(task) }
        task.title = "Twice"
        await harness.server.configure { $0.losePushResponses = 1 }
        try await harness.engine.sync()
        let batches = await harness.server.pushedBatches
        #expect(batches.count == 2)
        #expect(batches[0] == batches[1])
        #expect(await harness.server.rowCount("TaskItem") == 1)
        #expect(await harness.server.row("TaskItem", task.id)?.version == 1)
        #expect(await harness.server.log.count == 1)
        #expect(harness.sleeps.delays.withValue { $0.count } == 1)
    }

    @Test("an edit made after a push whose answer was lost is never a conflict with the device's own write",
          arguments: [SyncConflictPolicy.serverWins, .clientWins, .lastWriteWins, .manual])
    func editAfterLostAnswer(policy: SyncConflictPolicy) async throws {
        let harness = try Harness(conflictPolicy: policy)
        var task = TaskItem(title: "Original", priority: 1)
        try harness.write { try $0.insert(task) }
        try await harness.engine.sync()

        // Edit A reaches the server, but every answer to it is lost: the sync fails.
        task.title = "A"
        try harness.write { try $0.update(task) }
        await harness.syncLosingEveryAnswer()
        #expect(await harness.server.row("TaskItem", task.id)?.row["title"] == .string("A"))

        // Edit B (another column, and the same one) is its own entry: A's was sent.
        task.title = "B"
        task.priority = 7
        try harness.write { try $0.update(task) }
        #expect(try await harness.store.pendingChangeCount() == 2)
        let report = try await harness.engine.sync()

        #expect(report.conflicts == 0)
        #expect(report.pushed == 2)
        #expect(try harness.store.conflicts().isEmpty)
        #expect(try harness.store.rejectedChanges().isEmpty)
        #expect(try await harness.store.pendingChangeCount() == 0)
        let server = try #require(await harness.server.row("TaskItem", task.id))
        #expect(server.row["title"] == .string("B"))
        #expect(server.row["priority"] == .integer(7))
        let local = try #require(try harness.store.tasks().first)
        #expect(local.title == "B")
        #expect(local.priority == 7)
        // A went alone (replayed), then B in a batch of its own, based on A's version.
        let batches = await harness.server.pushedBatches
        #expect(batches.suffix(2).map(\.count) == [1, 1])
    }

    @Test("a row deleted after its update's answer was lost: the update is resent as it was sent, and the delete lands",
          arguments: [SyncConflictPolicy.serverWins, .clientWins, .lastWriteWins, .manual])
    func deleteAfterLostAnswer(policy: SyncConflictPolicy) async throws {
        let harness = try Harness(conflictPolicy: policy)
        var task = TaskItem(title: "Original")
        try harness.write { try $0.insert(task) }
        try await harness.engine.sync()
        task.title = "A"
        try harness.write { try $0.update(task) }
        await harness.syncLosingEveryAnswer()
        try harness.write { try $0.delete(task) }

        let report = try await harness.engine.sync()

        #expect(report.conflicts == 0)
        #expect(report.pushed == 2)
        #expect(await harness.server.row("TaskItem", task.id) == nil)
        #expect(try harness.store.tasks().isEmpty)
        #expect(try harness.store.conflicts().isEmpty)
        #expect(try await harness.store.pendingChangeCount() == 0)
    }

    @Test("an update after an insert whose answer was lost waits for the insert's answer")
    func updateAfterLostInsert() async throws {
        let harness = try Harness()
        var task = TaskItem(title: "New")
        try harness.write { try $0.insert(task) }
        await harness.syncLosingEveryAnswer()
        task.done = true
        try harness.write { try $0.update(task) }

        let report = try await harness.engine.sync()

        #expect(report.conflicts == 0)
        #expect(await harness.server.row("TaskItem", task.id)?.row["done"] == .bool(true))
        #expect(try harness.store.tasks().first?.done == true)
        #expect(try await harness.store.pendingChangeCount() == 0)
    }

    @Test("a rejected change is set aside with the server's reason and the queue goes on")
    func rejected() async throws {
        let harness = try Harness()
        let bad = TaskItem(title: "forbidden")
        let good = TaskItem(title: "fine")
        try harness.write { try $0.insert(bad) }
        try harness.write { try $0.insert(good) }
        await harness.server.configure { server in
            server.rejection = { op in
                op.values?["title"] == .string("forbidden") ? ("outside_subset", "the row would belong to another user") : nil
            }
        }
        let report = try await harness.engine.sync()
        #expect(report.rejected == 1)
        #expect(report.pushed == 1)
        #expect(await harness.server.row("TaskItem", good.id) != nil)
        let rejected = try harness.store.rejectedChanges()
        #expect(rejected.map(\.code) == ["outside_subset"])
        #expect(rejected.first?.reason == "the row would belong to another user")
        #expect(rejected.first?.values?["title"] == .string("forbidden"))
        #expect(try await harness.store.pendingChangeCount() == 0)

        // Discarding an insert removes the local row.
        try harness.store.discard(try #require(rejected.first))
        #expect(try harness.store.tasks().map(\.title) == ["fine"])
        #expect(try harness.store.rejectedChanges().isEmpty)
    }

    @Test("a refused change marks its row; discard puts the server's row back at once, without downloading the unit")
    func discardRestoresTheServersRow() async throws {
        let harness = try Harness()
        let kept = UUID(), refused = UUID(), taken = UUID()
        for (id, title) in [(kept, "kept"), (refused, "refused"), (taken, "taken")] {
            await harness.server.write("TaskItem", taskRow(id, title: title))
        }
        try await harness.engine.sync()
        let cursor = try await harness.store.cursor(forUnit: "work")

        // Two edits the server refuses: one to a row the device may see (its row comes
        // back with the refusal), one to a row that now belongs to someone else.
        for id in [refused, taken] {
            var edited = try #require(try harness.store.tasks().first { $0.id == id })
            edited.title = "mine now"
            try harness.write { try $0.update(edited) }
        }
        await harness.server.configure { server in
            server.rejection = { op in
                op.key == .string(taken.uuidString.lowercased())
                    ? ("outside_subset", "the row belongs to another user") : ("type_mismatch", "not that")
            }
        }
        let report = try await harness.engine.sync(units: [])
        #expect(report.changes.map(\.outcome).sorted { "\($0)" < "\($1)" }
            == [.refused(.outsideSubset), .refused(.typeMismatch)])
        #expect(report.changes.allSatisfy { $0.row.is(TaskItem.self) })
        // Until the app decides, the rows keep the device's values and are marked.
        #expect(try harness.store.tasks().filter { $0.title == "mine now" }.count == 2)
        #expect(try harness.store.rejectedKeys(of: TaskItem.self) == [.uuid(refused), .uuid(taken)])

        for change in try harness.store.rejectedChanges() { try harness.store.discard(change) }
        #expect(try harness.store.tasks().map(\.title).sorted() == ["kept", "refused"])
        #expect(try harness.store.rejectedKeys(of: TaskItem.self).isEmpty)
        #expect(try await harness.store.cursor(forUnit: "work") == cursor, "nothing is downloaded again")
    }

    @Test("a rejected change can be retried once the server accepts it")
    func retryRejected() async throws {
        let harness = try Harness()
        try harness.write { try $0.insert(TaskItem(title: "later")) }
        await harness.server.configure { $0.rejection = { _ in ("not_yet", "try later") } }
        try await harness.engine.sync()
        let rejected = try #require(try harness.store.rejectedChanges().first)
        await harness.server.configure { $0.rejection = nil }
        try harness.store.retry(rejected)
        #expect(try await harness.store.pendingChangeCount() == 1)
        let report = try await harness.engine.sync()
        #expect(report.pushed == 1)
        #expect(await harness.server.rowCount("TaskItem") == 1)
    }

    /// A task synced to both sides, then changed on the server (title) and locally (`local`).

    @Test("server-wins keeps the server's row and drops the device's change")
    func serverWins() async throws {
        let (harness, task) = try await Harness.conflictingEdit(.serverWins) { $0.priority = 5 }
        let report = try await harness.engine.sync()
        #expect(report.conflicts == 1)
        #expect(report.changes.map(\.outcome) == [.conflict(policy: .serverWins, resolution: .serverKept)])
        #expect(report.changes.first?.row == SyncRowID(entity: "TaskItem", key: .uuid(task.id)))
        let local = try #require(try harness.store.tasks().first)
        #expect(local.title == "Server title")
        #expect(local.priority == 1)
        #expect(await harness.server.row("TaskItem", task.id)?.row["priority"] == .integer(1))
        #expect(try await harness.store.pendingChangeCount() == 0)
        // The lost edit is recorded for the app to show, until it dismisses it.
        let lost = try harness.store.overwrittenChanges()
        #expect(lost.count == 1)
        #expect(lost.first?.row.key == .uuid(task.id))
        #expect(lost.first?.changedColumns == ["priority"])
        #expect(lost.first?.localValues?["priority"] == .integer(5))
        #expect(lost.first?.serverValues?["priority"] == .integer(1))
        try harness.store.dismiss(lost)
        #expect(try harness.store.overwrittenChanges().isEmpty)
    }

    @Test("client-wins writes the device's whole row over the server's")
    func clientWins() async throws {
        let (harness, task) = try await Harness.conflictingEdit(.clientWins) { $0.priority = 5 }
        let report = try await harness.engine.sync()
        #expect(report.conflicts == 1)
        let server = try #require(await harness.server.row("TaskItem", task.id))
        #expect(server.row["priority"] == .integer(5))
        #expect(server.row["title"] == .string("Original"))
        #expect(try harness.store.tasks().first?.title == "Original")
        #expect(try await harness.store.pendingChangeCount() == 0)
    }

    @Test("last-write-wins applies the device's changed columns over the server's newer row")
    func lastWriteWins() async throws {
        let (harness, task) = try await Harness.conflictingEdit(.lastWriteWins) { $0.priority = 5 }
        try await harness.engine.sync()
        let server = try #require(await harness.server.row("TaskItem", task.id))
        #expect(server.row["priority"] == .integer(5))
        #expect(server.row["title"] == .string("Server title"))
        let local = try #require(try harness.store.tasks().first)
        #expect(local.title == "Server title")
        #expect(local.priority == 5)
    }

    @Test("manual keeps both versions until the app resolves the conflict", arguments: [ConflictResolution.keepLocal, .keepServer])
    func manual(resolution: ConflictResolution) async throws {
        let (harness, task) = try await Harness.conflictingEdit(.manual) { $0.priority = 5 }
        try await harness.engine.sync()
        let conflict = try #require(try harness.store.conflicts().first)
        #expect(conflict.localValues?["priority"] == .integer(5))
        #expect(conflict.serverValues?["title"] == .string("Server title"))
        // Until resolved, the device keeps its own row, and pulls don't overwrite it.
        #expect(try harness.store.tasks().first?.priority == 5)
        #expect(try harness.store.tasks().first?.title == "Original")

        try harness.store.resolve(conflict, resolution)
        try await harness.engine.sync()
        #expect(try harness.store.conflicts().isEmpty)
        let server = try #require(await harness.server.row("TaskItem", task.id))
        let local = try #require(try harness.store.tasks().first)
        switch resolution {
        case .keepLocal:
            #expect(server.row["priority"] == .integer(5))
            #expect(local.priority == 5)
        case .keepServer:
            #expect(server.row["priority"] == .integer(1))
            #expect(local.title == "Server title")
            #expect(local.priority == 1)
        }
    }

    @Test("an interrupted pull resumes after the last page it applied")
    func interruptedPull() async throws {
        let harness = try Harness(configuration: SyncConfiguration(pullPageSize: 1000))
        for index in 0..<2_500 {
            await harness.server.write("TaskItem", taskRow(UUID(), title: "Row \(index)"))
        }
        await harness.server.configure { $0.failPullsAfterPages = 2 }
        await #expect(throws: (any Error).self) { try await harness.engine.sync(units: ["work"]) }
        #expect(try await harness.store.read { try TaskItem.fetchCount($0) } == 2_000)
        #expect(try await harness.store.cursor(forUnit: "work") == "2000")
        if case .failed(let failure) = harness.engine.currentStatus.activity {
            #expect(failure.isTransient)
        } else {
            Issue.record("the status should say the sync failed")
        }

        await harness.server.configure { $0.failPullsAfterPages = nil }
        let report = try await harness.engine.sync(units: ["work"])
        #expect(report.pulled["work"] == 500)
        #expect(await harness.server.pullRequests.last?.units["work"] == "2000")
        #expect(try await harness.store.read { try TaskItem.fetchCount($0) } == 2_500)
    }

    @Test("a pulled row never overwrites the columns of a pending local change")
    func pendingRowsAreProtected() async throws {
        let harness = try Harness()
        var task = TaskItem(title: "Mine", priority: 1)
        try harness.write { try $0.insert(task) }
        try await harness.engine.sync()
        task.priority = 9
        try harness.write { try $0.update(task) }
        var serverRow = try #require(await harness.server.row("TaskItem", task.id)).row
        serverRow["title"] = .string("Renamed elsewhere")
        let version = await harness.server.write("TaskItem", serverRow)
        // Pull only: the device's pending priority stays, the server's title arrives.
        let page = try await harness.server.pull(PullRequest(subset: "member", schemaHash: "test-hash-1",
                                                              units: ["work": try harness.store.cursor(forUnit: "work")], limit: 100))
        try await harness.store.applyPulledPage(page, unit: "work")
        let local = try #require(try harness.store.tasks().first)
        #expect(local.priority == 9)
        #expect(local.title == "Renamed elsewhere")
        #expect(try await harness.store.read { try Int64.fetchOne($0, sql: "SELECT version FROM task_item") } == version)
    }

    @Test("remove deletes the local row")
    func remove() async throws {
        let harness = try Harness()
        let id = UUID()
        await harness.server.write("TaskItem", taskRow(id, title: "Leaving"))
        try await harness.engine.sync()
        #expect(try harness.store.tasks().count == 1)
        await harness.server.delete("TaskItem", key: harness.key(id))
        try await harness.engine.sync()
        #expect(try harness.store.tasks().isEmpty)
    }

    @Test("transient failures back off with growing, jittered delays and drop nothing")
    func transientFailures() async throws {
        let harness = try Harness()
        try harness.write { try $0.insert(TaskItem(title: "Persistent")) }
        await harness.server.configure { server in
            server.pushFailures = [.server(status: 503, "busy"), .timeout("slow"), .network("gone")]
        }
        let statuses = await recordStatuses(of: harness.engine)
        try await harness.engine.sync()
        #expect(await harness.server.rowCount("TaskItem") == 1)
        let delays = harness.sleeps.delays.withValue { $0 }
        #expect(delays.count == 3)
        // The status said each wait as it began (a slow reader may skip some, never add).
        let progress = await statuses.value.compactMap { status -> RetryProgress? in
            if case .retrying(let progress) = status.activity { return progress }
            return nil
        }
        #expect(!progress.isEmpty && progress.count <= 3)
        #expect(progress.allSatisfy { $0.failedAttempt < $0.maximumAttempts && $0.failure.isRetryable })
        #expect(progress.map(\.failedAttempt) == progress.map(\.failedAttempt).sorted())
        #expect(delays[0] >= .milliseconds(50) && delays[0] <= .milliseconds(100))
        #expect(delays[1] >= .milliseconds(100) && delays[1] <= .milliseconds(200))
        #expect(delays[2] >= .milliseconds(200) && delays[2] <= .milliseconds(400))
    }

    @Test("when retries run out the sync fails and every change stays queued")
    func retriesExhausted() async throws {
        let harness = try Harness()
        try harness.write { try $0.insert(TaskItem(title: "Waiting")) }
        await harness.server.configure { server in server.pushFailures = Array(repeating: .network("down"), count: 4) }
        let failure = await #expect(throws: SyncFailure.self) { try await harness.engine.sync() }
        #expect(failure?.code == .network)
        #expect(failure?.isRetryable == true)
        #expect(try await harness.store.pendingChangeCount() == 1)
        #expect(await harness.server.rowCount("TaskItem") == 0)
        try await harness.engine.sync()
        #expect(await harness.server.rowCount("TaskItem") == 1)
        #expect(try await harness.store.pendingChangeCount() == 0)
    }

    @Test("permanent failures are not retried", arguments: [
        SyncTransportError.unauthorized("bad token"), .forbidden("no claim"), .schemaMismatch("old app"), .invalidRequest("bad body"),
    ])
    func permanentFailures(error: SyncTransportError) async throws {
        let harness = try Harness()
        try harness.write { try $0.insert(TaskItem(title: "Stuck")) }
        await harness.server.configure { $0.pushFailures = [error] }
        do {
            try await harness.engine.sync()
            Issue.record("the sync succeeded")
        } catch let failure as SyncFailure where failure.code == .outdated {
            // A 409 says the server doesn't serve the app's schema: outdated, not failed.
            #expect(error.isSchemaMismatch, "\(failure)")
            let outdated = try #require(failure.outdated)
            #expect(harness.engine.currentStatus.activity == .outdated(outdated))
        } catch let failure as SyncFailure {
            #expect(failure == SyncFailure(error))
            #expect(failure.status == error.status)
            #expect(!failure.isRetryable)
            #expect(harness.engine.currentStatus.activity == .failed(failure), "the status stream carries the same value")
        }
        #expect(harness.sleeps.delays.withValue { $0.isEmpty })
        #expect(try await harness.store.pendingChangeCount() == 1)
    }

    @Test("an app whose schema only a newer deploy serves yet fails transiently, not as outdated")
    func upcomingSchema() async throws {
        let harness = try Harness()
        try harness.write { try $0.insert(TaskItem(title: "Queued")) }
        let hash = harness.store.model.schemaHash
        await harness.server.configure { server in
            server.servedHashes = [String(repeating: "b", count: 64)]
            server.upcomingHashes = [hash]
        }
        let thrown = await #expect(throws: SyncFailure.self) { try await harness.engine.sync() }
        #expect(thrown?.code == .server)
        guard case .failed(let failure) = harness.engine.currentStatus.activity else {
            Issue.record("the status is \(harness.engine.currentStatus.activity)")
            return
        }
        #expect(failure.isTransient)
        #expect(await harness.server.pushedBatches.isEmpty)
        #expect(try await harness.store.pendingChangeCount() == 1)
    }

    @Test("an app whose schema the server no longer serves stops before pushing, keeps its changes, and shows outdated")
    func outdatedApp() async throws {
        let harness = try Harness()
        try harness.write { try $0.insert(TaskItem(title: "Queued")) }
        await harness.server.configure { $0.servedHashes = [String(repeating: "a", count: 64)] }
        do {
            try await harness.engine.sync()
            Issue.record("an outdated app synced")
        } catch let failure as SyncFailure {
            #expect(failure.code == .outdated)
            let outdated = try #require(failure.outdated)
            #expect(outdated.appSchemaHash == harness.store.model.schemaHash)
            #expect(outdated.serverSchemaHash == String(repeating: "a", count: 64))
            #expect(outdated.message.contains("update the app"))
            guard case .outdated(let shown) = harness.engine.currentStatus.activity else {
                Issue.record("the status is \(harness.engine.currentStatus.activity), not outdated")
                return
            }
            #expect(shown == outdated)
        }
        #expect(await harness.server.pushedBatches.isEmpty)
        #expect(await harness.server.pullRequests.isEmpty)
        #expect(try await harness.store.pendingChangeCount() == 1)

        // Served again (an older version the server still serves): the sync goes on.
        let hash = harness.store.model.schemaHash
        await harness.server.configure { $0.servedHashes = [String(repeating: "a", count: 64), hash] }
        let report = try await harness.engine.sync()
        #expect(try await harness.store.pendingChangeCount() == 0)
        #expect(await harness.server.rowCount("TaskItem") == 1)
        #expect(harness.engine.currentStatus.activity == .finished(report))
    }

    @Test("the status stream reports a sync step by step")
    func statusSequence() async throws {
        let harness = try Harness()
        try harness.write { try $0.insert(TaskItem(title: "A")) }
        try harness.write { try $0.insert(TaskItem(title: "B")) }
        let collector = await recordStatuses(of: harness.engine)
        let report = try await harness.engine.sync()
        let statuses = await collector.value
        #expect(statuses.map(\.activity) == [
            .idle,
            .pushing(done: 0, total: 2),
            .pushing(done: 2, total: 2),
            .pulling(unit: "work", done: 0, estimate: nil),
            .pulling(unit: "work", done: 2, estimate: 0),
            .pulling(unit: "comments", done: 0, estimate: nil),
            .pulling(unit: "comments", done: 0, estimate: 0),
            .finished(report),
        ])
        #expect(report.changes.map(\.outcome) == [.applied, .applied])
        #expect(statuses.first?.pendingChanges == 2)
        #expect(statuses.last?.pendingChanges == 0)
        #expect(statuses.first?.lastSyncedAt == nil)
        #expect(statuses.last?.lastSyncedAt != nil)
    }

    @Test("refused changes are not shown as pushed, and the finished status carries the report")
    func refusedAreNotPushed() async throws {
        let harness = try Harness()
        try harness.write { try $0.insert(TaskItem(title: "A")) }
        try harness.write { try $0.insert(TaskItem(title: "refused")) }
        await harness.server.configure { server in
            server.rejection = { op in op.values?["title"] == .string("refused") ? ("read_only", "no") : nil }
        }
        let collector = await recordStatuses(of: harness.engine)
        let report = try await harness.engine.sync()
        let activities = await collector.value.map(\.activity)
        #expect(activities.contains(.pushing(done: 0, total: 2)))
        #expect(activities.contains(.pushing(done: 1, total: 1)), "\(activities)")
        #expect(!activities.contains(.pushing(done: 2, total: 2)))
        #expect(activities.last == .finished(report))
        #expect(report.pushed == 1 && report.rejected == 1)
    }

    @Test("status streams finish when the engine is released")
    func statusStreamsFinish() async throws {
        let model = TestModel.model(conflictPolicy: .serverWins)
        let temporary = try TemporaryStore(model: model)
        var engine: SyncEngine? = SyncEngine(store: temporary.store, transport: TestServer(model: model))
        let stream = try #require(engine).status
        let report = try await engine?.sync()
        weak let released = engine
        engine = nil
        #expect(released == nil)
        // Nobody read while the sync ran: the stream kept only the newest status (the
        // sync's end), then it finishes.
        let listening = Task {
            var received: [SyncStatus] = []
            for await status in stream { received.append(status) }
            return received
        }
        let received = await withTaskGroup(of: [SyncStatus]?.self) { group in
            group.addTask { await listening.value }
            group.addTask { try? await Task.sleep(for: .seconds(5)); return nil }
            let first = await group.next() ?? nil
            // Whichever came first, stop the other (a loop that never ends, too).
            listening.cancel()
            group.cancelAll()
            return first
        }
        let statuses = try #require(received, "the status stream did not finish within 5 s of the engine's release")
        #expect(statuses.count == 1, "\(statuses)")
        #expect(statuses.last?.activity == report.map { .finished($0) })
        #expect(statuses.last?.lastSyncedAt != nil)
    }

    @Test("requests run one at a time in order, and equal queued requests merge")
    func requestQueue() async throws {
        let harness = try Harness()
        async let first: SyncReport = harness.engine.sync(units: ["work"])
        async let second: SyncReport = harness.engine.sync(units: ["comments"])
        async let third: SyncReport = harness.engine.sync(units: ["comments"])
        _ = try await (first, second, third)
        let units = await harness.server.pullRequests.map { $0.units.keys.sorted() }
        #expect(units == [["work"], ["comments"]])
    }

    @Test("a request may discard what is queued behind the running sync")
    func discardQueued() async throws {
        let harness = try Harness()
        await harness.server.configure { $0.holdPulls = true }
        let running = Task { try await harness.engine.sync(units: ["work"]) }
        try await waitUntil("the first sync's pull to wait on the server") { await harness.server.waitingPulls == 1 }
        let discarded = Task { try await harness.engine.sync(units: ["comments"]) }
        try await waitUntil("the second sync to queue") { await harness.engine.queued.waiters == 1 }
        await harness.engine.requestSync(units: ["work"], discardPending: true)
        let cancelled = await #expect(throws: SyncFailure.self) { try await discarded.value }
        #expect(cancelled?.code == .cancelled)
        await harness.server.releasePulls()
        _ = try await running.value
        try await harness.engine.sync(units: ["work"])
        let units = await harness.server.pullRequests.map { $0.units.keys.sorted() }
        #expect(!units.contains(["comments"]))
        #expect(units.first == ["work"])
    }

    @Test("with delayed sync off every local save syncs, and saves during a sync don't make it loop")
    func syncAfterEverySave() async throws {
        let harness = try Harness(configuration: SyncConfiguration(delayedSync: false, syncOnStart: false))
        // The store tells its observers of a local write when the write returns: every
        // notification the engine could act on is counted here.
        let localWrites = Locked(0)
        let counting = harness.store.addLocalWriteObserver { localWrites.withValue { $0 += 1 } }
        await harness.engine.start()
        for index in 0..<5 { try harness.write { try $0.insert(TaskItem(title: "Save \(index)")) } }
        try await waitUntil("every save to be pushed") { try await harness.store.pendingChangeCount() == 0 }
        await harness.engine.waitUntilIdle()
        #expect(await harness.server.rowCount("TaskItem") == 5)
        let pushes = await harness.server.pushedBatches.count
        #expect(pushes >= 1 && pushes <= 5)
        // Pulled rows don't count as saves: the syncs pulled the rows back and wrote their
        // versions, and only the five saves asked for a sync.
        #expect(await harness.server.pullRequests.count >= 1)
        #expect(localWrites.withValue { $0 } == 5)
        #expect(await harness.engine.queued.requests == 0)
        counting.cancel()
        await harness.engine.stop()
    }

    @Test("start syncs once, then periodically, until stopped")
    func startAndPeriodic() async throws {
        let timers = ManualTimers()
        let harness = try Harness(configuration: SyncConfiguration(syncOnStart: true, periodicInterval: .seconds(600), sleep: timers.sleep))
        await harness.server.write("TaskItem", taskRow(UUID(), title: "From the server"))
        await harness.engine.start()
        // The sync on start, then one sync each time the periodic timer ends.
        for syncs in 1...6 {
            try await waitUntil("the periodic timer to start again") { timers.running == 1 }
            await harness.engine.waitUntilIdle()
            #expect(await harness.server.pullRequests.filter { $0.units.keys.contains("work") }.count == syncs)
            if syncs < 6 { timers.fire() }
        }
        #expect(try harness.store.tasks().map(\.title) == ["From the server"])
        // Stopped: the timer is cancelled, so nothing can start another sync.
        await harness.engine.stop()
        try await waitUntil("the periodic timer to be cancelled") { timers.cancelled == 1 }
        await harness.engine.waitUntilIdle()
        #expect(timers.running == 0)
        #expect(await harness.server.pullRequests.filter { $0.units.keys.contains("work") }.count == 6)
    }

    @Test("offline syncs fail fast and run when the network returns")
    func offline() async throws {
        let harness = try Harness(configuration: SyncConfiguration(syncOnReconnect: false))
        try harness.write { try $0.insert(TaskItem(title: "Offline edit")) }
        await harness.engine.setNetworkAvailable(false)
        #expect(harness.engine.currentStatus.activity == .offline)
        await #expect(throws: SyncFailure.self) { try await harness.engine.sync() }
        #expect(await harness.server.rowCount("TaskItem") == 0)
        await harness.engine.setNetworkAvailable(true)
        try await waitUntil("the offline edit to reach the server") { await harness.server.rowCount("TaskItem") == 1 }
    }

    @Test("purge through the engine waits for queued syncs and refuses pending changes")
    func enginePurge() async throws {
        let harness = try Harness()
        await harness.server.write("TaskItem", taskRow(UUID(), title: "Server row"))
        try await harness.engine.sync()
        try harness.write { try $0.insert(TaskItem(title: "Unsent")) }
        await #expect(throws: SyncStoreError.self) { try await harness.engine.purge(unit: "work") }
        try await harness.engine.purge(unit: "work", force: true)
        #expect(try harness.store.tasks().isEmpty)
        try await harness.engine.sync()
        #expect(try harness.store.tasks().map(\.title) == ["Server row"])
    }

    @Test("an unknown unit is an error before anything is sent")
    func unknownUnit() async throws {
        let harness = try Harness()
        let failure = await #expect(throws: SyncFailure.self) { try await harness.engine.sync(units: ["nope"]) }
        #expect(failure?.code == .localStore)
        #expect(failure?.message.contains("nope") == true)
        #expect(await harness.server.pullRequests.isEmpty)
    }
}

/// Wraps the server double, numbering the pushes it prepares and recording when each is
/// prepared, sent and answered. A push is answered only once the next one has been
/// prepared (or after five seconds), so the test sees whether the engine prepares ahead.
final class PreparingTransport: SyncTransport {
    let server: TestServer
    let events = Locked<[String]>([])
    private let prepared = Locked(0)

    init(server: TestServer) {
        self.server = server
    }

    func prepare(_ request: PushRequest) throws -> PreparedPush {
        let number = prepared.withValue { count in
            count += 1
            return count
        }
        events.withValue { $0.append("prepare \(number)") }
        return PreparedPush(request: request, body: Data("\(number)".utf8))
    }

    func push(_ prepared: PreparedPush) async throws -> PushResponse {
        let number = Int(String(decoding: prepared.body ?? Data(), as: UTF8.self)) ?? 0
        events.withValue { $0.append("send \(number)") }
        let response = try await server.push(prepared.request)
        let deadline = ContinuousClock.now + .seconds(5)
        while self.prepared.withValue({ $0 }) <= number, self.prepared.withValue({ $0 }) < 3, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        events.withValue { $0.append("answer \(number)") }
        return response
    }

    func push(_ request: PushRequest) async throws -> PushResponse {
        events.withValue { $0.append("unprepared") }
        return try await server.push(request)
    }

    func pull(_ request: PullRequest) async throws -> PullResponse { try await server.pull(request) }
    func schema() async throws -> SchemaResponse { try await server.schema() }
}

extension Harness {
    /// A task synced, renamed on the server by someone else, and edited here by `local`:
    /// the next sync meets a conflict under `policy`.
    static func conflictingEdit(
        _ policy: SyncConflictPolicy, local: (inout TaskItem) -> Void
    ) async throws -> (Harness, TaskItem) {
        let harness = try Harness(conflictPolicy: policy)
        var task = TaskItem(title: "Original", priority: 1)
        try harness.write { try $0.insert(task) }
        try await harness.engine.sync()
        // Someone else renames it on the server.
        var serverRow = try #require(await harness.server.row("TaskItem", task.id)).row
        serverRow["title"] = .string("Server title")
        await harness.server.write("TaskItem", serverRow)
        local(&task)
        try harness.write { try $0.update(task) }
        return (harness, task)
    }
}
