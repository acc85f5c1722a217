import Foundation
import GRDB

/// A change of one entity waiting in the outbox, with the row as the device has it.
public struct PendingEntityChange<Entity: SyncEntity>: Sendable {
    /// The row's key.
    public var key: SyncKey
    /// Insert, update or delete.
    public var kind: OperationKind
    /// The columns it changes.
    public var changedColumns: [String]
    /// Whether it was sent and its answer hasn't been applied yet.
    public var isInFlight: Bool
    /// When it was made.
    public var createdAt: Date
    /// The row as the device has it now (nil once the device deleted it).
    public var row: Entity?
}

/// A change of one entity the server refused, with the row as the device has it.
public struct RefusedEntityChange<Entity: SyncEntity>: Sendable {
    /// The refusal as the store keeps it: ``SyncStore/retry(_:)`` and
    /// ``SyncStore/discard(_:)`` take it.
    public var change: RejectedChange
    /// The row as the device has it (nil for a refused delete, or a row gone since).
    public var row: Entity?

    /// The row's key.
    public var key: SyncKey { change.row.key }
    /// Why the server refused it, as a machine code.
    public var code: RefusalCode { change.code }
    /// Why the server refused it, for people.
    public var reason: String { change.reason }
}

/// A conflict kept for the app under the `manual` policy, with both versions of the row
/// as entity values.
public struct EntityConflict<Entity: SyncEntity>: Sendable {
    /// The conflict as the store keeps it.
    public var conflict: SyncConflict
    /// The row's key.
    public var key: SyncKey
    /// What the device did.
    public var kind: OperationKind { conflict.kind }
    /// The device's row (nil if the device deleted it).
    public var local: Entity?
    /// The server's row (nil if the server deleted it).
    public var server: Entity?

    /// Settles the conflict: ``ConflictResolution/keepLocal`` pushes the device's row
    /// again over the server's version, ``ConflictResolution/keepServer`` puts the
    /// server's row back.
    public func resolve(_ resolution: ConflictResolution, in store: SyncStore) throws {
        try store.resolve(conflict, resolution)
    }

    /// Settles the conflict with a row the app merged from both versions: it is saved
    /// locally and pushed over the server's version.
    public func resolve(merging merged: Entity, in store: SyncStore) throws {
        try store.resolve(conflict, merging: try merged.databaseDictionary)
    }
}

extension EntitySync {
    /// The entity's changes waiting in the outbox, oldest first. Usable in a GRDB
    /// `ValueObservation` to keep a list or a badge up to date:
    ///
    ///     ValueObservation.tracking { db in try WorkOrderSync.pending(db) }
    public static func pending(_ db: Database) throws -> [PendingEntityChange<Entity>] {
        let keyType = descriptor.key.type
        return try Row.fetchAll(db, sql: """
            SELECT rowKey, kind, changedColumns, sent, createdAt FROM syncwright_outbox WHERE entity = ? ORDER BY sequence
            """, arguments: [descriptor.name]).map { record in
            let key = try JSONValue(jsonText: record["rowKey"])
            return PendingEntityChange(
                key: SyncKey(key, type: keyType), kind: OperationKind(rawValue: record["kind"]) ?? .update,
                changedColumns: SyncStore.decodeColumns(record["changedColumns"]), isInFlight: record["sent"],
                createdAt: Date(timeIntervalSince1970: record["createdAt"]), row: try localEntity(db, key: key))
        }
    }

    /// The entity's changes waiting in `store`'s outbox, oldest first.
    public static func pending(in store: SyncStore) throws -> [PendingEntityChange<Entity>] {
        try store.pool.read { db in try pending(db) }
    }

    /// The entity's changes the server refused, oldest first, each with the row as the
    /// device has it: what a list shows as "refused: out of stock".
    public static func refused(_ db: Database) throws -> [RefusedEntityChange<Entity>] {
        try SyncStore.rejectedChanges(db, entity: descriptor.name) { _ in descriptor.key.type }.map { change in
            RefusedEntityChange(change: change, row: try localEntity(db, key: change.key))
        }
    }

    /// The entity's changes `store`'s server refused, oldest first.
    public static func refused(in store: SyncStore) throws -> [RefusedEntityChange<Entity>] {
        try store.pool.read { db in try refused(db) }
    }

    /// The entity's conflicts kept for the app (`manual` policy), oldest first.
    public static func conflicts(_ db: Database) throws -> [EntityConflict<Entity>] {
        try SyncStore.conflicts(db, entity: descriptor.name).map { conflict in
            try EntityConflict(conflict: conflict, key: SyncKey(conflict.key, type: descriptor.key.type),
                               local: localEntity(db, key: conflict.key),
                               server: conflict.serverValues.map { try entity(fromServerRow: $0, version: conflict.serverVersion) })
        }
    }

    /// The entity's conflicts kept in `store` for the app, oldest first.
    public static func conflicts(in store: SyncStore) throws -> [EntityConflict<Entity>] {
        try store.pool.read { db in try conflicts(db) }
    }

    /// The local row with `key` (a wire value), if the device has it.
    static func localEntity(_ db: Database, key: JSONValue) throws -> Entity? {
        guard let key = try? descriptor.key.type.databaseValue(fromWire: key) else { return nil }
        return try Entity.fetchOne(db, sql: """
            SELECT * FROM \(descriptor.tableName.quotedDatabaseIdentifier) WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?
            """, arguments: [key])
    }

    /// A row the server sent (wire values by column name) as an entity value.
    static func entity(fromServerRow row: [String: JSONValue], version: Int64?) throws -> Entity {
        try entity(fromColumns: serverColumns(row, version: version))
    }

    /// A server row's values by local column, the version and update time included.
    static func serverColumns(_ row: [String: JSONValue], version: Int64?) throws -> [String: DatabaseValue] {
        try SyncStore.serverColumns(descriptor, row, version: version)
    }

    /// Values by local column as an entity value.
    static func entity(fromColumns columns: [String: DatabaseValue]) throws -> Entity {
        try Entity(row: Row(columns))
    }
}

extension SyncStore {
    /// A server row's values by local column, the version and update time included.
    static func serverColumns(
        _ descriptor: SyncEntityDescriptor, _ row: [String: JSONValue], version: Int64?
    ) throws -> [String: DatabaseValue] {
        var values: [DatabaseValue] = []
        try appendServerRowValues(descriptor, row: row, version: version, to: &values)
        let names = descriptor.columns.map(\.name) + [SyncEntityDescriptor.versionColumn, SyncEntityDescriptor.updatedAtColumn]
        return Dictionary(zip(names, values), uniquingKeysWith: { first, _ in first })
    }
}
