import Foundation
import GRDB
import Testing
@testable import Syncwright

@Suite("Per-entity Sync actions, hooks and queries")
struct EntitySyncActionTests {
    @Test("an entity's sync pushes and pulls its unit, and returns its part of the report with typed rows")
    func entitySync() async throws {
        let harness = try Harness()
        let refusedTask = TaskItem(title: "forbidden"), acceptedTask = TaskItem(title: "fine")
        try harness.write { try $0.insert(refusedTask) }
        try harness.write { try $0.insert(acceptedTask) }
        try harness.write { try $0.insert(Comment(id: UUID(), taskId: acceptedTask.id, body: "looks good")) }
        let project = UUID()
        await harness.server.write("Project", ["id": .string(project.uuidString.lowercased()), "name": .string("Garden")])
        await harness.server.configure { server in
            server.rejection = { op in op.values?["title"] == .string("forbidden") ? ("out_of_stock", "no valves left") : nil }
        }

        let result = try await TaskItemSync.sync(harness.engine)
        #expect(result.unit == "work")
        #expect(result.report.pulled.keys.sorted() == ["work"])
        #expect(result.changes.map(\.key) == [.uuid(refusedTask.id), .uuid(acceptedTask.id)])
        #expect(result.refused.map(\.refusalCode) == ["out_of_stock"])
        #expect(result.refused.first?.row?.title == "forbidden")
        #expect(result.applied.map(\.row?.title) == ["fine"])
        // The comment went too, in its place in the outbox, but isn't the task's part.
        #expect(result.report.changes.count == 3)
        #expect(result.pulled == 1, "the accepted task comes back; the project is Project's")
        #expect(result.report.pulledPerEntity["Project"] == 1)
        #expect(try await harness.store.read { db in try Project.fetchAll(db) }.map(\.name) == ["Garden"])

        let refused = try TaskItemSync.refused(in: harness.store)
        #expect(refused.map(\.key) == [.uuid(refusedTask.id)])
        #expect(refused.first?.code == "out_of_stock")
        #expect(refused.first?.reason == "no valves left")
        #expect(refused.first?.row == refusedTask)
        #expect(try CommentSync.refused(in: harness.store).isEmpty)
    }

    @Test("a read-only entity's action only pulls: pending changes stay queued")
    func pullOnly() async throws {
        let harness = try Harness()
        try harness.write { try $0.insert(TaskItem(title: "not yet")) }
        await harness.server.write("Project", ["id": .string(UUID().uuidString.lowercased()), "name": .string("Garden")])
        let result = try await ProjectSync.pull(harness.engine)
        #expect(result.pulled == 1)
        #expect(result.changes.isEmpty)
        #expect(await harness.server.pushedBatches.isEmpty)
        #expect(await harness.server.pullRequests.map { $0.units.keys.sorted() } == [["work"]])
        #expect(try await harness.store.pendingChangeCount() == 1)
        // The writable entity's pull action doesn't push either.
        try await TaskItemSync.pull(harness.engine)
        #expect(await harness.server.pushedBatches.isEmpty)
    }

    @Test("an entity's action joins a queued sync that covers it instead of running again")
    func joinsQueuedSync() async throws {
        let harness = try Harness()
        await harness.server.configure { $0.holdPulls = true }
        let running = Task { try await harness.engine.sync() }
        // The first sync waits in its pull; the next request queues behind it.
        try await waitUntil("the first sync's pull to wait on the server") { await harness.server.waitingPulls == 1 }
        await harness.engine.requestSync()
        let pull = Task { try await ProjectSync.pull(harness.engine) }
        let sync = Task { try await TaskItemSync.sync(harness.engine) }
        // Both actions joined the one queued request.
        try await waitUntil("both actions to join the queued sync") { await harness.engine.queued == (requests: 1, waiters: 2) }
        await harness.server.releasePulls()
        _ = try await running.value
        _ = try await pull.value
        _ = try await sync.value
        // Two syncs of both units: the actions joined the queued sync of everything.
        #expect(await harness.server.pullRequests.count == 4)
    }

    @Test("pending changes of an entity are typed and observable")
    func typedPending() async throws {
        let harness = try Harness()
        var task = TaskItem(title: "draft")
        try harness.write { try $0.insert(task) }
        task.title = "final"
        try harness.write { try $0.update(task) }
        let pending = try TaskItemSync.pending(in: harness.store)
        #expect(pending.map(\.kind) == [.insert])
        #expect(pending.first?.key == .uuid(task.id))
        #expect(pending.first?.row?.title == "final")
        #expect(pending.first?.isInFlight == false)
        #expect(try CommentSync.pending(in: harness.store).isEmpty)

        var counts = harness.store.values { db in try TaskItemSync.pending(db).count }.makeAsyncIterator()
        #expect(try await counts.next() == 1)
        try await harness.engine.sync()
        // Sending marks the change in flight (one more value) before the answer removes it.
        var last: Int?
        while let count = try await counts.next() {
            last = count
            if count == 0 { break }
        }
        #expect(last == 0)
    }

    @Test("hooks hear pulled, removed, applied and refused rows as entity values, after the store shows them")
    func hooks() async throws {
        let harness = try Harness()
        let store = harness.store
        let events = Locked<[String]>([])
        let registration = harness.engine.on(TaskItem.self) { event in
            // A hook runs after the transaction commits: the store already shows it.
            switch event {
            case .pulled(let task):
                let stored = try? store.read { try TaskItem.fetchOne($0, key: task.id) }
                events.withValue { $0.append("pulled \(task.title) stored=\(stored != nil)") }
            case .removed(let key):
                let stored = try? store.read { try TaskItem.fetchOne($0, sql: "SELECT * FROM task_item WHERE id = ?", arguments: [key.wireValue.stringValue ?? ""]) }
                events.withValue { $0.append("removed stored=\(stored != nil)") }
            case .applied(_, let kind, let row):
                events.withValue { $0.append("applied \(kind) \(row?.title ?? "-")") }
            case .refused(let key, _, let code, _, let row):
                let kept = (try? TaskItemSync.refused(in: store).map(\.key)) ?? []
                events.withValue { $0.append("refused \(code) \(row?.title ?? "-") kept=\(kept == [key])") }
            case .conflict:
                events.withValue { $0.append("conflict") }
            }
        }
        let other = UUID()
        await harness.server.write("TaskItem", taskRow(other, title: "from the office"))
        try await harness.engine.sync()
        await harness.server.delete("TaskItem", key: harness.key(other))
        try harness.write { try $0.insert(TaskItem(title: "forbidden")) }
        try harness.write { try $0.insert(TaskItem(title: "fine")) }
        await harness.server.configure { server in
            server.rejection = { op in op.values?["title"] == .string("forbidden") ? ("out_of_stock", "none left") : nil }
        }
        try await harness.engine.sync()
        await registration.idle()
        #expect(events.withValue { $0 } == [
            "pulled from the office stored=true",
            "refused out_of_stock forbidden kept=true",
            "applied insert -",
            "removed stored=false",
            "pulled fine stored=true",
        ])
        registration.cancel()
        await harness.server.write("TaskItem", taskRow(UUID(), title: "after cancel"))
        try await harness.engine.sync()
        #expect(events.withValue { $0.count } == 5)
    }

    @Test("a slow hook delays only itself")
    func slowHook() async throws {
        let harness = try Harness()
        let slowSeen = Locked(0), quickSeen = Locked(0)
        let gate = AsyncStream<Void>.makeStream()
        let slow = harness.engine.on(TaskItem.self) { _ in
            for await _ in gate.stream { break }
            slowSeen.withValue { $0 += 1 }
        }
        let quick = harness.engine.on(TaskItem.self) { _ in quickSeen.withValue { $0 += 1 } }
        for title in ["a", "b", "c"] {
            await harness.server.write("TaskItem", taskRow(UUID(), title: title))
            try await harness.engine.sync()
        }
        await quick.idle()
        #expect(quickSeen.withValue { $0 } == 3)
        #expect(slowSeen.withValue { $0 } == 0, "the slow hook still waits on its first event, and no sync waited for it")
        for _ in 0..<3 { gate.continuation.yield() }
        await slow.idle()
        #expect(slowSeen.withValue { $0 } == 3)
    }

    @Test("a conflict's hook has both versions under every policy", arguments: [SyncConflictPolicy.serverWins, .clientWins, .lastWriteWins, .manual])
    func conflictHook(policy: SyncConflictPolicy) async throws {
        let (harness, task) = try await Harness.conflictingEdit(policy) { $0.priority = 5 }

        let conflicts = Locked<[EntityConflictEvent<TaskItem>]>([])
        let registration = harness.engine.on(TaskItem.self) { event in
            if case .conflict(let conflict) = event { conflicts.withValue { $0.append(conflict) } }
        }
        try await harness.engine.sync()
        await registration.idle()
        let conflict = try #require(conflicts.withValue { $0.first })
        #expect(conflict.policy == policy)
        #expect(conflict.key == .uuid(task.id))
        #expect(conflict.local?.priority == 5)
        #expect(conflict.local?.title == "Original")
        #expect(conflict.server?.title == "Server title")
        #expect(conflict.server?.priority == 1)
        switch policy {
        case .serverWins: #expect(conflict.resolution == .serverKept)
        case .clientWins, .lastWriteWins: #expect(conflict.resolution == .resent)
        case .manual:
            #expect(conflict.resolution == .keptForApp)
            let pending = try #require(conflict.pending)
            #expect(try TaskItemSync.conflicts(in: harness.store).map(\.key) == [.uuid(task.id)])
            // The app merges: the server's title, the device's priority.
            var merged = try #require(pending.server)
            merged.priority = 5
            try pending.resolve(merging: merged, in: harness.store)
            #expect(try TaskItemSync.conflicts(in: harness.store).isEmpty)
            try await harness.engine.sync()
            let server = try #require(await harness.server.row("TaskItem", task.id))
            #expect(server.row["title"] == .string("Server title"))
            #expect(server.row["priority"] == .integer(5))
        }
    }

    @Test("a merged row with another key is refused and changes nothing")
    func mergedKeyMismatch() async throws {
        let (harness, _) = try await Harness.conflictingEdit(.manual) { $0.priority = 5 }
        try await harness.engine.sync()
        let conflict = try #require(try TaskItemSync.conflicts(in: harness.store).first)
        #expect(conflict.local?.priority == 5)
        #expect(conflict.server?.title == "Server title")
        let stranger = TaskItem(title: "someone else's")
        #expect { try conflict.resolve(merging: stranger, in: harness.store) } throws: {
            ($0 as? SyncStoreError)?.code == .keyMismatch
        }
        #expect(try TaskItemSync.conflicts(in: harness.store).count == 1)
        #expect(try await harness.store.read { db in try TaskItem.fetchCount(db) } == 1)
    }
}
