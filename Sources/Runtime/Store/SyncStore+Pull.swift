import Foundation
import GRDB

extension SyncStore {
    /// Applies one pulled page and saves the unit's new cursor in the same transaction,
    /// so an interrupted pull resumes after the last page that was applied.
    ///
    /// A download from scratch (no cursor: the first sync, or a resync after `discard`,
    /// a `410 resync_required` or a new model) sends the rows the subset holds now and
    /// no removals. So its first page notes the keys the unit's tables hold, each page
    /// crosses off the rows it delivers, and the page that finishes the download
    /// (`more` false) deletes the rows never delivered again, except those with pending
    /// changes, manual conflicts or rejected changes the app hasn't settled. The notes
    /// live in the store, so a download that is interrupted and resumed still ends with
    /// exactly the subset's rows.
    ///
    /// Rows go in through cached prepared statements with positional arguments (no
    /// `Codable` records). A row with pending local changes is never overwritten: for
    /// a pending update, the server's values land in the columns the device didn't
    /// change; a row pending insertion or deletion, or held in a manual conflict, is
    /// left as the device has it until its push is answered.
    ///
    /// A row whose value doesn't fit its column (a server that let another system write
    /// `"cancelled"` into an enum without it, `"seventy"` into a double) is set aside
    /// (``setAsideRows()``): the device keeps the row as it was, `explain` says why, and
    /// the rest of the page applies. A later pull of a row that fits, or its removal,
    /// takes it out again.
    ///
    /// - Returns: How many changes were applied.
    /// - Throws: ``SyncStoreError/invalidServerData(_:)`` when a change names an
    ///   unknown entity, or a put carries no row; nothing of the page is applied.
    @discardableResult
    public func applyPulledPage(_ page: PullResponse, unit: String) throws -> Int {
        try pool.write { db in try self.applyPulledPage(db, page, unit: unit).applied }
    }

    /// The same, run on GRDB's writer queue while the caller suspends: an actor calling
    /// it doesn't hold a thread of the cooperative pool for the transaction.
    @discardableResult
    public func applyPulledPage(_ page: PullResponse, unit: String) async throws -> Int {
        try await pool.write { db in try self.applyPulledPage(db, page, unit: unit).applied }
    }

    /// ``applyPulledPage(_:unit:)``, with the rows it set aside.
    func applyPulledPageSettingAside(_ page: PullResponse, unit: String) async throws -> (applied: Int, setAside: [SetAsideRow]) {
        try await pool.write { db in try self.applyPulledPage(db, page, unit: unit) }
    }

    private func applyPulledPage(_ db: Database, _ page: PullResponse, unit: String) throws -> (applied: Int, setAside: [SetAsideRow]) {
        var setAside: [SetAsideRow] = []
        /// A row's key as the bookkeeping tables hold it: the canonical wire form.
        func setAsideKey(_ descriptor: SyncEntityDescriptor, _ key: JSONValue) -> String {
            (try? Self.keyValue(descriptor, key)).map { descriptor.key.type.wireValue(fromDatabase: $0).jsonText } ?? key.jsonText
        }
        let anySetAside = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM syncwright_set_aside)") ?? false
        /// A row the server sent again in a form that fits, or removed, is no longer set aside.
        func clearSetAside(_ descriptor: SyncEntityDescriptor, _ change: PullChange) throws {
            guard anySetAside else { return }
            try db.executeCached(sql: "DELETE FROM syncwright_set_aside WHERE entity = ? AND rowKey = ?",
                                 arguments: [descriptor.name, setAsideKey(descriptor, change.key)])
        }
        /// Runs `write`; a value that doesn't fit sets the row aside instead.
        func settingAside(_ descriptor: SyncEntityDescriptor, _ change: PullChange, _ write: () throws -> Void) throws {
            do {
                try db.inSavepoint {
                    try write()
                    return .commit
                }
                try clearSetAside(descriptor, change)
            } catch let error as SyncStoreError where error.code == .invalidServerData {
                let row = SetAsideRow(row: SyncRowID(entity: descriptor.name, key: SyncKey(change.key, type: descriptor.key.type)),
                                      unit: unit, problem: error.description, version: change.version, requestID: page.requestID,
                                      setAsideAt: Date())
                try db.executeCached(sql: """
                    INSERT OR REPLACE INTO syncwright_set_aside (entity, rowKey, unit, problem, serverRow, version, requestId, setAsideAt)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [descriptor.name, setAsideKey(descriptor, change.key), unit, row.problem,
                                     change.row.map { JSONValue.object($0).jsonText }, change.version, page.requestID,
                                     row.setAsideAt.timeIntervalSince1970])
                setAside.append(row)
            }
        }
        let pending = try Self.pendingRows(db)
        // Rows with a refused change the app hasn't settled: what the server sends for
        // them is what `discard` puts back.
        let refused = try Set(Row.fetchAll(db, sql: "SELECT entity, rowKey FROM syncwright_rejected").map {
            PendingRowKey(entity: $0[0], rowKey: $0[1])
        })
        if try Self.cursor(db, unit: unit) == nil {
            try noteRowsBeforeDownload(db, unit: unit)
        }
        let resyncing = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM syncwright_resync WHERE unit = ?)",
                                          arguments: [unit]) ?? false
        var upserts: [String: Statement] = [:]
        var deletes: [String: Statement] = [:]
        var values: [DatabaseValue] = []
        var current: SyncEntityDescriptor?
        for change in page.changes {
            // Pages mostly hold runs of one entity: look it up once per run.
            if current?.name != change.entity {
                current = entitiesByName[change.entity]
            }
            guard let descriptor = current else {
                throw SyncStoreError.invalidServerData("unknown entity '\(change.entity)'")
            }
            if resyncing, change.op == .put {
                try db.executeCached(sql: "DELETE FROM syncwright_resync WHERE unit = ? AND entity = ? AND key = ?",
                                     arguments: [unit, descriptor.name, try Self.keyValue(descriptor, change.key)])
            }
            // The columns of a refused update keep the device's values until the app
            // retries or discards it; a `remove` still takes the row (it left the subset).
            var refusedColumns: Set<String> = []
            if !refused.isEmpty {
                let rowKey = descriptor.key.type.wireValue(fromDatabase: try Self.keyValue(descriptor, change.key)).jsonText
                if refused.contains(PendingRowKey(entity: descriptor.name, rowKey: rowKey)) {
                    try db.execute(sql: """
                        UPDATE syncwright_rejected SET serverRow = ?, serverVersion = ?, serverRowKnown = 1 WHERE entity = ? AND rowKey = ?
                        """, arguments: [change.op == .put ? change.row.map { JSONValue.object($0).jsonText } : nil,
                                         change.op == .put ? change.version : nil, descriptor.name, rowKey])
                    refusedColumns = try Self.refusedColumns(db, entity: descriptor.name, rowKey: rowKey)
                }
            }
            if !pending.isEmpty {
                let rowKey = descriptor.key.type.wireValue(fromDatabase: try Self.keyValue(descriptor, change.key)).jsonText
                if let local = pending[PendingRowKey(entity: descriptor.name, rowKey: rowKey)] {
                    if change.op == .put, local.kind == .update, let row = change.row {
                        try settingAside(descriptor, change) {
                            try Self.upsertKeepingColumns(db, descriptor, row: row, version: change.version,
                                                          keep: local.columns.union(refusedColumns))
                        }
                    }
                    continue
                }
            }
            if change.op == .put, !refusedColumns.isEmpty, let row = change.row {
                try settingAside(descriptor, change) {
                    try Self.upsertKeepingColumns(db, descriptor, row: row, version: change.version, keep: refusedColumns)
                }
                continue
            }
            switch change.op {
            case .put:
                guard let row = change.row else {
                    throw SyncStoreError.invalidServerData("a put of \(descriptor.name) without a row")
                }
                let statement: Statement
                if let cached = upserts[descriptor.name] {
                    statement = cached
                } else {
                    statement = try db.cachedStatement(sql: PullStatements.upsertSQL(descriptor))
                    upserts[descriptor.name] = statement
                }
                values.removeAll(keepingCapacity: true)
                do {
                    try Self.appendServerRowValues(descriptor, row: row, version: change.version, to: &values)
                } catch let error as SyncStoreError where error.code == .invalidServerData {
                    try settingAside(descriptor, change) { throw error }
                    continue
                }
                statement.setUncheckedArguments(StatementArguments(databaseValues: values))
                try statement.execute()
                try clearSetAside(descriptor, change)
            case .remove:
                try clearSetAside(descriptor, change)
                let statement: Statement
                if let cached = deletes[descriptor.name] {
                    statement = cached
                } else {
                    statement = try db.cachedStatement(sql: """
                        DELETE FROM \(descriptor.tableName.quotedDatabaseIdentifier) \
                        WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?
                        """)
                    deletes[descriptor.name] = statement
                }
                statement.setUncheckedArguments([try Self.keyValue(descriptor, change.key)])
                try statement.execute()
            }
        }
        if let cursor = page.units[unit] {
            try db.execute(sql: "INSERT OR REPLACE INTO syncwright_cursors (unit, cursor) VALUES (?, ?)",
                           arguments: [unit, cursor])
        }
        if resyncing, !page.more {
            try removeRowsNotDeliveredAgain(db, unit: unit)
        }
        if !page.more {
            try db.execute(sql: "INSERT OR REPLACE INTO syncwright_metadata (key, value) VALUES (?, ?)",
                           arguments: ["pulledAt:" + unit, String(Date().timeIntervalSince1970)])
        }
        return (page.changes.count - setAside.count, setAside)
    }

    /// Pulled rows set aside because a value doesn't fit its column, oldest first: what
    /// an app lists as "these rows can't be shown until the server fixes them".
    public func setAsideRows() throws -> [SetAsideRow] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM syncwright_set_aside ORDER BY setAsideAt, entity, rowKey").map { row in
                SetAsideRow(row: rowID(row["entity"], row["rowKey"]), unit: row["unit"], problem: row["problem"],
                            version: row["version"], requestID: row["requestId"],
                            setAsideAt: Date(timeIntervalSince1970: row["setAsideAt"]))
            }
        }
    }

    /// Notes every row the unit's tables hold before a download from scratch.
    private func noteRowsBeforeDownload(_ db: Database, unit: String) throws {
        try db.execute(sql: "DELETE FROM syncwright_resync WHERE unit = ?", arguments: [unit])
        for name in model.units.first(where: { $0.name == unit })?.entityNames ?? [] {
            guard let entity = entitiesByName[name] else { continue }
            try db.execute(sql: """
                INSERT OR IGNORE INTO syncwright_resync (unit, entity, key)
                SELECT ?, ?, \(entity.keyColumn.quotedDatabaseIdentifier) FROM \(entity.tableName.quotedDatabaseIdentifier)
                """, arguments: [unit, name])
        }
    }

    /// Ends a download from scratch: rows it didn't deliver have left the subset.
    /// Rows with pending changes, manual conflicts or rejected changes the app hasn't
    /// retried or discarded yet stay until those are settled.
    private func removeRowsNotDeliveredAgain(_ db: Database, unit: String) throws {
        let leftOver = try Row.fetchAll(db, sql: "SELECT entity, key FROM syncwright_resync WHERE unit = ?", arguments: [unit])
        let unsettled = try db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM syncwright_outbox WHERE entity = ?1 AND rowKey = ?2)
                OR EXISTS (SELECT 1 FROM syncwright_conflicts WHERE entity = ?1 AND rowKey = ?2)
                OR EXISTS (SELECT 1 FROM syncwright_rejected WHERE entity = ?1 AND rowKey = ?2)
            """)
        for row in leftOver {
            guard let entity = entitiesByName[row[0] as String] else { continue }
            let key: DatabaseValue = row[1]
            let rowKey = entity.key.type.wireValue(fromDatabase: key).jsonText
            if try Bool.fetchOne(unsettled, arguments: [entity.name, rowKey]) ?? false { continue }
            try db.execute(sql: """
                DELETE FROM \(entity.tableName.quotedDatabaseIdentifier) WHERE \(entity.keyColumn.quotedDatabaseIdentifier) = ?
                """, arguments: [key])
        }
        try db.execute(sql: "DELETE FROM syncwright_resync WHERE unit = ?", arguments: [unit])
    }

    struct PendingRowKey: Hashable {
        var entity: String
        var rowKey: String
    }

    struct PendingRow {
        var kind: OperationKind
        var columns: Set<String>
    }

    /// Rows with unsent or unanswered changes, or held in manual conflicts.
    static func pendingRows(_ db: Database) throws -> [PendingRowKey: PendingRow] {
        var rows: [PendingRowKey: PendingRow] = [:]
        let entries = try Row.fetchAll(db, sql: """
            SELECT entity, rowKey, kind, changedColumns FROM syncwright_outbox
            UNION ALL SELECT entity, rowKey, 'conflict', changedColumns FROM syncwright_conflicts
            """)
        for entry in entries {
            let key = PendingRowKey(entity: entry["entity"], rowKey: entry["rowKey"])
            let kind = OperationKind(rawValue: entry["kind"]) ?? .insert
            var row = rows[key] ?? PendingRow(kind: kind, columns: [])
            // Mixed kinds (say, a conflict and a new update): leave the row as it is.
            if row.kind != kind { row.kind = .insert }
            row.columns.formUnion(decodeColumns(entry["changedColumns"]))
            rows[key] = row
        }
        return rows
    }
}

// MARK: - Rejected changes and conflicts

/// A pulled row the device couldn't store because a value doesn't fit its column: the
/// server sent something its own checks should have refused. The device keeps the row
/// as it was (or without it), syncs everything else, and takes the row back when the
/// server sends it in a form that fits, or removes it.
public struct SetAsideRow: Sendable, Hashable {
    /// The row.
    public var row: SyncRowID
    /// The unit that pulled it.
    public var unit: String
    /// What doesn't fit: the entity, the value and the type.
    public var problem: String
    /// The server's version of the row that was set aside.
    public var version: Int64?
    /// The pull's request id, which the server's log names.
    public var requestID: String?
    /// When it was set aside.
    public var setAsideAt: Date
}

/// A change the server refused, kept for the app to retry or discard. Until then its
/// row keeps the device's values and is marked refused (``SyncStore/rejectedKeys(of:)``).
public struct RejectedChange: Sendable, Hashable, Identifiable {
    /// The store's id of the rejected change.
    public var id: Int64
    /// The row it changed.
    public var row: SyncRowID
    /// Insert, update or delete.
    public var kind: OperationKind
    /// The values that were sent.
    public var values: [String: JSONValue]?
    /// The server's reason, for people.
    public var reason: String
    /// The server's code, such as ``RefusalCode/readOnly`` or ``RefusalCode/outsideSubset``.
    public var code: RefusalCode
    /// When it was rejected.
    public var rejectedAt: Date
    /// The change's operation id.
    public var opID: String
    /// For a change refused with it (``RefusalCode/dependsOnRejected``): the op id of
    /// the refused change it needed, the first of its chain. ``SyncStore/rejectedChangeGroups()``
    /// puts them together.
    public var dependsOn: String?

    /// The entity's name.
    public var entity: String { row.entity }
    /// The row's key as it travels on the wire.
    public var key: JSONValue { row.key.wireValue }
}

/// A refused change and the changes refused with it because they needed it (the lines
/// of a refused order, a later edit of a refused new row): what the app shows as one
/// item, and retries or discards as one.
public struct RejectedChangeGroup: Sendable, Hashable, Identifiable {
    /// The refusal the user acts on.
    public var cause: RejectedChange
    /// The changes refused with it (``RefusalCode/dependsOnRejected``), oldest first.
    public var dependents: [RejectedChange]

    /// The cause's id.
    public var id: Int64 { cause.id }
    /// The cause, then its dependents.
    public var changes: [RejectedChange] { [cause] + dependents }
}

/// A device change that a `server-wins` conflict dropped: the server's row stands, and
/// this is what the device had, for the app to show (``SyncStore/overwrittenChanges()``).
public struct OverwrittenChange: Sendable, Hashable, Identifiable {
    /// The store's id of the record.
    public var id: Int64
    /// The row.
    public var row: SyncRowID
    /// What the device did.
    public var kind: OperationKind
    /// The columns the device had changed.
    public var changedColumns: [String]
    /// The device's row before the server's replaced it (nil if the device had deleted it).
    public var localValues: [String: JSONValue]?
    /// The server's row that stands (nil if the server deleted it).
    public var serverValues: [String: JSONValue]?
    /// When it happened.
    public var overwrittenAt: Date
}

/// A change that conflicted with a newer server version under the `manual` policy.
public struct SyncConflict: Sendable, Hashable, Identifiable {
    /// The store's id of the conflict.
    public var id: Int64
    /// The entity's name.
    public var entity: String
    /// The row's key.
    public var key: JSONValue
    /// What the device did.
    public var kind: OperationKind
    /// The device's row (nil if the device deleted it).
    public var localValues: [String: JSONValue]?
    /// The server's row (nil if the server deleted it).
    public var serverValues: [String: JSONValue]?
    /// The server's version of the row.
    public var serverVersion: Int64?
}

/// How the app resolves a manual conflict.
public enum ConflictResolution: Sendable, Hashable {
    /// Keep the device's row: it is pushed again over the server's version.
    case keepLocal
    /// Keep the server's row: the device's change is dropped.
    case keepServer
}

extension SyncStore {
    /// Changes the server refused, oldest first.
    public func rejectedChanges() throws -> [RejectedChange] {
        try pool.read { db in try rejectedChanges(db) }
    }

    private func rejectedChanges(_ db: Database) throws -> [RejectedChange] {
        try Self.rejectedChanges(db) { entitiesByName[$0]?.key.type ?? .string }
    }

    /// The refused changes, oldest first: every entity's, or only `entity`'s. `keyType`
    /// gives an entity's key type.
    static func rejectedChanges(
        _ db: Database, entity: String? = nil, keyType: (String) -> ColumnType
    ) throws -> [RejectedChange] {
        let rows = if let entity {
            try Row.fetchAll(db, sql: "SELECT * FROM syncwright_rejected WHERE entity = ? ORDER BY id", arguments: [entity])
        } else {
            try Row.fetchAll(db, sql: "SELECT * FROM syncwright_rejected ORDER BY id")
        }
        return rows.map { row in
            let entity: String = row["entity"]
            return RejectedChange(
                id: row["id"], row: rowID(entity, row["rowKey"], keyType: keyType(entity)),
                kind: OperationKind(rawValue: row["kind"]) ?? .update, values: jsonObject(row, "sentValues"), reason: row["reason"],
                code: RefusalCode(rawValue: row["code"]), rejectedAt: Date(timeIntervalSince1970: row["rejectedAt"]),
                opID: row["opId"], dependsOn: row["dependsOn"])
        }
    }

    /// Changes the server refused, grouped by the refusal that caused them: each group's
    /// cause, then the changes refused with it because they needed it, oldest first. A
    /// change whose cause is no longer kept stands alone.
    public func rejectedChangeGroups() throws -> [RejectedChangeGroup] {
        try pool.read { db in Self.groups(try rejectedChanges(db)) }
    }

    static func groups(_ changes: [RejectedChange]) -> [RejectedChangeGroup] {
        let causes = Set(changes.map(\.opID))
        var groups: [RejectedChangeGroup] = []
        var index: [String: Int] = [:]
        for change in changes where change.dependsOn.map({ !causes.contains($0) || $0 == change.opID }) ?? true {
            index[change.opID] = groups.count
            groups.append(RejectedChangeGroup(cause: change, dependents: []))
        }
        for change in changes {
            guard let cause = change.dependsOn, cause != change.opID, let position = index[cause] else { continue }
            groups[position].dependents.append(change)
        }
        return groups
    }

    /// The keys of `entity`'s rows with a refused change the app hasn't retried or
    /// discarded yet: the rows to mark in a list.
    public func rejectedKeys<Entity: SyncEntity>(of entity: Entity.Type) throws -> Set<SyncKey> {
        let descriptor = Entity.Sync.descriptor
        return try pool.read { db in
            try Set(String.fetchAll(db, sql: "SELECT rowKey FROM syncwright_rejected WHERE entity = ?", arguments: [descriptor.name])
                .map { SyncKey((try? JSONValue(jsonText: $0)) ?? .string($0), type: descriptor.key.type) })
        }
    }

    /// Device changes that `server-wins` conflicts dropped, oldest first.
    public func overwrittenChanges() throws -> [OverwrittenChange] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM syncwright_overwritten ORDER BY id").map { row in
                return OverwrittenChange(
                    id: row["id"], row: rowID(row["entity"], row["rowKey"]), kind: OperationKind(rawValue: row["kind"]) ?? .update,
                    changedColumns: Self.decodeColumns(row["changedColumns"]), localValues: Self.jsonObject(row, "localValues"),
                    serverValues: Self.jsonObject(row, "serverRow"), overwrittenAt: Date(timeIntervalSince1970: row["overwrittenAt"]))
            }
        }
    }

    /// Forgets overwritten changes the app has shown.
    public func dismiss(_ changes: [OverwrittenChange]) throws {
        try pool.write { db in
            for change in changes {
                try db.execute(sql: "DELETE FROM syncwright_overwritten WHERE id = ?", arguments: [change.id])
            }
        }
    }

    /// A bookkeeping column holding a JSON object, read back; nil when null or not one.
    static func jsonObject(_ row: Row, _ column: String) -> [String: JSONValue]? {
        guard let text: String = row[column], case .object(let object)? = try? JSONValue(jsonText: text) else { return nil }
        return object
    }

    private func rowID(_ entity: String, _ rowKey: String) -> SyncRowID {
        Self.rowID(entity, rowKey, keyType: entitiesByName[entity]?.key.type ?? .string)
    }

    /// A bookkeeping row's entity and key (the key's wire JSON) as a row id.
    static func rowID(_ entity: String, _ rowKey: String, keyType: ColumnType) -> SyncRowID {
        SyncRowID(entity: entity, key: SyncKey((try? JSONValue(jsonText: rowKey)) ?? .string(rowKey), type: keyType))
    }

    /// Queues a rejected change again (with a new op id), for after the app or the
    /// server fixed what was wrong.
    ///
    /// It sends the values the row kept in the refused columns (the device's, unless the
    /// user changed them since), on the version of the row the device last knew the
    /// server had — moved on by the device's own changes the server applied since. A
    /// change by anyone else in between answers a conflict, settled by the entity's policy.
    ///
    /// The changes refused with it because they needed it (its group's dependents) are
    /// queued again after it, in their order; retrying one of them afterwards does nothing.
    public func retry(_ rejected: RejectedChange) throws {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM syncwright_rejected WHERE id = ?", arguments: [rejected.id]) else {
                // A dependent already queued again with its cause.
                if rejected.dependsOn != nil { return }
                throw SyncStoreError.notFound("rejected change \(rejected.id)")
            }
            for record in [row] + (try Self.dependentRecords(db, of: row)) {
                // The row kept the device's values of the refused columns; they are sent
                // on the version the device last knew the server's row at, so a change by
                // anyone else since answers a conflict, settled by the entity's policy.
                let base: Int64? = record["retryBase"] ?? record["serverVersion"] ?? record["baseVersion"]
                try OutboxEntry.append(db, entity: record["entity"], rowKey: record["rowKey"],
                                       kind: OperationKind(rawValue: record["kind"]) ?? .update,
                                       changed: Self.decodeColumns(record["changedColumns"]),
                                       baseVersion: base)
                try db.execute(sql: "DELETE FROM syncwright_rejected WHERE id = ?", arguments: [record["id"] as Int64])
            }
        }
    }

    /// The records refused because they needed `cause` (a cause of its own keeps them).
    private static func dependentRecords(_ db: Database, of cause: Row) throws -> [Row] {
        guard (cause["dependsOn"] as String?) == nil else { return [] }
        return try Row.fetchAll(db, sql: "SELECT * FROM syncwright_rejected WHERE dependsOn = ? AND id <> ? ORDER BY id",
                                arguments: [cause["opId"] as String, cause["id"] as Int64])
    }

    /// Drops a rejected change and puts its row back as the server has it, at once and
    /// without downloading anything: the server's row as last heard of, from the
    /// rejection (a refused update or delete of a row the caller's subset holds carries
    /// it) or from a pull since (a pull's `remove` means the device may not have it); otherwise
    /// the row isn't one the server lets this device have (a refused insert, a row
    /// outside the subset or gone), and the local row is removed. A refusal of another
    /// kind without the row (from a server that doesn't send it) downloads the unit again.
    ///
    /// The changes refused with it because they needed it (its group's dependents) are
    /// discarded with it, each row put back the same way; discarding one of them
    /// afterwards does nothing, so a loop over ``rejectedChanges()`` works in any order.
    public func discard(_ rejected: RejectedChange) throws {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM syncwright_rejected WHERE id = ?", arguments: [rejected.id]) else {
                // A dependent already discarded with its cause.
                if rejected.dependsOn != nil { return }
                throw SyncStoreError.notFound("rejected change \(rejected.id)")
            }
            let dependents = try Self.dependentRecords(db, of: row)
            // Every record goes first, so no row waits on another record of the group.
            for record in [row] + dependents {
                try db.execute(sql: "DELETE FROM syncwright_rejected WHERE id = ?", arguments: [record["id"] as Int64])
            }
            // Each row once, by its first record: the cause's row by the cause.
            var seen: Set<String> = [(row["entity"] as String) + "\u{1}" + (row["rowKey"] as String)]
            var firsts: [Row] = []
            for record in dependents where seen.insert((record["entity"] as String) + "\u{1}" + (record["rowKey"] as String)).inserted {
                firsts.append(record)
            }
            for record in firsts.reversed() + [row] {
                try discardRecord(db, record)
            }
        }
    }

    /// Puts the row of one rejected record, already deleted, back as the server has it.
    private func discardRecord(_ db: Database, _ row: Row) throws {
        let descriptor = try descriptor(row["entity"])
        let key = try JSONValue(jsonText: row["rowKey"])
        // Another change to the row still waits (queued, or refused too): it decides.
        let rowKey: String = row["rowKey"]
        if try Self.hasPendingChanges(db, entity: descriptor.name, rowKey: rowKey) { return }
        if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM syncwright_rejected WHERE entity = ? AND rowKey = ?)",
                             arguments: [descriptor.name, rowKey]) == true { return }
        let code = RefusalCode(rawValue: row["code"])
        let known: Bool = row["serverRowKnown"]
        if let text: String = row["serverRow"], case .object(let serverRow) = try JSONValue(jsonText: text) {
            try Self.upsert(db, descriptor, row: serverRow, version: row["serverVersion"])
        } else if known || OperationKind(rawValue: row["kind"]) == .insert || code == .outsideSubset || code == .notFound {
            try Self.deleteLocalRow(db, descriptor, key: key)
        } else {
            // Refused by a server that didn't send its row back (an older one): the
            // unit is downloaded again, which restores the row or removes it.
            try db.execute(sql: "DELETE FROM syncwright_cursors WHERE unit = ?", arguments: [descriptor.unit])
        }
    }

    /// Conflicts kept for the app under the `manual` policy.
    public func conflicts() throws -> [SyncConflict] {
        try pool.read { db in try Self.conflicts(db, entity: nil) }
    }

    /// Conflicts kept for the app, of one entity or of all (`entity` nil), oldest first.
    static func conflicts(_ db: Database, entity: String?) throws -> [SyncConflict] {
        let filter = entity == nil ? "" : " WHERE entity = ?"
        return try Row.fetchAll(db, sql: "SELECT * FROM syncwright_conflicts\(filter) ORDER BY id",
                                arguments: StatementArguments(entity.map { [$0] } ?? [])).map { row in
            SyncConflict(
                id: row["id"], entity: row["entity"], key: (try? JSONValue(jsonText: row["rowKey"])) ?? .null,
                kind: OperationKind(rawValue: row["kind"]) ?? .update, localValues: Self.jsonObject(row, "localValues"),
                serverValues: Self.jsonObject(row, "serverRow"), serverVersion: row["serverVersion"])
        }
    }

    /// Resolves a manual conflict.
    public func resolve(_ conflict: SyncConflict, _ resolution: ConflictResolution) throws {
        try pool.write { db in try resolve(db, conflict, resolution) }
    }

    /// Resolves a manual conflict with a row merged from both versions (values by local
    /// column; the key and the device's columns count, includes and server-managed
    /// columns are ignored): it replaces the device's row and is pushed over the
    /// server's version.
    public func resolve(_ conflict: SyncConflict, merging merged: [String: DatabaseValue]) throws {
        try pool.write { db in
            let descriptor = try descriptor(conflict.entity)
            let columns = descriptor.writableColumns.map(\.name)
            guard merged[descriptor.keyColumn] == (try? Self.keyValue(descriptor, conflict.key)) else {
                throw SyncStoreError.keyMismatch(entity: conflict.entity)
            }
            let names = columns.map(\.quotedDatabaseIdentifier)
            try db.execute(sql: """
                INSERT INTO \(descriptor.tableName.quotedDatabaseIdentifier) (\(names.joined(separator: ", ")))
                VALUES (\(databaseQuestionMarks(count: columns.count)))
                ON CONFLICT (\(descriptor.keyColumn.quotedDatabaseIdentifier)) DO UPDATE SET \(
                    names.map { "\($0) = excluded.\($0)" }.joined(separator: ", "))
                """, arguments: StatementArguments(columns.map { merged[$0] ?? .null }))
            try resolve(db, conflict, .keepLocal)
        }
    }

    private func resolve(_ db: Database, _ conflict: SyncConflict, _ resolution: ConflictResolution) throws {
        guard let row = try Row.fetchOne(db, sql: "SELECT * FROM syncwright_conflicts WHERE id = ?", arguments: [conflict.id]) else {
            throw SyncStoreError.notFound("conflict \(conflict.id)")
        }
        let descriptor = try descriptor(row["entity"])
        let key = try JSONValue(jsonText: row["rowKey"])
        switch resolution {
        case .keepServer:
            if let serverValues = conflict.serverValues {
                try Self.upsert(db, descriptor, row: serverValues, version: conflict.serverVersion)
            } else {
                try Self.deleteLocalRow(db, descriptor, key: key)
            }
        case .keepLocal:
            let localExists = try Self.localRow(db, descriptor, key: key) != nil
            let kind: OperationKind = !localExists ? .delete : conflict.serverValues == nil ? .insert : .update
            if !(kind == .delete && conflict.serverValues == nil) {
                try OutboxEntry.append(db, entity: descriptor.name, rowKey: row["rowKey"], kind: kind,
                                       changed: kind == .delete ? [] : descriptor.writableColumns.map(\.name),
                                       baseVersion: conflict.serverVersion)
            }
        }
        try db.execute(sql: "DELETE FROM syncwright_conflicts WHERE id = ?", arguments: [conflict.id])
    }
}
