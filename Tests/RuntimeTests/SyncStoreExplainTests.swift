import Foundation
import GRDB
import Testing
@testable import Syncwright

@Suite("Why isn't this synced? SyncStore.explain")
struct SyncStoreExplainTests {
    @Test("a row's journey: local only, failing to push, refused, discarded, in sync")
    func journey() async throws {
        let harness = try Harness()
        let task = TaskItem(title: "Boiler")
        let before = try harness.store.explain(TaskItem.self, key: task.id)
        #expect(!before.isStoredLocally)
        #expect(before.unitLastPulledAt == nil)
        #expect(before.verdict.contains("never been pulled"))

        try harness.write { try $0.insert(task) }
        let queued = try harness.store.explain(TaskItem.self, key: task.id)
        #expect(queued.pendingChanges.map(\.state) == [.queued])
        #expect(queued.version == nil)
        #expect(queued.verdict == "waiting to be pushed at the next sync")

        // Every attempt of one sync fails: the change stays, with its attempts and error.
        await harness.server.configure { server in server.pushFailures = Array(repeating: .server(status: 503, "busy"), count: 5) }
        await #expect(throws: SyncFailure.self) { try await harness.engine.sync() }
        let failing = try harness.store.explain(TaskItem.self, key: task.id)
        #expect(failing.pendingChanges.first?.failedAttempts == 1)
        #expect(failing.pendingChanges.first?.lastError?.contains("busy") == true)
        #expect(failing.verdict.contains("1 sync failed to deliver it"))
        #expect(failing.lastSyncFailure?.contains("HTTP 503") == true)

        // The server refuses it: the explanation names the code.
        await harness.server.configure { server in
            server.pushFailures = []
            server.rejection = { _ in ("owner_mismatch", "the TaskItem would belong to someone else") }
        }
        try await harness.engine.sync()
        let refused = try harness.store.explain(TaskItem.self, key: task.id)
        #expect(refused.pendingChanges.isEmpty)
        #expect(refused.refusedChanges.map(\.code) == [.ownerMismatch])
        #expect(refused.verdict.hasPrefix("refused by the server (owner_mismatch)"))
        #expect(refused.description.contains("refused insert (owner_mismatch)"))
        #expect(refused.unitLastPulledAt != nil)

        // Retried and accepted: in sync, with the server's version.
        await harness.server.configure { $0.rejection = nil }
        try harness.store.retry(try #require(refused.refusedChanges.first))
        try await harness.engine.sync()
        let synced = try harness.store.explain(TaskItem.self, key: task.id)
        #expect(synced.isStoredLocally && synced.version != nil && synced.updatedAt != nil)
        #expect(synced.pendingChanges.isEmpty && synced.refusedChanges.isEmpty)
        #expect(synced.verdict == "in sync as of the last pull of unit 'work'")
        #expect(synced.lastSyncFailure == nil, "a sync that succeeds clears the last failure")
        #expect(synced.row == SyncRowID(entity: "TaskItem", key: .uuid(task.id)))
    }

    @Test("a sent change whose answer is lost is in flight")
    func inFlight() async throws {
        let harness = try Harness()
        let task = TaskItem(title: "Lost answer")
        try harness.write { try $0.insert(task) }
        await harness.syncLosingEveryAnswer()
        let explanation = try harness.store.explain(TaskItem.self, key: task.id)
        #expect(explanation.pendingChanges.first?.state == .inFlight)
        #expect(explanation.pendingChanges.first?.failedAttempts == 1)
    }
}
