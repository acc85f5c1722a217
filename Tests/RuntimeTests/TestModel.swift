import Foundation
import GRDB
@testable import Syncwright

// Hand-written conformances, exactly the shape `syncwright generate` emits.

/// A read-write entity with an include.
struct TaskItem: Codable, Sendable, Hashable, UpdatableSyncEntity {
    typealias Sync = TaskItemSync
    var id: UUID
    var title: String
    var done: Bool
    var priority: Int
    var dueOn: SyncDate?
    var projectId: UUID?
    /// Include: `project.name`, read-only.
    let projectName: String?

    init(id: UUID = UUID(), title: String, done: Bool = false, priority: Int = 1, dueOn: SyncDate? = nil,
         projectId: UUID? = nil, projectName: String? = nil) {
        self.id = id
        self.title = title
        self.done = done
        self.priority = priority
        self.dueOn = dueOn
        self.projectId = projectId
        self.projectName = projectName
    }
}

enum TaskItemSync: WritableEntitySync {
    typealias Entity = TaskItem
    static let descriptor = SyncEntityDescriptor(
        name: "TaskItem", tableName: "task_item", keyColumn: "id",
        columns: [
            SyncColumn("id", .uuid), SyncColumn("title", .string), SyncColumn("done", .bool),
            SyncColumn("priority", .int), SyncColumn("dueOn", .date, nullable: true),
            SyncColumn("projectId", .uuid, nullable: true),
            SyncColumn("projectName", .string, nullable: true, include: true),
        ],
        access: .readWrite, conflictPolicy: .serverWins, unit: "work", priority: 1)
}

/// A read-only entity: no write API.
struct Project: Codable, Sendable, Hashable, SyncEntity {
    typealias Sync = ProjectSync
    var id: UUID
    var name: String
}

enum ProjectSync: EntitySync {
    typealias Entity = Project
    static let descriptor = SyncEntityDescriptor(
        name: "Project", tableName: "project", keyColumn: "id",
        columns: [SyncColumn("id", .uuid), SyncColumn("name", .string)],
        access: .readOnly, unit: "work", priority: 0)
}

/// An insert-only entity.
struct Comment: Codable, Sendable, Hashable, InsertableSyncEntity {
    typealias Sync = CommentSync
    var id: UUID
    var taskId: UUID
    var body: String
}

enum CommentSync: WritableEntitySync {
    typealias Entity = Comment
    static let descriptor = SyncEntityDescriptor(
        name: "Comment", tableName: "comment", keyColumn: "id",
        columns: [SyncColumn("id", .uuid), SyncColumn("taskId", .uuid, references: "TaskItem"), SyncColumn("body", .string)],
        access: .insertOnly, unit: "comments", priority: 2)
}

enum TestModel {
    /// The test subset; the task entity's conflict policy varies by test.
    static func model(conflictPolicy: SyncConflictPolicy = .serverWins, hash: String = "test-hash-1") -> SyncModel {
        var task = TaskItemSync.descriptor
        task.conflictPolicy = conflictPolicy
        return SyncModel(schemaName: "Tasks", subset: "member", schemaHash: hash,
                         entities: [ProjectSync.descriptor, task, CommentSync.descriptor])
    }
}

/// A store in a fresh temporary folder, removed when the test's value goes away.
final class TemporaryStore: @unchecked Sendable {
    let folder: URL
    let store: SyncStore

    init(model: SyncModel = TestModel.model()) throws {
        folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SyncStore(path: folder.appending(path: "store.sqlite").path(), model: model)
    }

    var path: String { folder.appending(path: "store.sqlite").path() }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

extension SyncStore {
    /// The outbox as (kind, changed columns) per row, oldest first.
    func outboxSummary() throws -> [String] {
        try pendingChanges().map { "\($0.entity) \($0.kind.rawValue) [\($0.changedColumns.joined(separator: ","))]" }
    }

    func tasks() throws -> [TaskItem] {
        try read { db in try TaskItem.order(Column("title")).fetchAll(db) }
    }
}
