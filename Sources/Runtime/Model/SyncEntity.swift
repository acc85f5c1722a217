import GRDB

/// The version of the runtime API that generated code is written against. Generated
/// code checks it at compile time, so a generator and runtime that don't match fail
/// the build with a clear message instead of misbehaving.
public enum SyncwrightRuntimeAPIVersion {
    /// The current API version.
    public static let current = 2
}

/// Code generated for API version 1 refers to this type. Version 2 only added to it
/// (typed Sync actions, hooks and queries), so this runtime still builds that code.
public enum SyncwrightRuntimeAPIVersion1 {}

/// Generated code refers to this type; it exists only in runtimes with API version 2.
public enum SyncwrightRuntimeAPIVersion2 {}

/// A local entity: a plain `Codable` struct that the device stores and reads.
///
/// Reading works as with any GRDB record (`try WorkOrder.fetchAll(db)`). Writing goes
/// through ``SyncTransaction``, which records the change in the outbox; and only
/// entities that also conform to ``InsertableSyncEntity`` or ``UpdatableSyncEntity``
/// can be written there at all, so writing a read-only entity doesn't compile.
public protocol SyncEntity: Codable, Sendable, FetchableRecord, TableRecord, EncodableRecord {
    /// The entity's per-entity Sync action.
    associatedtype Sync: EntitySync where Sync.Entity == Self
}

/// An entity the device may insert (`insert-only` or `read-write` in its subset).
public protocol InsertableSyncEntity: SyncEntity {}

/// An entity the device may insert, update and delete (`read-write`).
public protocol UpdatableSyncEntity: InsertableSyncEntity {}

/// The per-entity Sync action: how one entity's rows travel between the server, the
/// local table and the outbox.
public protocol EntitySync: Sendable {
    /// The local entity type.
    associatedtype Entity: SyncEntity
    /// The entity's table, columns and sync settings.
    static var descriptor: SyncEntityDescriptor { get }
}

extension EntitySync {
    /// The local table's `CREATE TABLE` statement.
    public static var createTableSQL: String { descriptor.createTableSQL }

    /// Decodes a server row (wire values by column name) into database values in
    /// ``SyncEntityDescriptor/columns`` order. Missing columns are null.
    public static func databaseValues(fromServerRow row: [String: JSONValue]) throws(SyncValueError) -> [DatabaseValue] {
        try descriptor.columns.map { column throws(SyncValueError) in
            try column.type.databaseValue(fromWire: row[column.name] ?? .null)
        }
    }

    /// Encodes a local entity as wire values by column name: what a push sends.
    public static func wireValues(from entity: Entity) throws -> [String: JSONValue] {
        let values = try entity.databaseDictionary
        var result: [String: JSONValue] = [:]
        for column in descriptor.writableColumns {
            result[column.name] = column.type.wireValue(fromDatabase: values[column.name] ?? .null)
        }
        return result
    }
}

extension SyncEntity {
    /// The local table of the entity.
    public static var databaseTableName: String { Sync.descriptor.tableName }

}
