import Foundation
import GRDB
import Syncwright
import SyncwrightSchema

/// One device: a real store and engine, killed and reopened as the seed says, making
/// random local changes that its subset allows.
final class SimulatedDevice {
    let world: SimulationWorld
    let index: Int
    let path: String
    private(set) var store: SyncStore
    private(set) var engine: SyncEngine

    init(world: SimulationWorld, index: Int) throws {
        self.world = world
        self.index = index
        path = world.folder.appending(path: "device-\(index).sqlite").path
        (store, engine) = try Self.open(world: world, index: index, path: path)
    }

    private static func open(world: SimulationWorld, index: Int, path: String) throws -> (SyncStore, SyncEngine) {
        let store = try SyncStore(path: path, model: world.configuration.model)
        let retry = RetryPolicy(maximumAttempts: 3, initialDelay: .milliseconds(1), maximumDelay: .milliseconds(1)) { _ in }
        let engine = SyncEngine(store: store, transport: SimulatedTransport(world: world, device: index),
                                configuration: SyncConfiguration(syncOnStart: false, syncOnReconnect: false,
                                                                 pushBatchSize: 3, pullPageSize: 5, retry: retry))
        return (store, engine)
    }

    /// Closes the store as a killed process leaves it and opens it again.
    func reopen() throws {
        (store, engine) = try Self.open(world: world, index: index, path: path)
    }

    /// Syncs; false when the device was killed during it.
    func sync() async throws -> Bool {
        world.count(\.syncs)
        do {
            let report = try await engine.sync()
            world.trace(index, "synced: \(report.pushed) pushed, \(report.conflicts) conflicts, \(report.rejected) rejected")
            return true
        } catch is SimulatedKill {
            world.count(\.failedSyncs)
            return false
        } catch {
            world.count(\.failedSyncs)
            world.trace(index, "sync failed: \(error)")
            return true
        }
    }

    // MARK: - Local changes

    /// Inserts, updates or deletes a row the device may write, as the seed says.
    func editSomething() async throws {
        let model = world.configuration.model
        let writable = model.entities.filter { $0.access != .readOnly }
        guard !writable.isEmpty else { return }
        let (descriptor, choice) = world.draw { random in
            (writable.randomElement(using: &random)!, Int.random(in: 0..<10, using: &random))
        }
        guard let entity = world.configuration.schema.entity(named: descriptor.name) else { return }
        let keys = try heldKeys(descriptor)
        if descriptor.access.allowsInsert && (choice < 3 || keys.isEmpty || !descriptor.access.allowsUpdate) {
            try await insert(descriptor, entity)
        } else if descriptor.access.allowsUpdate, !keys.isEmpty {
            let key = world.draw { keys.randomElement(using: &$0)! }
            if choice == 9 {
                try await delete(descriptor, key: key)
            } else {
                try await update(descriptor, entity, key: key)
            }
        }
    }

    private func insert(_ descriptor: SyncEntityDescriptor, _ entity: Entity) async throws {
        guard let key = world.draw({ SimulatedValues.newKey(entity.keyField, random: &$0) }) else { return }
        var values: [String: JSONValue] = [descriptor.keyColumn: key]
        for column in descriptor.writableColumns where column.name != descriptor.keyColumn {
            guard let field = entity.field(named: column.name) else { return }
            let candidates = try await candidates(for: field)
            guard let value = world.draw({ SimulatedValues.value(for: field, candidates: candidates, random: &$0) }) else { return }
            values[column.name] = value
        }
        try await write(descriptor, kind: .insert, key: key, values: values)
    }

    private func update(_ descriptor: SyncEntityDescriptor, _ entity: Entity, key: JSONValue) async throws {
        let columns = descriptor.writableColumns.filter { $0.name != descriptor.keyColumn && $0.type != .json }
        guard !columns.isEmpty else { return }
        let chosen = world.draw { random in
            Array(columns.shuffled(using: &random).prefix(Int.random(in: 1...2, using: &random)))
        }
        var values: [String: JSONValue] = [descriptor.keyColumn: key]
        for column in chosen {
            guard let field = entity.field(named: column.name) else { continue }
            let candidates = try await candidates(for: field)
            if let value = world.draw({ SimulatedValues.value(for: field, candidates: candidates, random: &$0) }) {
                values[column.name] = value
            }
        }
        // Only the columns whose value changes are a change.
        let current = try localRow(descriptor, key: key)
        let changed = values.filter { $0.key != descriptor.keyColumn && current?[$0.key] != $0.value }
        guard !changed.isEmpty else { return }
        try await write(descriptor, kind: .update, key: key, values: changed.merging([descriptor.keyColumn: key]) { new, _ in new })
    }

    private func delete(_ descriptor: SyncEntityDescriptor, key: JSONValue) async throws {
        try await write(descriptor, kind: .delete, key: key, values: [descriptor.keyColumn: key])
    }

    private func write(_ descriptor: SyncEntityDescriptor, kind: OperationKind, key: JSONValue, values: [String: JSONValue]) async throws {
        var database: [String: DatabaseValue] = [:]
        var wire: [String: JSONValue] = [:]
        for (name, value) in values {
            guard let column = descriptor.columns.first(where: { $0.name == name }) else { continue }
            let stored = try column.type.databaseValue(fromWire: value)
            database[name] = stored
            if name != descriptor.keyColumn { wire[name] = column.type.wireValue(fromDatabase: stored) }
        }
        let change = LocalChange(entity: descriptor.name, kind: kind, values: database)
        try await store.write { try $0.apply(change) }
        // The key as the store writes it in its outbox, and as the server answers with it.
        let canonicalKey = descriptor.key.type.wireValue(fromDatabase: try descriptor.key.type.databaseValue(fromWire: key))
        let row = RowID(entity: descriptor.name, key: canonicalKey.jsonText)
        if kind == .insert { wire[descriptor.keyColumn] = canonicalKey }
        world.recordLocal(device: index, row: row, kind: kind, values: wire)
        world.count(\.localChanges)
        world.trace(index, "\(kind.rawValue) \(row) \(wire.filter { $0.key != descriptor.keyColumn }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.jsonText)" }.joined(separator: " "))")
    }

    /// Values a reference may take: keys of the target the device holds, and now and
    /// then one it doesn't (another user's row), which the server should refuse.
    private func candidates(for field: Field) async throws -> [JSONValue] {
        guard let target = field.reference?.targetEntity else { return [] }
        var keys: [JSONValue] = []
        if let local = world.configuration.model.entities.first(where: { $0.name == target }) {
            keys = try heldKeys(local)
        }
        if keys.isEmpty || world.draw({ $0.chance(0.1) }) {
            keys += try await world.serverKeys(target)
        }
        return keys
    }

    func heldKeys(_ descriptor: SyncEntityDescriptor) throws -> [JSONValue] {
        try store.read { db in
            try DatabaseValue.fetchAll(db, sql: """
                SELECT \(descriptor.keyColumn.quotedDatabaseIdentifier) FROM \(descriptor.tableName.quotedDatabaseIdentifier) ORDER BY 1
                """).map { descriptor.key.type.wireValue(fromDatabase: $0) }
        }
    }

    /// The device's row in wire form, includes and version too.
    func localRow(_ descriptor: SyncEntityDescriptor, key: JSONValue) throws -> [String: JSONValue]? {
        try store.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT * FROM \(descriptor.tableName.quotedDatabaseIdentifier) WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?
                """, arguments: [try descriptor.key.type.databaseValue(fromWire: key)]) else { return nil }
            var values: [String: JSONValue] = [:]
            for column in descriptor.columns { values[column.name] = column.type.wireValue(fromDatabase: row[column.name] ?? .null) }
            values["version"] = (row["version"] as Int64?).map { .integer($0) } ?? .null
            return values
        }
    }

    /// Every row the device holds, in wire form.
    func allRows() throws -> [RowID: [String: JSONValue]] {
        var rows: [RowID: [String: JSONValue]] = [:]
        for descriptor in world.configuration.model.entities {
            for key in try heldKeys(descriptor) {
                rows[RowID(entity: descriptor.name, key: key.jsonText)] = try localRow(descriptor, key: key)
            }
        }
        return rows
    }
}
