import Foundation
import Syncwright
import Testing
import TodoModel

/// The code the build plugin generated from syncwright.yaml, compiled into TodoModel.
@Suite("Todo model")
struct TodoModelTests {
    @Test("the generated model matches the schema")
    func model() {
        #expect(TodoOwner.model.subset == "owner")
        #expect(TodoOwner.model.entities.map(\.name) == ["TodoList", "TodoItem"])
        #expect(TodoOwner.model.units.map(\.name) == ["todos"])
        #expect(TodoItemSync.descriptor.conflictPolicy == .lastWriteWins)
    }

    @Test("lists and todos are written to the store and the outbox")
    func writes() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "todo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try openTodoStore(at: folder.appending(path: "todo.sqlite").path())
        let list = TodoList(id: UUID(), ownerId: UUID(), title: "Groceries")
        var item = TodoItem(id: UUID(), listId: list.id, title: "Milk", position: 1)
        try store.write { transaction in
            try transaction.insert(list)
            try transaction.insert(item)
        }
        item.done = true
        try store.write { try $0.update(item) }
        #expect(try store.pendingChanges().map(\.entity) == ["TodoList", "TodoItem"])
        let stored = try store.read { try TodoItem.filter(TodoItem.Columns.done == true).fetchAll($0) }
        #expect(stored.map(\.title) == ["Milk"])
    }
}
