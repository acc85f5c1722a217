import Foundation
import Syncwright

/// Opens the device's store for the `owner` subset. The entity types (`TodoList`,
/// `TodoItem`) and `TodoOwner.model` are generated from syncwright.yaml by the
/// Syncwright build plugin.
public func openTodoStore(at path: String) throws -> SyncStore {
    try SyncStore(path: path, model: TodoOwner.model)
}
