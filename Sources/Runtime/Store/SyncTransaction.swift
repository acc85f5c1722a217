import Foundation
import GRDB

/// The write side of `SyncStore.write(_:)`: inserts, updates and deletes that each
/// record an outbox entry in the same transaction.
///
/// Pending changes to one row coalesce, so the outbox holds at most one unsent
/// operation per row:
///
/// | pending | then | pending becomes |
/// |---|---|---|
/// | insert | update | insert (with the new values) |
/// | insert | delete | nothing |
/// | update | update | one update (of both changes' columns) |
/// | update | delete | delete |
/// | delete | insert | update (of every column) |
///
/// An operation already sent in a push is never changed: a later change gets an
/// operation of its own.
public struct SyncTransaction {
    /// The underlying connection. Prefer ``read(_:)`` for reads: writing through the
    /// connection directly bypasses the outbox, and the server never hears of it.
    let database: Database
    let store: SyncStore
    let recorder: ChangeRecorder

    /// Reads inside the transaction, with writes forbidden.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try database.readOnly { try body(database) }
    }

    /// Inserts a new row.
    ///
    /// - Throws: GRDB's `DatabaseError` when a row with the same key exists;
    ///   ``SyncStoreError`` when the entity's access mode forbids inserts.
    public func insert<Entity: InsertableSyncEntity>(_ entity: Entity) throws {
        try apply(LocalChange(entity: Entity.Sync.descriptor.name, kind: .insert, values: entity.databaseDictionary))
    }

    /// Updates an existing row; a row whose values didn't change records nothing.
    ///
    /// - Throws: ``SyncStoreError/rowNotFound(entity:key:)`` when the row doesn't exist.
    public func update<Entity: UpdatableSyncEntity>(_ entity: Entity) throws {
        try apply(LocalChange(entity: Entity.Sync.descriptor.name, kind: .update, values: entity.databaseDictionary))
    }

    /// Inserts the row, or updates it when a row with its key exists.
    public func save<Entity: UpdatableSyncEntity>(_ entity: Entity) throws {
        let descriptor = Entity.Sync.descriptor
        let values = try entity.databaseDictionary
        let kind: OperationKind = try exists(descriptor, key: values[descriptor.keyColumn] ?? .null) ? .update : .insert
        try apply(LocalChange(entity: descriptor.name, kind: kind, values: values))
    }

    /// Deletes a row.
    public func delete<Entity: UpdatableSyncEntity>(_ entity: Entity) throws {
        let descriptor = Entity.Sync.descriptor
        let values = try entity.databaseDictionary
        try apply(LocalChange(entity: descriptor.name, kind: .delete, values: [descriptor.keyColumn: values[descriptor.keyColumn] ?? .null]))
    }

    /// Deletes the row with the given key.
    public func delete<Entity: UpdatableSyncEntity>(_ type: Entity.Type, key: some DatabaseValueConvertible) throws {
        let descriptor = Entity.Sync.descriptor
        try apply(LocalChange(entity: descriptor.name, kind: .delete, values: [descriptor.keyColumn: key.databaseValue]))
    }

    /// Applies a change described by entity name and column values: the untyped form
    /// of the methods above, for tools and tests. The entity's access mode is checked
    /// here at run time (the typed methods check it at compile time as well).
    ///
    /// - Throws: ``SyncStoreError`` for an unknown entity, a forbidden write, a missing
    ///   key or row; nothing is written then.
    public func apply(_ change: LocalChange) throws {
        let descriptor = try store.descriptor(change.entity)
        switch change.kind {
        case .insert where !descriptor.access.allowsInsert,
             .update where !descriptor.access.allowsUpdate,
             .delete where !descriptor.access.allowsUpdate:
            throw SyncStoreError.writeNotAllowed(entity: descriptor.name, access: descriptor.access, kind: change.kind)
        default:
            break
        }
        let key = change.values[descriptor.keyColumn] ?? .null
        guard !key.isNull else { throw SyncStoreError.missingKey(entity: descriptor.name) }
        let rowKey = descriptor.key.type.wireValue(fromDatabase: key).jsonText
        let table = descriptor.tableName.quotedDatabaseIdentifier
        let keyColumn = descriptor.keyColumn.quotedDatabaseIdentifier
        let writable = descriptor.writableColumns

        switch change.kind {
        case .insert:
            let names = writable.map(\.name.quotedDatabaseIdentifier).joined(separator: ", ")
            try database.execute(
                sql: "INSERT INTO \(table) (\(names)) VALUES (\(databaseQuestionMarks(count: writable.count)))",
                arguments: StatementArguments(databaseValues: writable.map { change.values[$0.name] ?? .null }))
            try record(descriptor, rowKey: rowKey, kind: .insert, changed: writable.map(\.name), baseVersion: nil)
            try SyncStore.recordAttachmentWrites(database, descriptor, values: change.values)
        case .update:
            guard let current = try Row.fetchOne(database, sql: "SELECT * FROM \(table) WHERE \(keyColumn) = ?", arguments: [key]) else {
                throw SyncStoreError.rowNotFound(entity: descriptor.name, key: rowKey)
            }
            let changed = writable.filter { column in
                column.name != descriptor.keyColumn && change.values[column.name] != nil
                    && change.values[column.name] != (current[column.name] as DatabaseValue?)
            }
            guard !changed.isEmpty else { return }
            try keepSentValues(descriptor, rowKey: rowKey, current: current)
            let assignments = changed.map { "\($0.name.quotedDatabaseIdentifier) = ?" }.joined(separator: ", ")
            try database.execute(
                sql: "UPDATE \(table) SET \(assignments) WHERE \(keyColumn) = ?",
                arguments: StatementArguments(databaseValues: changed.map { change.values[$0.name] ?? .null } + [key]))
            try record(descriptor, rowKey: rowKey, kind: .update, changed: changed.map(\.name),
                       baseVersion: current[SyncEntityDescriptor.versionColumn])
            try SyncStore.recordAttachmentWrites(database, descriptor, values: change.values)
        case .delete:
            guard let current = try Row.fetchOne(database, sql: "SELECT * FROM \(table) WHERE \(keyColumn) = ?", arguments: [key]) else {
                throw SyncStoreError.rowNotFound(entity: descriptor.name, key: rowKey)
            }
            try keepSentValues(descriptor, rowKey: rowKey, current: current)
            try database.execute(sql: "DELETE FROM \(table) WHERE \(keyColumn) = ?", arguments: [key])
            try record(descriptor, rowKey: rowKey, kind: .delete, changed: [],
                       baseVersion: current[SyncEntityDescriptor.versionColumn])
        }
        recorder.record()
    }

    private func exists(_ descriptor: SyncEntityDescriptor, key: DatabaseValue) throws -> Bool {
        try Bool.fetchOne(database, sql: """
            SELECT EXISTS (SELECT 1 FROM \(descriptor.tableName.quotedDatabaseIdentifier) \
            WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?)
            """, arguments: [key]) ?? false
    }

    /// Before the row changes: an operation on it that was sent and not answered keeps
    /// the values it was sent with (the row's columns until now), so a resend repeats
    /// them rather than the row's new values.
    private func keepSentValues(_ descriptor: SyncEntityDescriptor, rowKey: String, current: Row) throws {
        let sent = try Row.fetchAll(database.cachedStatement(sql: """
            SELECT sequence, kind, changedColumns FROM syncwright_outbox
            WHERE entity = ? AND rowKey = ? AND sent = 1 AND sentValues IS NULL AND kind != 'delete'
            """), arguments: [descriptor.name, rowKey])
        for entry in sent {
            let changed = Set(SyncStore.decodeColumns(entry[2]))
            let columns = OperationKind(rawValue: entry[1]) == .insert
                ? descriptor.writableColumns
                : descriptor.writableColumns.filter { changed.contains($0.name) }
            let values = JSONValue.object(Dictionary(uniqueKeysWithValues: columns.map {
                ($0.name, $0.type.wireValue(fromDatabase: current[$0.name] ?? .null))
            }))
            try database.execute(sql: "UPDATE syncwright_outbox SET sentValues = ? WHERE sequence = ?",
                                 arguments: [values.jsonText, entry[0] as Int64])
        }
    }

    /// Records a change in the outbox, coalescing it with the row's unsent operation.
    private func record(
        _ descriptor: SyncEntityDescriptor, rowKey: String, kind: OperationKind, changed: [String], baseVersion: Int64?
    ) throws {
        let pending = try Row.fetchOne(database, sql: """
            SELECT sequence, kind, changedColumns FROM syncwright_outbox
            WHERE entity = ? AND rowKey = ? AND sent = 0 ORDER BY sequence DESC LIMIT 1
            """, arguments: [descriptor.name, rowKey])
        let pendingKind = pending.flatMap { OperationKind(rawValue: $0["kind"]) }
        let sequence: Int64? = pending?["sequence"]
        switch (pendingKind, kind) {
        case (.insert?, .update):
            return
        case (.insert?, .delete):
            try database.execute(sql: "DELETE FROM syncwright_outbox WHERE sequence = ?", arguments: [sequence])
        case (.update?, .update):
            var columns = SyncStore.decodeColumns(pending?["changedColumns"])
            for column in changed where !columns.contains(column) { columns.append(column) }
            let order = descriptor.writableColumns.map(\.name)
            columns.sort { (order.firstIndex(of: $0) ?? 0) < (order.firstIndex(of: $1) ?? 0) }
            try database.execute(sql: "UPDATE syncwright_outbox SET changedColumns = ? WHERE sequence = ?",
                                 arguments: [SyncStore.encodeColumns(columns), sequence])
        case (.update?, .delete):
            try database.execute(sql: "UPDATE syncwright_outbox SET kind = 'delete', changedColumns = '[]' WHERE sequence = ?",
                                 arguments: [sequence])
        case (.delete?, .insert):
            try database.execute(sql: "UPDATE syncwright_outbox SET kind = 'update', changedColumns = ? WHERE sequence = ?",
                                 arguments: [SyncStore.encodeColumns(descriptor.writableColumns.map(\.name)), sequence])
        default:
            try OutboxEntry.append(database, entity: descriptor.name, rowKey: rowKey, kind: kind,
                                   changed: changed, baseVersion: baseVersion)
        }
    }
}

/// A local change by entity name and column values.
public struct LocalChange: Sendable, Hashable {
    /// The entity's name.
    public var entity: String
    /// Insert, update or delete.
    public var kind: OperationKind
    /// Column values; an update sets the columns given; a delete needs only the key.
    public var values: [String: DatabaseValue]

    /// Creates a change.
    public init(entity: String, kind: OperationKind, values: [String: DatabaseValue]) {
        self.entity = entity
        self.kind = kind
        self.values = values
    }
}

/// Writing outbox rows.
enum OutboxEntry {
    static func append(
        _ db: Database, entity: String, rowKey: String, kind: OperationKind, changed: [String], baseVersion: Int64?
    ) throws {
        try db.execute(sql: """
            INSERT INTO syncwright_outbox (opId, entity, rowKey, kind, baseVersion, changedColumns, createdAt)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [OperationID.make(), entity, rowKey, kind.rawValue, baseVersion,
                             SyncStore.encodeColumns(changed), Date().timeIntervalSince1970])
    }
}
