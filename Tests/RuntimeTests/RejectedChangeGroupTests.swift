import Foundation
import GRDB
import Testing
@testable import Syncwright

/// A change the server refuses takes the changes that needed it along: the server's
/// `depends_on_rejected` answers, and the device's own later changes to the row, make
/// one group the app shows, retries and discards as one.
@Suite("Rejected changes in groups")
struct RejectedChangeGroupTests {
    /// An insert sent and refused after the app edited the row again: the edit was made
    /// on top of the refused insert.
    func refusedInsertWithALaterEdit(_ harness: Harness) throws -> (task: TaskItem, insert: PushOperation) {
        let task = TaskItem(title: "Boiler")
        try harness.write { try $0.insert(task) }
        let batch = try harness.store.nextPushBatch(limit: 10)
        var edited = task
        edited.title = "Boiler, then the pump"
        try harness.write { try $0.update(edited) }
        let insert = try #require(batch.first)
        let outcome = try harness.store.applyPushResults(PushResponse(results: [
            PushResult(opId: insert.opId, status: .rejected, reason: "out of boilers", code: "out_of_stock"),
        ]), for: batch)
        #expect(outcome.rejected == 1)
        return (task, insert)
    }

    @Test("a later change to a refused row is refused with it on the device, never sent to fail on its own")
    func laterChangesToTheRowJoinTheRefusal() async throws {
        let harness = try Harness()
        let (task, insert) = try refusedInsertWithALaterEdit(harness)
        #expect(try await harness.store.pendingChangeCount() == 0, "nothing is left to send")
        let rejected = try harness.store.rejectedChanges()
        #expect(rejected.map(\.code) == ["out_of_stock", .dependsOnRejected])
        #expect(rejected[0].opID == insert.opId && rejected[0].dependsOn == nil)
        #expect(rejected[1].dependsOn == insert.opId)
        #expect(rejected.allSatisfy { $0.row.is(TaskItem.self) && $0.row.key == .uuid(task.id) })

        let groups = try harness.store.rejectedChangeGroups()
        #expect(groups.count == 1)
        #expect(groups.first?.cause.code == "out_of_stock")
        #expect(groups.first?.dependents.map(\.code) == [.dependsOnRejected])

        // Discarding the cause discards the group: the new row was never the server's.
        try harness.store.discard(try #require(groups.first?.cause))
        #expect(try harness.store.rejectedChanges().isEmpty)
        #expect(try harness.store.tasks().isEmpty)
    }

    @Test("retrying the cause queues the group again, in its order")
    func retryTakesTheGroup() async throws {
        let harness = try Harness()
        let (task, _) = try refusedInsertWithALaterEdit(harness)
        try harness.store.retry(try #require(try harness.store.rejectedChangeGroups().first?.cause))
        #expect(try harness.store.rejectedChanges().isEmpty)
        #expect(try await harness.store.pendingChangeCount() == 2)
        // The server accepts them now: the row arrives as the device has it.
        let report = try await harness.engine.sync()
        #expect(report.rejected == 0)
        #expect(await harness.server.row("TaskItem", task.id)?.row["title"] == .string("Boiler, then the pump"))
    }

    @Test("the server's dependents are grouped under the refusal they name")
    func serverDependentsAreGrouped() async throws {
        let harness = try Harness()
        let first = TaskItem(title: "first"), second = TaskItem(title: "second"), alone = TaskItem(title: "alone")
        for task in [first, second, alone] { try harness.write { try $0.insert(task) } }
        let batch: [PushOperation] = try await harness.store.nextPushBatch(limit: 10)
        #expect(batch.count == 3)
        _ = try await harness.store.applyPushResults(PushResponse(results: [
            PushResult(opId: batch[0].opId, status: .rejected, reason: "no", code: "out_of_stock"),
            PushResult(opId: batch[1].opId, status: .rejected, reason: "needs the first", code: "depends_on_rejected",
                       dependsOn: batch[0].opId),
            PushResult(opId: batch[2].opId, status: .rejected, reason: "no", code: "read_only"),
        ]), for: batch)
        let groups = try harness.store.rejectedChangeGroups()
        #expect(groups.map(\.cause.opID) == [batch[0].opId, batch[2].opId])
        #expect(groups.first?.dependents.map(\.opID) == [batch[1].opId])
        #expect(groups.map(\.changes.count) == [2, 1])

        // Discarding the cause takes its dependent; the other refusal stays.
        try harness.store.discard(groups[0].cause)
        #expect(try harness.store.rejectedChanges().map(\.opID) == [batch[2].opId])
        #expect(try harness.store.tasks().map(\.title) == ["alone"])
    }

    @Test("a queued row pointing at a refused new row is refused with it, and its own dependents too")
    func rowsPointingAtARefusedInsertJoinIt() async throws {
        let harness = try Harness()
        let task = TaskItem(title: "Boiler")
        let comment = Comment(id: UUID(), taskId: task.id, body: "bring the long spanner")
        let other = TaskItem(title: "Pump")
        try harness.write { try $0.insert(task) }
        try harness.write { try $0.insert(comment) }
        try harness.write { try $0.insert(other) }
        // The task alone is sent (a batch of one) and refused.
        let batch: [PushOperation] = try await harness.store.nextPushBatch(limit: 1)
        #expect(batch.map(\.entity) == ["TaskItem"])
        _ = try await harness.store.applyPushResults(PushResponse(results: [
            PushResult(opId: batch[0].opId, status: .rejected, reason: "no", code: "out_of_stock"),
        ]), for: batch)
        let rejected = try harness.store.rejectedChanges()
        #expect(rejected.map(\.entity) == ["TaskItem", "Comment"])
        #expect(rejected.last?.code == .dependsOnRejected && rejected.last?.dependsOn == batch[0].opId)
        #expect(try await harness.store.pendingChangeCount() == 1, "the other task still goes")
        let groups = try harness.store.rejectedChangeGroups()
        #expect(groups.count == 1 && groups.first?.dependents.map(\.entity) == ["Comment"])
        // Discarding the group removes both new rows.
        for change in rejected { try harness.store.discard(change) }
        #expect(try harness.store.rejectedChanges().isEmpty)
        #expect(try await harness.store.read { try Comment.fetchCount($0) } == 0)
        #expect(try harness.store.tasks().map(\.title) == ["Pump"])
    }
}
