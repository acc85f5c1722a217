import Foundation
import GRDB
import Testing
@testable import Syncwright

@Suite("Sync store")
struct SyncStoreTests {
    @Test("the subset's tables and the bookkeeping tables exist after opening")
    func schema() throws {
        let temporary = try TemporaryStore()
        let tables = try temporary.store.read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        }
        #expect(tables == ["comment", "grdb_migrations", "project", "syncwright_attachments", "syncwright_conflicts", "syncwright_cursors",
                           "syncwright_metadata", "syncwright_outbox", "syncwright_overwritten", "syncwright_rejected", "syncwright_resync",
                           "syncwright_set_aside", "task_item"])
        let columns = try temporary.store.read { db in try db.columns(in: "task_item").map(\.name) }
        #expect(columns == ["id", "title", "done", "priority", "dueOn", "projectId", "projectName", "version", "updatedAt"])
        let journal = try temporary.store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
    }

    @Test("an insert writes the row and one outbox entry in the same transaction")
    func insert() throws {
        let temporary = try TemporaryStore()
        let task = TaskItem(title: "Fix the boiler")
        try temporary.store.write { try $0.insert(task) }
        #expect(try temporary.store.tasks() == [task])
        #expect(try temporary.store.outboxSummary() == ["TaskItem insert [id,title,done,priority,dueOn,projectId]"])
        #expect(try temporary.store.pendingChanges().first?.key == .string(task.id.uuidString.lowercased()))
    }

    @Test("pending changes to one row coalesce", arguments: [
        (["insert", "update"], ["TaskItem insert [id,title,done,priority,dueOn,projectId]"]),
        (["insert", "delete"], []),
        (["insert", "update", "delete"], []),
        (["update", "update"], ["TaskItem update [title,done]"]),
        (["update", "delete"], ["TaskItem delete []"]),
        (["delete", "insert"], ["TaskItem update [id,title,done,priority,dueOn,projectId]"]),
    ])
    func coalescing(steps: [String], expected: [String]) throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let id = UUID()
        // Start from a synced row unless the first step inserts it.
        if steps.first != "insert" {
            try store.applyPulledPage(PullResponse(changes: [
                PullChange(entity: "TaskItem", op: .put, key: .string(id.uuidString.lowercased()),
                           row: taskRow(id, title: "Synced"), version: 7),
            ], units: ["work": "1"], more: false), unit: "work")
        }
        var updates = 0
        for step in steps {
            try store.write { transaction in
                switch step {
                case "insert": try transaction.insert(TaskItem(id: id, title: "New"))
                case "update":
                    updates += 1
                    var task = try #require(try transaction.read { try TaskItem.fetchOne($0, key: id) })
                    if updates == 1 { task.title = "Renamed" } else { task.done = true }
                    try transaction.update(task)
                default: try transaction.delete(TaskItem.self, key: id)
                }
            }
        }
        #expect(try store.outboxSummary() == expected)
        if expected.first?.contains("update") == true, steps.first != "delete" {
            #expect(try store.pendingChanges().first?.baseVersion == 7)
        }
    }

    @Test("the async write records its change like the blocking one")
    func asyncWrite() async throws {
        let temporary = try TemporaryStore()
        let task = TaskItem(title: "Async")
        try await temporary.store.write { try $0.insert(task) }
        #expect(try await temporary.store.pendingChangeCount() == 1)
        #expect(try await temporary.store.read { try TaskItem.fetchOne($0, key: task.id) } == task)
    }

    @Test("op ids are version 7 UUIDs: the time in milliseconds first, so later ids sort later")
    func operationIDs() throws {
        // Halfway into each millisecond, so rounding can't put two in the same one.
        let ids = (0..<50).map { OperationID.make(at: Date(timeIntervalSince1970: (1_790_000_000_123 + Double($0) + 0.5) / 1000)) }
        let start = Date(timeIntervalSince1970: 1_790_000_000.1235)
        #expect(ids == ids.sorted())
        #expect(Set(ids).count == ids.count)
        for id in ids {
            let uuid = try #require(UUID(uuidString: id))
            #expect(id == id.lowercased())
            #expect(uuid.uuid.6 >> 4 == 7)
            #expect(uuid.uuid.8 >> 6 == 0b10)
        }
        // The first 48 bits are the milliseconds: 1,790,000,000,123 is 0x01a0c4506c7b.
        #expect(ids[0].hasPrefix("01a0c450-6c7b-7"))
        // Within one millisecond the random bits still make each id new.
        let same = (0..<1_000).map { _ in OperationID.make(at: start) }
        #expect(Set(same).count == same.count)
    }

    @Test("the outbox's op ids are made in order")
    func outboxOperationIDsInOrder() throws {
        let temporary = try TemporaryStore()
        for index in 0..<5 {
            try temporary.store.write { try $0.insert(TaskItem(title: "Task \(index)")) }
            Thread.sleep(forTimeInterval: 0.002)
        }
        let ids = try temporary.store.pendingChanges().map(\.opID)
        #expect(ids.count == 5)
        #expect(ids == ids.sorted())
    }

    @Test("an update that changes nothing records nothing")
    func unchangedUpdate() throws {
        let temporary = try TemporaryStore()
        let task = TaskItem(title: "Same")
        try temporary.store.write { try $0.insert(task) }
        _ = try temporary.store.nextPushBatch(limit: 10)
        try temporary.store.write { try $0.update(task) }
        #expect(try temporary.store.pendingChanges().count == 1)
    }

    @Test("a change to a row already sent gets an operation of its own")
    func sentOperationsAreNotChanged() throws {
        let temporary = try TemporaryStore()
        var task = TaskItem(title: "One")
        try temporary.store.write { try $0.insert(task) }
        let batch = try temporary.store.nextPushBatch(limit: 10)
        task.title = "Two"
        try temporary.store.write { try $0.update(task) }
        let pending = try temporary.store.pendingChanges()
        #expect(pending.map(\.kind) == [.insert, .update])
        #expect(pending.first?.opID == batch.first?.opId)
        #expect(pending.last?.opID != batch.first?.opId)
    }

    @Test("an applied change that left the subset removes the local row, unless more changes wait")
    func appliedChangeThatLeftTheSubset() throws {
        let temporary = try TemporaryStore()
        let gone = TaskItem(title: "Archived at once")
        var kept = TaskItem(title: "Edited again")
        try temporary.store.write {
            try $0.insert(gone)
            try $0.insert(kept)
        }
        let batch = try temporary.store.nextPushBatch(limit: 10)
        #expect(batch.count == 2)
        kept.title = "Edited after sending"
        try temporary.store.write { try $0.update(kept) }
        let results = batch.map { PushResult(opId: $0.opId, status: .applied, version: 7, leftSubset: true) }
        _ = try temporary.store.applyPushResults(PushResponse(results: results), for: batch)
        let titles = try temporary.store.tasks().map(\.title)
        #expect(titles == ["Edited after sending"])
        #expect(try temporary.store.pendingChangeCount() == 1)
    }

    @Test("a failing transaction leaves neither the row nor its outbox entry")
    func atomicity() throws {
        struct Abort: Error {}
        let temporary = try TemporaryStore()
        #expect(throws: Abort.self) {
            try temporary.store.write { transaction in
                try transaction.insert(TaskItem(title: "Doomed"))
                throw Abort()
            }
        }
        #expect(try temporary.store.tasks().isEmpty)
        #expect(try temporary.store.pendingChangeCount() == 0)
        // A second insert of the same key fails inside the transaction: the first stays alone.
        let task = TaskItem(title: "Once")
        try temporary.store.write { try $0.insert(task) }
        #expect(throws: DatabaseError.self) { try temporary.store.write { try $0.insert(task) } }
        #expect(try temporary.store.pendingChangeCount() == 1)
    }

    @Test("writes the access mode forbids fail with a typed error and change nothing", arguments: [
        LocalChange(entity: "Project", kind: .insert, values: ["id": UUID().databaseValue, "name": "X".databaseValue]),
        LocalChange(entity: "Comment", kind: .update, values: ["id": UUID().databaseValue, "body": "X".databaseValue]),
        LocalChange(entity: "Comment", kind: .delete, values: ["id": UUID().databaseValue]),
    ])
    func accessModes(change: LocalChange) throws {
        let temporary = try TemporaryStore()
        do {
            try temporary.store.write { try $0.apply(change) }
            Issue.record("the write should have failed")
        } catch let error as SyncStoreError {
            #expect(error.isWriteNotAllowed)
            #expect(error.code == .writeNotAllowed)
            #expect(error.description.contains(change.entity))
        }
        #expect(try temporary.store.pendingChangeCount() == 0)
        #expect(try temporary.store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM project") } == 0)
    }

    @Test("an insert-only entity can be inserted")
    func insertOnly() throws {
        let temporary = try TemporaryStore()
        try temporary.store.write { try $0.insert(Comment(id: UUID(), taskId: UUID(), body: "Done by noon")) }
        #expect(try temporary.store.outboxSummary() == ["Comment insert [id,taskId,body]"])
    }

    @Test("updating or deleting a row that doesn't exist fails")
    func missingRow() throws {
        let temporary = try TemporaryStore()
        let update = #expect(throws: SyncStoreError.self) { try temporary.store.write { try $0.update(TaskItem(title: "Ghost")) } }
        #expect(update?.code == .rowNotFound)
        let delete = #expect(throws: SyncStoreError.self) { try temporary.store.write { try $0.delete(TaskItem(title: "Ghost")) } }
        #expect(delete?.code == .rowNotFound)
    }

    @Test("reads inside a write can't write")
    func readOnlyInsideWrite() throws {
        let temporary = try TemporaryStore()
        #expect(throws: DatabaseError.self) {
            try temporary.store.write { transaction in
                try transaction.read { db in try db.execute(sql: "DELETE FROM task_item") }
            }
        }
    }

    @Test("observation delivers the current value and every committed change, as callbacks and as a sequence")
    func observation() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let received = Locked<[Int]>([])
        let cancellable = store.observe(
            { db in try TaskItem.fetchCount(db) },
            scheduling: .async(onQueue: DispatchQueue(label: "observation")),
            onError: { Issue.record($0) },
            onChange: { count in received.withValue { $0.append(count) } })
        var iterator = store.values { db in try TaskItem.fetchCount(db) }.makeAsyncIterator()
        /// GRDB may repeat a value; wait for the expected one, failing on anything else.
        func next(expecting expected: Int) async throws {
            for _ in 0..<5 {
                let value = try await iterator.next()
                if value == expected { return }
                #expect(value == expected - 1, "unexpected \(String(describing: value))")
            }
            Issue.record("never saw \(expected)")
        }
        try await next(expecting: 0)
        try await store.write { try $0.insert(TaskItem(title: "A")) }
        try await next(expecting: 1)
        try await store.write { try $0.insert(TaskItem(title: "B")) }
        try await next(expecting: 2)
        try await waitUntil("the observation to deliver the count 2") { received.withValue { $0.last } == 2 }
        #expect(received.withValue { $0.first } == 0)
        #expect(received.withValue { $0.last } == 2)
        cancellable.cancel()
    }

    @Test("local write observers hear app writes, not pulled rows")
    func localWriteObserver() throws {
        let temporary = try TemporaryStore()
        let count = Locked(0)
        let observation = temporary.store.addLocalWriteObserver { count.withValue { $0 += 1 } }
        try temporary.store.write { try $0.insert(TaskItem(title: "Mine")) }
        try temporary.store.applyPulledPage(PullResponse(changes: [
            PullChange(entity: "TaskItem", op: .put, key: .string(UUID().uuidString.lowercased()),
                       row: taskRow(UUID(), title: "Theirs"), version: 1),
        ], units: ["work": "1"], more: false), unit: "work")
        try temporary.store.write { _ in }
        #expect(count.withValue { $0 } == 1)
        observation.cancel()
        try temporary.store.write { try $0.insert(TaskItem(title: "Unheard")) }
        #expect(count.withValue { $0 } == 1)
    }

    @Test("purge refuses while the unit has pending changes, unless forced")
    func purge() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        try store.applyPulledPage(PullResponse(changes: [
            PullChange(entity: "Project", op: .put, key: .string(UUID().uuidString.lowercased()),
                       row: ["id": .string(UUID().uuidString.lowercased()), "name": .string("P")], version: 1),
        ], units: ["work": "9"], more: false), unit: "work")
        try store.write { try $0.insert(TaskItem(title: "Pending")) }
        do {
            try store.purge(unit: "work")
            Issue.record("purge should refuse")
        } catch let error as SyncStoreError {
            #expect(error.isPendingChanges)
            #expect(error.code == .pendingChanges)
            #expect(error.code.description == "pendingChanges")
        }
        #expect(try store.tasks().count == 1)
        #expect(try store.cursor(forUnit: "work") == "9")
        try store.purge(unit: "comments")
        try store.purge(unit: "work", force: true)
        #expect(try store.tasks().isEmpty)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM project") } == 0)
        #expect(try store.cursor(forUnit: "work") == nil)
        #expect(try store.pendingChangeCount() == 0)
        let unknown = #expect(throws: SyncStoreError.self) { try store.purge(unit: "nope") }
        #expect(unknown?.code == .unknownUnit)
    }

    @Test("a new schema hash adds columns, resets cursors and keeps rows and pending changes")
    func migration() throws {
        let temporary = try TemporaryStore()
        try temporary.store.write { try $0.insert(TaskItem(title: "Kept")) }
        try temporary.store.applyPulledPage(PullResponse(changes: [], units: ["work": "5"], more: false), unit: "work")
        var model = TestModel.model(hash: "test-hash-2")
        model.entities[1].columns.append(SyncColumn("estimate", .double, nullable: true))
        let reopened = try SyncStore(path: temporary.path, model: model)
        let migratedColumns = try reopened.read { db in try db.columns(in: "task_item").map(\.name) }
        #expect(migratedColumns.contains("estimate"))
        #expect(try reopened.tasks().map(\.title) == ["Kept"])
        #expect(try reopened.pendingChangeCount() == 1)
        #expect(try reopened.cursor(forUnit: "work") == nil)
        #expect(reopened.clientID == temporary.store.clientID)
    }

    @Test("a download from scratch, interrupted and resumed, ends with exactly the rows it delivered and the pending ones")
    func resyncRemovesRowsNotDeliveredAgain() throws {
        let temporary = try TemporaryStore()
        let delivered = UUID(), left = UUID(), pending = UUID()
        let put = { (id: UUID, title: String) in
            PullChange(entity: "TaskItem", op: .put, key: .string(id.uuidString.lowercased()), row: taskRow(id, title: title), version: 1)
        }
        try temporary.store.applyPulledPage(PullResponse(
            changes: [put(delivered, "delivered"), put(left, "left"), put(pending, "pending")],
            units: ["work": "3"], more: false), unit: "work")
        var edited = try #require(try temporary.store.tasks().first { $0.id == pending })
        edited.done = true
        try temporary.store.write { try $0.update(edited) }

        // A model whose work unit selects another column resets its cursor: the next pull starts from scratch.
        var model = TestModel.model(hash: "test-hash-2")
        model.entities[1].columns.append(SyncColumn("estimate", .double, nullable: true))
        var store = try SyncStore(path: temporary.path, model: model)
        try store.applyPulledPage(PullResponse(changes: [put(delivered, "delivered again")], units: ["work": "a"], more: true),
                                  unit: "work")
        // Nothing goes before the download ends.
        #expect(try store.tasks().count == 3)

        // The device is killed and reopened; the download resumes from its cursor.
        store = try SyncStore(path: temporary.path, model: model)
        try store.applyPulledPage(PullResponse(changes: [], units: ["work": "b"], more: false), unit: "work")

        #expect(try store.tasks().map(\.title) == ["delivered again", "pending"])
        #expect(try store.tasks().first { $0.id == pending }?.done == true)
        #expect(try store.pendingChangeCount() == 1)
        #expect(try store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM syncwright_resync") } == 0)

        // An incremental pull afterwards removes nothing it isn't told to.
        try store.applyPulledPage(PullResponse(changes: [], units: ["work": "c"], more: false), unit: "work")
        #expect(try store.tasks().count == 2)
    }

    @Test("a resent operation repeats the values it was first sent with, after the row changed or was deleted")
    func resendRepeatsSentValues() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        var task = TaskItem(title: "First")
        try store.write { try $0.insert(task) }
        let sent = try store.nextPushBatch(limit: 10)
        #expect(sent.first?.values?["title"] == .string("First"))

        // The answer never comes; the row changes, then goes.
        task.title = "Second"
        try store.write { try $0.update(task) }
        var resent = try store.nextPushBatch(limit: 10)
        #expect(resent.map(\.opId) == [sent[0].opId])
        #expect(resent.first?.values == sent.first?.values)
        try store.write { try $0.delete(task) }
        resent = try store.nextPushBatch(limit: 10)
        #expect(resent.map(\.opId) == [sent[0].opId])
        #expect(resent.first?.values == sent.first?.values)
        // insert + (update, delete coalesced into the delete after it): two entries remain.
        #expect(try store.outboxSummary().count == 2)
    }
}
