import Foundation
import GRDB

/// Brings the subset's tables from the model the store was last opened with to the
/// model it is opened with now, keyed by the stored schema hash rather than by the
/// identity of a migration, so going from A to B and back to A migrates twice.
///
/// Nothing is lost: rows stay (the next sync refreshes them), pending changes stay, and a
/// pending change to a field the new model doesn't have is moved to the rejected changes
/// with a reason instead of being dropped.
///
/// - A new entity gets its table. A new column is added (nullable until the next pull
///   fills it in).
/// - A dropped column, a column whose type changed, or one that may now be null rebuilds
///   the table the way SQLite documents: a new table, the rows copied, the old table
///   dropped, the new one renamed.
/// - An entity the model no longer has loses its table; its pending changes are rejected.
///   An entity whose table was renamed keeps its rows under the new name.
/// - A unit whose entities or columns changed (``unitDigests(_:)``) downloads again from
///   the start; a download from scratch ends by removing the rows it didn't deliver
///   again (see `SyncStore.applyPulledPage`). Every other unit keeps its cursor: the
///   server sends a changed filter's difference as removes and puts, or asks for the
///   unit again (`410 resync_required`) when it filed the unit from scratch.
enum ModelMigration {
    /// The code of a rejected change the migration made.
    static let fieldRemovedCode = "field_removed"
    /// The code of a rejected change to an entity the model no longer has.
    static let entityRemovedCode = "entity_removed"

    /// Migrates when the stored schema hash differs from the model's.
    static func migrate(_ db: Database, to model: SyncModel) throws {
        let stored = try String.fetchOne(db, sql: "SELECT value FROM syncwright_metadata WHERE key = 'schemaHash'")
        if stored == model.schemaHash {
            for entity in model.entities where try !db.tableExists(entity.tableName) {
                try db.execute(sql: entity.createTableSQL)
            }
            // A store migrated before unit digests were kept records them now, so the next
            // model resets only the units it changes.
            try recordUnitDigests(db, unitDigests(model), replacing: false)
            return
        }
        let now = Date().timeIntervalSince1970
        let previousTables = try storedTables(db)
        for (entity, table) in previousTables.sorted(by: { $0.key < $1.key })
        where !model.entities.contains(where: { $0.name == entity }) {
            try rejectPendingChanges(db, entity: entity, at: now)
            if try db.tableExists(table), !model.entities.contains(where: { $0.tableName == table }) {
                try db.execute(sql: "DROP TABLE \(table.quotedDatabaseIdentifier)")
            }
        }
        for entity in model.entities {
            // An entity whose table was renamed keeps its rows under the new name.
            if let previous = previousTables[entity.name], previous != entity.tableName,
               try db.tableExists(previous), try !db.tableExists(entity.tableName),
               !model.entities.contains(where: { $0.tableName == previous }) {
                try db.execute(sql: "ALTER TABLE \(previous.quotedDatabaseIdentifier) RENAME TO \(entity.tableName.quotedDatabaseIdentifier)")
            }
            guard try db.tableExists(entity.tableName) else {
                try db.execute(sql: entity.createTableSQL)
                continue
            }
            try migrateTable(db, entity, at: now)
        }
        // A unit whose entities or columns changed downloads again, and the download's
        // end removes what the new model doesn't select; the others keep their cursors
        // (a changed filter reaches them from the server as removes and puts).
        let digests = unitDigests(model)
        let storedDigests = try String.fetchOne(db, sql: "SELECT value FROM syncwright_metadata WHERE key = 'unitDigests'")
            .flatMap { text -> [String: String]? in
                guard case .object(let object)? = try? JSONValue(jsonText: text) else { return nil }
                return object.compactMapValues(\.stringValue)
            }
        for unit in try String.fetchAll(db, sql: "SELECT unit FROM syncwright_cursors")
        where storedDigests == nil || digests[unit] == nil || storedDigests?[unit] != digests[unit] {
            try db.execute(sql: "DELETE FROM syncwright_cursors WHERE unit = ?", arguments: [unit])
        }
        try recordUnitDigests(db, digests, replacing: true)
        try db.execute(sql: "INSERT OR REPLACE INTO syncwright_metadata (key, value) VALUES ('schemaHash', ?)",
                       arguments: [model.schemaHash])
        let tables = JSONValue.object(Dictionary(uniqueKeysWithValues: model.entities.map { ($0.name, JSONValue.string($0.tableName)) }))
        try db.execute(sql: "INSERT OR REPLACE INTO syncwright_metadata (key, value) VALUES ('entityTables', ?)",
                       arguments: [tables.jsonText])
    }

    /// Each unit's digest: its entities, their tables, keys and columns, which decide
    /// what a download of the unit holds. A store opened with a model where a unit's
    /// digest changed downloads that unit again, and only that one.
    static func unitDigests(_ model: SyncModel) -> [String: String] {
        var digests: [String: String] = [:]
        for unit in model.units {
            let text = unit.entityNames.sorted().compactMap(model.entity(named:)).map { entity in
                ([entity.name, entity.tableName, entity.keyColumn] + entity.columns.map { column in
                    "\(column.name) \(column.type) \(column.isNullable) \(column.isInclude) \(column.references ?? "-")"
                }).joined(separator: "\n")
            }.joined(separator: "\n\n")
            digests[unit.name] = ContentHasher.hexDigest(Array(text.utf8))
        }
        return digests
    }

    /// Stores `digests` as the unit digests; without `replacing`, only when none are stored.
    private static func recordUnitDigests(_ db: Database, _ digests: [String: String], replacing: Bool) throws {
        try db.execute(sql: "INSERT OR \(replacing ? "REPLACE" : "IGNORE") INTO syncwright_metadata (key, value) VALUES ('unitDigests', ?)",
                       arguments: [JSONValue.object(digests.mapValues(JSONValue.string)).jsonText])
    }

    /// The entity → table map the store recorded when it was last migrated.
    private static func storedTables(_ db: Database) throws -> [String: String] {
        guard let text = try String.fetchOne(db, sql: "SELECT value FROM syncwright_metadata WHERE key = 'entityTables'"),
              case .object(let object)? = try? JSONValue(jsonText: text) else { return [:] }
        return object.compactMapValues(\.stringValue)
    }

    private struct ExistingColumn {
        var name: String
        var type: String
        var isNotNull: Bool
    }

    private static func migrateTable(_ db: Database, _ entity: SyncEntityDescriptor, at now: Double) throws {
        let table = entity.localTable
        let existing = try Row.fetchAll(db, sql: "SELECT name, upper(type), \"notnull\" FROM pragma_table_info(?)",
                                        arguments: [entity.tableName])
            .map { ExistingColumn(name: $0[0], type: $0[1], isNotNull: $0[2]) }
        let serverColumns = [LocalTableDefinition.versionColumn, LocalTableDefinition.updatedAtColumn]
        let wanted = Set(table.columns.map(\.name) + serverColumns)
        let dropped = existing.map(\.name).filter { !wanted.contains($0) }
        var rebuild = !dropped.isEmpty
        for column in table.columns {
            guard let old = existing.first(where: { $0.name == column.name }) else { continue }
            let mayBeNull = column.isNullable || column.isInclude
            if old.type != column.type.localSQLType.uppercased() || (old.isNotNull && mayBeNull && column.name != table.keyColumn) {
                rebuild = true
            }
        }
        if !dropped.isEmpty {
            try rejectChanges(db, entity, to: dropped, at: now)
        }
        if rebuild {
            try rebuildTable(db, entity, existing: existing)
        } else {
            for column in table.columns where !existing.contains(where: { $0.name == column.name }) {
                try db.execute(sql: """
                    ALTER TABLE \(entity.tableName.quotedDatabaseIdentifier) \
                    ADD COLUMN \(column.name.quotedDatabaseIdentifier) \(column.type.localSQLType)
                    """)
            }
        }
    }

    /// SQLite's documented way to change a table's columns: the new table under another
    /// name, the rows copied, the old table dropped, the new one renamed. A required
    /// column that is new, or whose type changed, is left nullable until the next pull
    /// fills it in.
    private static func rebuildTable(_ db: Database, _ entity: SyncEntityDescriptor, existing: [ExistingColumn]) throws {
        var table = entity.localTable
        let temporary = "syncwright_rebuild_" + entity.tableName
        table.tableName = temporary
        for index in table.columns.indices {
            let column = table.columns[index]
            let old = existing.first { $0.name == column.name }
            if column.name != table.keyColumn, old == nil || old?.type != column.type.localSQLType.uppercased() || old?.isNotNull == false {
                table.columns[index].isNullable = true
            }
        }
        let copied = existing.map(\.name).filter { name in
            table.columns.contains { $0.name == name }
                || name == LocalTableDefinition.versionColumn || name == LocalTableDefinition.updatedAtColumn
        }.map(\.quotedDatabaseIdentifier).joined(separator: ", ")
        try db.execute(sql: "DROP TABLE IF EXISTS \(temporary.quotedDatabaseIdentifier)")
        try db.execute(sql: table.createTableSQL)
        try db.execute(sql: """
            INSERT INTO \(temporary.quotedDatabaseIdentifier) (\(copied)) \
            SELECT \(copied) FROM \(entity.tableName.quotedDatabaseIdentifier)
            """)
        try db.execute(sql: "DROP TABLE \(entity.tableName.quotedDatabaseIdentifier)")
        try db.execute(sql: "ALTER TABLE \(temporary.quotedDatabaseIdentifier) RENAME TO \(entity.tableName.quotedDatabaseIdentifier)")
    }

    /// Pending changes to columns the model dropped: each one's dropped values are kept
    /// as a rejected change with a reason, and the columns leave the pending change (an
    /// update left with nothing to send is removed from the outbox).
    private static func rejectChanges(_ db: Database, _ entity: SyncEntityDescriptor, to dropped: [String], at now: Double) throws {
        let entries = try Row.fetchAll(db, sql: """
            SELECT sequence, opId, rowKey, kind, baseVersion, changedColumns, sentValues
            FROM syncwright_outbox WHERE entity = ? ORDER BY sequence
            """, arguments: [entity.name])
        for entry in entries {
            let changed = SyncStore.decodeColumns(entry["changedColumns"])
            let lost = changed.filter { dropped.contains($0) }
            guard !lost.isEmpty else { continue }
            let rowKey: String = entry["rowKey"]
            var values: [String: JSONValue] = [:]
            if let wire = try? JSONValue(jsonText: rowKey), let key = try? entity.key.type.databaseValue(fromWire: wire) {
                for column in lost {
                    let value = try DatabaseValue.fetchOne(db, sql: """
                        SELECT \(column.quotedDatabaseIdentifier) FROM \(entity.tableName.quotedDatabaseIdentifier) \
                        WHERE \(entity.keyColumn.quotedDatabaseIdentifier) = ?
                        """, arguments: [key]) ?? .null
                    values[column] = jsonValue(value)
                }
            }
            let fields = lost.map { "'\($0)'" }.joined(separator: ", ")
            try db.execute(sql: """
                INSERT INTO syncwright_rejected
                (opId, entity, rowKey, kind, baseVersion, sentValues, changedColumns, reason, code, serverRow, serverVersion, rejectedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)
                """, arguments: [
                    entry["opId"] as String, entity.name, rowKey, entry["kind"] as String, entry["baseVersion"] as Int64?,
                    JSONValue.object(values).jsonText, SyncStore.encodeColumns(lost),
                    "this version of the app no longer has \(lost.count == 1 ? "field" : "fields") \(fields) of \(entity.name); "
                        + "the change to \(lost.count == 1 ? "it" : "them") was not sent",
                    fieldRemovedCode, now,
                ])
            let remaining = changed.filter { !dropped.contains($0) }
            if remaining.isEmpty, (entry["kind"] as String) == OperationKind.update.rawValue {
                try db.execute(sql: "DELETE FROM syncwright_outbox WHERE sequence = ?", arguments: [entry["sequence"] as Int64])
                continue
            }
            var sent: String? = entry["sentValues"]
            if let text = sent, case .object(var object)? = try? JSONValue(jsonText: text) {
                for column in lost { object[column] = nil }
                sent = JSONValue.object(object).jsonText
            }
            try db.execute(sql: "UPDATE syncwright_outbox SET changedColumns = ?, sentValues = ? WHERE sequence = ?",
                           arguments: [SyncStore.encodeColumns(remaining), sent, entry["sequence"] as Int64])
        }
    }

    /// Pending changes to an entity the model no longer has become rejected changes.
    private static func rejectPendingChanges(_ db: Database, entity: String, at now: Double) throws {
        try SyncStore.refuseQueuedChanges(
            db, where: "entity = ?", [entity], code: entityRemovedCode,
            reason: "this version of the app no longer syncs \(entity); the change was not sent", at: now)
    }

    private static func jsonValue(_ value: DatabaseValue) -> JSONValue {
        switch value.storage {
        case .null: .null
        case .int64(let integer): .integer(integer)
        case .double(let number): .number(number)
        case .string(let text): .string(text)
        case .blob(let data): .string(data.base64EncodedString())
        }
    }
}
