import Foundation
import GRDB
import Testing
@testable import Syncwright

/// The store opened with another model than the one it was last opened with.
@Suite("Local migrations across models")
struct ModelMigrationTests {
    /// The test model with the task entity's columns changed by `edit`.
    static func model(_ hash: String, _ edit: (inout SyncEntityDescriptor) -> Void = { _ in }) -> SyncModel {
        var model = TestModel.model(hash: hash)
        edit(&model.entities[1])
        return model
    }

    static func columns(_ store: SyncStore, _ table: String = "task_item") throws -> [String: (type: String, notNull: Bool)] {
        try store.read { db in
            var columns: [String: (type: String, notNull: Bool)] = [:]
            for column in try db.columns(in: table) { columns[column.name] = (column.type, column.isNotNull) }
            return columns
        }
    }

    static func storedHash(_ store: SyncStore) throws -> String? {
        try store.read { try String.fetchOne($0, sql: "SELECT value FROM syncwright_metadata WHERE key = 'schemaHash'") }
    }

    static func put(_ id: UUID, _ row: [String: JSONValue]) -> PullChange {
        PullChange(entity: "TaskItem", op: .put, key: .string(id.uuidString.lowercased()), row: row, version: 1)
    }

    @Test("A → B → A migrates each time: the column comes and goes, cursors reset, the stored hash follows")
    func backAndForth() throws {
        let temporary = try TemporaryStore(model: Self.model("hash-a"))
        try temporary.store.write { try $0.insert(TaskItem(title: "Kept")) }
        try temporary.store.applyPulledPage(PullResponse(changes: [], units: ["work": "5"], more: false), unit: "work")
        let b = Self.model("hash-b") { $0.columns.append(SyncColumn("estimate", .double, nullable: true)) }

        let onB = try SyncStore(path: temporary.path, model: b)
        #expect(try Self.columns(onB)["estimate"] != nil)
        #expect(try onB.cursor(forUnit: "work") == nil)
        #expect(try Self.storedHash(onB) == "hash-b")
        try onB.applyPulledPage(PullResponse(changes: [], units: ["work": "6"], more: false), unit: "work")

        let backOnA = try SyncStore(path: temporary.path, model: Self.model("hash-a"))
        #expect(try Self.columns(backOnA)["estimate"] == nil)
        #expect(try backOnA.cursor(forUnit: "work") == nil)
        #expect(try Self.storedHash(backOnA) == "hash-a")
        #expect(try backOnA.tasks().map(\.title) == ["Kept"])
        #expect(try backOnA.pendingChangeCount() == 1)
        #expect(backOnA.clientID == temporary.store.clientID)

        // Opening again with the same model changes nothing.
        try backOnA.applyPulledPage(PullResponse(changes: [], units: ["work": "7"], more: false), unit: "work")
        let again = try SyncStore(path: temporary.path, model: Self.model("hash-a"))
        #expect(try again.cursor(forUnit: "work") == "7")
    }

    @Test("only the units whose entities or columns changed download again; a store from before unit digests resets every unit")
    func onlyChangedUnitsDownloadAgain() throws {
        let temporary = try TemporaryStore(model: Self.model("hash-a"))
        try temporary.store.applyPulledPage(PullResponse(changes: [], units: ["work": "5"], more: false), unit: "work")
        try temporary.store.applyPulledPage(PullResponse(changes: [], units: ["comments": "9"], more: false), unit: "comments")

        // Another schema hash (a field elsewhere in the schema) with the same units: both cursors stay.
        let sameUnits = try SyncStore(path: temporary.path, model: Self.model("hash-b"))
        #expect(try sameUnits.cursor(forUnit: "work") == "5")
        #expect(try sameUnits.cursor(forUnit: "comments") == "9")

        // A column more in the work unit: it downloads again, comments goes on.
        let c = Self.model("hash-c") { $0.columns.append(SyncColumn("estimate", .double, nullable: true)) }
        let onC = try SyncStore(path: temporary.path, model: c)
        #expect(try onC.cursor(forUnit: "work") == nil)
        #expect(try onC.cursor(forUnit: "comments") == "9")

        // A store migrated before unit digests were recorded knows no unit's: all download again.
        try onC.applyPulledPage(PullResponse(changes: [], units: ["work": "6"], more: false), unit: "work")
        try onC.pool.write { try $0.execute(sql: "DELETE FROM syncwright_metadata WHERE key = 'unitDigests'") }
        let onD = try SyncStore(path: temporary.path, model: Self.model("hash-d"))
        #expect(try onD.cursor(forUnit: "work") == nil)
        #expect(try onD.cursor(forUnit: "comments") == nil)

        // Opened again with the same model, such a store records the digests: the next
        // model resets only what it changes.
        try onD.applyPulledPage(PullResponse(changes: [], units: ["work": "7"], more: false), unit: "work")
        try onD.applyPulledPage(PullResponse(changes: [], units: ["comments": "8"], more: false), unit: "comments")
        try onD.pool.write { try $0.execute(sql: "DELETE FROM syncwright_metadata WHERE key = 'unitDigests'") }
        _ = try SyncStore(path: temporary.path, model: Self.model("hash-d"))
        let onE = try SyncStore(path: temporary.path, model: c)
        #expect(try onE.cursor(forUnit: "work") == nil)
        #expect(try onE.cursor(forUnit: "comments") == "8")
    }

    @Test("a dropped NOT NULL column rebuilds the table: rows kept, later upserts without it succeed")
    func droppedRequiredColumn() throws {
        let temporary = try TemporaryStore(model: Self.model("hash-a"))
        let id = UUID()
        try temporary.store.applyPulledPage(PullResponse(changes: [Self.put(id, taskRow(id, title: "Pulled", priority: 3))],
                                                         units: ["work": "1"], more: false), unit: "work")
        #expect(try Self.columns(temporary.store)["priority"]?.notNull == true)
        let b = Self.model("hash-b") { $0.columns.removeAll { $0.name == "priority" } }
        let store = try SyncStore(path: temporary.path, model: b)
        let columns = try Self.columns(store)
        #expect(columns["priority"] == nil)
        #expect(columns["title"]?.notNull == true)
        #expect(try store.read { try String.fetchOne($0, sql: "SELECT title FROM task_item") } == "Pulled")
        var row = taskRow(id, title: "Pulled again")
        row["priority"] = nil
        try store.applyPulledPage(PullResponse(changes: [Self.put(id, row)], units: ["work": "2"], more: false), unit: "work")
        #expect(try store.read { try String.fetchOne($0, sql: "SELECT title FROM task_item") } == "Pulled again")
    }

    @Test("a pending change to a dropped column moves to rejected changes with its value and a reason")
    func pendingChangeToDroppedColumn() throws {
        let temporary = try TemporaryStore(model: Self.model("hash-a"))
        let id = UUID()
        try temporary.store.applyPulledPage(PullResponse(changes: [Self.put(id, taskRow(id, title: "Row"))],
                                                         units: ["work": "1"], more: false), unit: "work")
        var task = try #require(try temporary.store.tasks().first)
        task.priority = 9
        try temporary.store.write { try $0.update(task) }
        let inserted = TaskItem(title: "New", priority: 4)
        try temporary.store.write { try $0.insert(inserted) }
        #expect(try temporary.store.pendingChangeCount() == 2)

        let b = Self.model("hash-b") { $0.columns.removeAll { $0.name == "priority" } }
        let store = try SyncStore(path: temporary.path, model: b)
        let rejected = try store.rejectedChanges()
        #expect(rejected.count == 2)
        let update = try #require(rejected.first { $0.kind == .update })
        #expect(update.code == "field_removed")
        #expect(update.values == ["priority": .integer(9)])
        #expect(update.reason.contains("no longer has field 'priority' of TaskItem"))
        let insert = try #require(rejected.first { $0.kind == .insert })
        #expect(insert.values == ["priority": .integer(4)])
        // The update had nothing else to send and left the outbox; the insert goes without the field.
        #expect(try store.pendingChangeCount() == 1)
        let batch = try store.nextPushBatch(limit: 10)
        #expect(batch.map(\.kind) == [.insert])
        #expect(batch.first?.values?["priority"] == nil)
        #expect(batch.first?.values?["title"] == .string("New"))
    }

    @Test("a retyped column and one that may now be null rebuild the table and keep the rows")
    func retypedColumn() throws {
        let temporary = try TemporaryStore(model: Self.model("hash-a"))
        let id = UUID()
        var row = taskRow(id, title: "Row", priority: 2)
        row["dueOn"] = .string("2024-05-01")
        try temporary.store.applyPulledPage(PullResponse(changes: [Self.put(id, row)], units: ["work": "1"], more: false), unit: "work")
        let b = Self.model("hash-b") { entity in
            entity.columns = entity.columns.map { column in
                switch column.name {
                case "priority": SyncColumn("priority", .double)
                case "title": SyncColumn("title", .string, nullable: true)
                default: column
                }
            }
        }
        let store = try SyncStore(path: temporary.path, model: b)
        let columns = try Self.columns(store)
        #expect(columns["priority"]?.type == ColumnType.double.localSQLType)
        #expect(columns["title"]?.notNull == false)
        let kept = try store.read { db in try Row.fetchOne(db, sql: "SELECT title, priority, dueOn FROM task_item") }
        #expect(kept?["title"] == "Row")
        #expect(kept?["priority"] == 2.0)
        #expect(kept?["dueOn"] == "2024-05-01")
    }

    @Test("a new entity gets its table; an entity the model no longer has loses its table and its pending changes are rejected")
    func entitiesComeAndGo() throws {
        let temporary = try TemporaryStore(model: Self.model("hash-a"))
        try temporary.store.write { try $0.insert(Comment(id: UUID(), taskId: UUID(), body: "queued")) }
        var b = TestModel.model(hash: "hash-b")
        b.entities.removeAll { $0.name == "Comment" }
        let store = try SyncStore(path: temporary.path, model: b)
        #expect(try store.read { try $0.tableExists("comment") } == false)
        #expect(try store.pendingChangeCount() == 0)
        let rejected = try store.rejectedChanges()
        #expect(rejected.map(\.code) == ["entity_removed"])
        #expect(rejected.first?.entity == "Comment")

        let back = try SyncStore(path: temporary.path, model: Self.model("hash-a"))
        #expect(try back.read { try $0.tableExists("comment") })
        #expect(try back.cursor(forUnit: "work") == nil)
    }

    @Test("an entity whose table was renamed keeps its rows and pending changes under the new name")
    func renamedTable() throws {
        let temporary = try TemporaryStore(model: Self.model("hash-a"))
        try temporary.store.write { try $0.insert(TaskItem(title: "Kept")) }
        let renamed = Self.model("hash-b") { $0.tableName = "tasks" }
        let store = try SyncStore(path: temporary.path, model: renamed)
        #expect(try store.read { try $0.tableExists("task_item") } == false)
        #expect(try store.read { try String.fetchAll($0, sql: "SELECT title FROM tasks") } == ["Kept"])
        #expect(try store.nextPushBatch(limit: 10).first?.values?["title"] == .string("Kept"))
    }
}
