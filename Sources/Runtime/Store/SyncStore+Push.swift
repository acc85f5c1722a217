import Foundation
import GRDB

extension SyncStore {
    /// How many times a change may be re-sent after conflicts before it is set aside as
    /// rejected (a row the server changes faster than the device can catch up).
    static let maximumConflictRetries = 3

    /// The next operations to push, oldest first, marked as sent. Operations sent
    /// before but never answered come first, with their original op ids and the values
    /// they were first sent with, so a retry is the same operation even when the row
    /// changed or was deleted locally since, and can't apply a change twice. (Until the
    /// row changes, its columns hold those values; a local write to a row with a sent
    /// entry first copies them into the entry, see `SyncTransaction`.)
    ///
    /// A batch holds at most one operation per row: it stops before a second one. A row
    /// has two entries only when the first was sent and its answer never came (a later
    /// edit never joins a sent entry), and the second was based on the version before
    /// the first; sent together, the server would judge it against the first's result
    /// and call the device's own edit a conflict. Sent in the next batch, it is rebased
    /// on the version the first one's answer carries (``applyPushResults(_:for:)``).
    ///
    /// - Parameter inFlight: A batch sent but not yet answered. Its operations are left
    ///   out, and the batch stops before the first operation on one of its rows, so a
    ///   row's changes still reach the server in order and each builds on the answer to
    ///   the one before.
    ///
    /// - Parameter maximumBytes: About how many bytes of values the batch may carry: it
    ///   stops before the operation that would pass it, unless that one is the first.
    func nextPushBatch(limit: Int, maximumBytes: Int = .max, after inFlight: [PushOperation] = []) throws -> [PushOperation] {
        try pool.write { db in try self.nextPushBatch(db, limit: limit, maximumBytes: maximumBytes, after: inFlight) }
    }

    /// The same, run on GRDB's writer queue while the caller suspends: an actor calling
    /// it doesn't hold a thread of the cooperative pool for the transaction.
    func nextPushBatch(limit: Int, maximumBytes: Int = .max, after inFlight: [PushOperation] = []) async throws -> [PushOperation] {
        try await pool.write { db in try self.nextPushBatch(db, limit: limit, maximumBytes: maximumBytes, after: inFlight) }
    }

    /// About how many bytes a value takes in a push's JSON.
    private static func wireSize(_ value: DatabaseValue) -> Int {
        switch value.storage {
        case .string(let text): text.utf8.count + 8
        case .blob(let data): data.count / 3 * 4 + 12
        default: 24
        }
    }

    private func nextPushBatch(_ db: Database, limit: Int, maximumBytes: Int, after inFlight: [PushOperation]) throws -> [PushOperation] {
        let sentIds = Set(inFlight.map(\.opId))
        // Rows in flight or already in this batch: the batch stops at another change to one.
        var heldRows = Set(inFlight.map { $0.entity + "\u{1}" + $0.key.jsonText })
        // Rows whose change waits for a file to be uploaded, and the rows that need them:
        // their changes stay in the outbox, the others go on.
        var waitingRows = Set<String>()
        // Of those, rows the server doesn't have yet (their insert waits): a change
        // pointing at one waits too. An update waiting leaves its row on the server.
        var waitingInserts = Set<String>()
        var waitingSequences: [Int64] = []
        var operations: [PushOperation] = []
        var lastIncluded: Int64?
        var bytes = 0
        var after: Int64 = -1
        var finished = false
        while !finished {
            // Columns by position: name lookups in a `Row` cost more than the rest of the loop.
            let rows = try Row.fetchAll(try db.cachedStatement(sql: """
                SELECT sequence, opId, entity, rowKey, kind, baseVersion, changedColumns, sentValues
                FROM syncwright_outbox WHERE sequence > ? ORDER BY sequence LIMIT ?
                """), arguments: [after, limit + inFlight.count + waitingSequences.count])
            if rows.isEmpty { break }
            for row in rows {
                let sequence: Int64 = row[0]
                after = sequence
                let opId: String = row[1]
                let entity: String = row[2]
                let rowKey: String = row[3]
                if sentIds.contains(opId) { continue }
                if operations.count == limit { finished = true; break }
                let rowID = entity + "\u{1}" + rowKey
                if waitingRows.contains(rowID) {
                    waitingSequences.append(sequence)
                    continue
                }
                guard heldRows.insert(rowID).inserted else { finished = true; break }
                guard let statements = pushStatements[entity], let kind = OperationKind(rawValue: row[4]) else {
                    try db.executeCached(sql: "DELETE FROM syncwright_outbox WHERE sequence = ?", arguments: [sequence])
                    continue
                }
                let descriptor = statements.descriptor
                let key = try JSONValue(jsonText: rowKey)
                var values: [String: JSONValue]?
                var size = rowKey.utf8.count + 120
                var sentBefore = false
                if let sentValues: String = row[7], case .object(let object)? = try? JSONValue(jsonText: sentValues) {
                    // Sent before: the same values again.
                    values = object
                    size += sentValues.utf8.count
                    sentBefore = true
                } else if kind != .delete {
                    let select = try db.cachedStatement(sql: statements.selectWritable)
                    guard let current = try Row.fetchOne(select, arguments: [try Self.keyValue(descriptor, key)]) else {
                        // The row is gone without a delete (a purge): nothing left to send.
                        try db.executeCached(sql: "DELETE FROM syncwright_outbox WHERE sequence = ?", arguments: [sequence])
                        continue
                    }
                    let changed = kind == .insert ? [] : Set(Self.decodeColumns(row[6]))
                    var selected: [String: JSONValue] = [:]
                    selected.reserveCapacity(statements.writable.count)
                    for (index, column) in statements.writable.enumerated() where kind == .insert || changed.contains(column.name) {
                        let value: DatabaseValue = current[index]
                        // A required field still null was added by a newer model after the row
                        // was inserted: left out, the server gives it the field's default.
                        if kind == .insert, !column.isNullable, value.isNull { continue }
                        selected[column.name] = column.type.wireValue(fromDatabase: value)
                        size += column.name.utf8.count + Self.wireSize(value)
                    }
                    values = selected
                }
                if !sentBefore, let values, statements.hasAttachments || !waitingInserts.isEmpty {
                    let needsWaitingRow = statements.referenceColumns.contains { column in
                        guard let target = column.references, let value = values[column.name], value != .null else { return false }
                        return waitingInserts.contains(target + "\u{1}" + value.jsonText)
                    }
                    if try needsWaitingRow
                        || (statements.hasAttachments && Self.attachmentsNotUploaded(db, values, columns: statements.writable)) {
                        heldRows.remove(rowID)
                        waitingRows.insert(rowID)
                        if kind == .insert { waitingInserts.insert(rowID) }
                        waitingSequences.append(sequence)
                        continue
                    }
                }
                // Bounded by bytes too: a large change goes in a batch of its own.
                if !operations.isEmpty, bytes + size > maximumBytes { finished = true; break }
                bytes += size
                operations.append(PushOperation(
                    opId: opId, entity: descriptor.name, kind: kind, key: key,
                    baseVersion: row[5], values: values))
                lastIncluded = sequence
            }
        }
        // The batch is the oldest unsent entries: mark them all sent at once, but for the
        // changes waiting for a file.
        if let lastIncluded {
            if waitingSequences.isEmpty {
                try db.executeCached(sql: "UPDATE syncwright_outbox SET sent = 1 WHERE sequence <= ? AND sent = 0", arguments: [lastIncluded])
            } else {
                let waiting = waitingSequences.filter { $0 < lastIncluded }
                try db.execute(sql: """
                    UPDATE syncwright_outbox SET sent = 1 WHERE sequence <= ? AND sent = 0 \
                    AND sequence NOT IN (\(waiting.map(String.init).joined(separator: ", ")))
                    """, arguments: [lastIncluded])
            }
        }
        return operations
    }

    /// What applying one push response did.
    struct PushOutcome: Sendable, Equatable {
        var applied = 0
        var conflicts = 0
        var rejected = 0
        /// Operations the response didn't answer; they stay queued.
        var unanswered = 0
        /// Each answered operation's outcome, in the batch's order.
        var changes: [PushedChange] = []
        /// The device's row (values by column) of each refused or conflicting operation,
        /// by op id, as it was when the answer came: what the entity hooks show.
        var localRows: [String: [String: DatabaseValue]] = [:]
        /// The stored conflict of each operation kept for the app (`manual`), by op id.
        var conflictIDs: [String: Int64] = [:]
    }

    /// Notes that sending `operations` failed (after the engine's retries), for
    /// ``explain(_:key:)``: their entries stay queued.
    func recordFailedPush(_ operations: [PushOperation], error: String) async throws {
        try await pool.write { db in
            for start in stride(from: 0, to: operations.count, by: 500) {
                let chunk = operations[start..<min(start + 500, operations.count)].map(\.opId)
                try db.execute(sql: """
                    UPDATE syncwright_outbox SET failedAttempts = failedAttempts + 1, lastError = ?
                    WHERE opId IN (\(databaseQuestionMarks(count: chunk.count)))
                    """, arguments: StatementArguments([error] + chunk))
            }
        }
    }

    /// Applies the server's answers to a pushed batch, all in one transaction.
    func applyPushResults(_ response: PushResponse, for operations: [PushOperation]) throws -> PushOutcome {
        try pool.write { db in try self.applyPushResults(db, response, for: operations) }
    }

    /// The same, run on GRDB's writer queue while the caller suspends: an actor calling
    /// it doesn't hold a thread of the cooperative pool for the transaction.
    func applyPushResults(_ response: PushResponse, for operations: [PushOperation]) async throws -> PushOutcome {
        try await pool.write { db in try self.applyPushResults(db, response, for: operations) }
    }

    private func applyPushResults(_ db: Database, _ response: PushResponse, for operations: [PushOperation]) throws -> PushOutcome {
        let results = Dictionary(response.results.map { ($0.opId, $0) }, uniquingKeysWith: { first, _ in first })
        var outcome = PushOutcome()
        // The batch's outbox entries in one read per 500, rather than one per op.
        var entries: [String: Row] = [:]
        let opIds = operations.map(\.opId)
        for start in stride(from: 0, to: opIds.count, by: 500) {
            let chunk = Array(opIds[start..<min(start + 500, opIds.count)])
            // sequence and rowKey first, read by position on the hot path below.
            let rows = try Row.fetchAll(db, sql: """
                SELECT sequence, rowKey, opId, * FROM syncwright_outbox WHERE opId IN (\(databaseQuestionMarks(count: chunk.count)))
                """, arguments: StatementArguments(chunk))
            for row in rows { entries[row[2]] = row }
        }
        // Conflicts are rare: look for one per row only when there is any.
        let anyConflicts = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM syncwright_conflicts)") ?? false
        // Refused changes too: when there are none, an applied change costs no lookup.
        var anyRefused = try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM syncwright_rejected)") ?? false
        var values: [DatabaseValue] = []
        var refused: [(entity: String, rowKey: String, kind: OperationKind, cause: String)] = []
        for operation in operations {
            guard let result = results[operation.opId],
                  let entry = entries[operation.opId],
                  let statements = pushStatements[operation.entity]
            else {
                outcome.unanswered += 1
                continue
            }
            let descriptor = statements.descriptor
            let sequence: Int64 = entry[0]
            let rowKey: String = entry[1]
            let rowID = SyncRowID(entity: descriptor.name, key: SyncKey(operation.key, type: descriptor.key.type))
            func record(_ result: PushedChange.Outcome) {
                outcome.changes.append(PushedChange(row: rowID, kind: operation.kind, outcome: result, opID: operation.opId))
            }
            switch result.status {
            case .applied:
                record(.applied)
                outcome.applied += 1
                try db.executeCached(sql: "DELETE FROM syncwright_outbox WHERE sequence = ?", arguments: [sequence])
                guard operation.kind != .delete, let version = result.version else { break }
                // Later changes to the row build on this one; if there are any, the
                // device's values stay and only the version moves.
                try db.executeCached(sql: "UPDATE syncwright_outbox SET baseVersion = ? WHERE entity = ? AND rowKey = ?",
                                     arguments: [version, descriptor.name, rowKey])
                let laterChanges = db.changesCount > 0
                // A refused change to the row keeps its values on the device, and a retry
                // builds on this version when nobody else changed the row in between.
                var refusedColumns: Set<String> = []
                if anyRefused {
                    try db.executeCached(sql: """
                        UPDATE syncwright_rejected SET retryBase = ? WHERE entity = ? AND rowKey = ? AND retryBase IS ?
                        """, arguments: [version, descriptor.name, rowKey, operation.baseVersion])
                    refusedColumns = try Self.refusedColumns(db, entity: descriptor.name, rowKey: rowKey)
                }
                if result.leftSubset == true {
                    // The row left the subset by the device's own change: no pull
                    // will remove it, so the answer does (unless more changes wait).
                    if try !Self.hasPendingChanges(db, entity: descriptor.name, rowKey: rowKey) {
                        try Self.deleteLocalRow(db, descriptor, key: operation.key)
                    } else {
                        try Self.setVersion(db, descriptor, key: operation.key, version: version)
                    }
                } else if let row = result.row, !laterChanges,
                   try !anyConflicts || !Self.hasPendingChanges(db, entity: descriptor.name, rowKey: rowKey) {
                    if refusedColumns.isEmpty {
                        try Self.executeUpsert(db, sql: statements.upsert, descriptor, row: row, version: version, buffer: &values)
                    } else {
                        try Self.upsertKeepingColumns(db, descriptor, row: row, version: version, keep: refusedColumns)
                    }
                } else {
                    try Self.setVersion(db, descriptor, key: operation.key, version: version)
                }
            case .conflict:
                outcome.conflicts += 1
                if let local = try Self.localRow(db, descriptor, key: operation.key) {
                    outcome.localRows[operation.opId] = Self.columnValues(local)
                }
                let resolution = try resolveConflict(db, descriptor: descriptor, entry: entry, operation: operation, result: result)
                record(.conflict(policy: descriptor.conflictPolicy, resolution: resolution))
                if resolution == .keptForApp { outcome.conflictIDs[operation.opId] = db.lastInsertedRowID }
            case .rejected:
                outcome.rejected += 1
                record(.refused(RefusalCode(rawValue: result.code ?? "rejected")))
                try Self.moveToRejected(db, entry: entry, operation: operation,
                                        reason: result.reason ?? "rejected by the server", code: result.code ?? "rejected",
                                        serverRow: result.row, serverVersion: result.version, dependsOn: result.dependsOn)
                refused.append((operation.entity, rowKey, operation.kind, result.dependsOn ?? operation.opId))
                anyRefused = true
                if let local = try Self.localRow(db, descriptor, key: operation.key) {
                    outcome.localRows[operation.opId] = Self.columnValues(local)
                }
                if result.code == RefusalCode.attachmentMissing.rawValue, statements.hasAttachments {
                    try uploadAgain(db, operation, columns: statements.writable)
                }
            }
        }
        if !refused.isEmpty {
            try rejectDependentChanges(db, of: refused, excluding: Set(operations.map(\.opId)))
        }
        return outcome
    }

    private func resolveConflict(
        _ db: Database, descriptor: SyncEntityDescriptor, entry: Row, operation: PushOperation, result: PushResult
    ) throws -> ConflictResolutionOutcome {
        let sequence: Int64 = entry["sequence"]
        let rowKey: String = entry["rowKey"]
        let retries: Int = entry["conflictRetries"]
        let changed = Self.decodeColumns(entry["changedColumns"])
        switch descriptor.conflictPolicy {
        case .serverWins:
            // The server's row stands; this change and later unsent ones to the row go.
            // What the device had is recorded, so the app can show what was lost.
            let local = try Self.localRow(db, descriptor, key: operation.key)
            try db.executeCached(sql: """
                INSERT INTO syncwright_overwritten (entity, rowKey, kind, changedColumns, localValues, serverRow, serverVersion, overwrittenAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [descriptor.name, rowKey, operation.kind.rawValue, entry["changedColumns"] as String,
                                 local.map { Self.wireObject(descriptor, $0).jsonText },
                                 result.row.map { JSONValue.object($0).jsonText }, result.version, Date().timeIntervalSince1970])
            try db.executeCached(sql: "DELETE FROM syncwright_outbox WHERE entity = ? AND rowKey = ?", arguments: [descriptor.name, rowKey])
            if let row = result.row {
                // A refused change to the row keeps its values until the app settles it.
                let refused = try Self.refusedColumns(db, entity: descriptor.name, rowKey: rowKey)
                try Self.upsertKeepingColumns(db, descriptor, row: row, version: result.version, keep: refused)
            } else {
                try Self.deleteLocalRow(db, descriptor, key: operation.key)
            }
            return .serverKept
        case .clientWins, .lastWriteWins:
            guard retries < Self.maximumConflictRetries else {
                try Self.moveToRejected(db, entry: entry, operation: operation,
                                        reason: "the row kept changing on the server; the change was retried \(retries) times",
                                        code: "conflict_retry_limit", serverRow: result.row, serverVersion: result.version)
                return .setAside
            }
            var kind = operation.kind
            var columns = changed
            if result.row == nil, kind == .update {
                // Deleted on the server: the device's row comes back as an insert.
                kind = .insert
                columns = descriptor.writableColumns.map(\.name)
            } else if result.row != nil, kind == .insert {
                kind = .update
                columns = descriptor.writableColumns.map(\.name)
            } else if descriptor.conflictPolicy == .clientWins, kind == .update {
                columns = descriptor.writableColumns.map(\.name)
            }
            if descriptor.conflictPolicy == .lastWriteWins, kind == .update, let row = result.row {
                // The server's other columns show locally; the device's changed ones stay.
                try Self.upsertKeepingColumns(db, descriptor, row: row, version: result.version, keep: Set(columns))
            }
            if kind == .delete, result.row == nil {
                // Both deleted it: nothing to resolve.
                try db.executeCached(sql: "DELETE FROM syncwright_outbox WHERE sequence = ?", arguments: [sequence])
                return .bothDeleted
            }
            try db.executeCached(sql: """
                UPDATE syncwright_outbox SET opId = ?, kind = ?, changedColumns = ?, baseVersion = ?, sent = 0,
                sentValues = NULL, conflictRetries = conflictRetries + 1 WHERE sequence = ?
                """, arguments: [OperationID.make(), kind.rawValue, Self.encodeColumns(columns),
                                 result.version, sequence])
            return .resent
        case .manual:
            let local = try Self.localRow(db, descriptor, key: operation.key)
            let localValues = local.map { Self.wireObject(descriptor, $0).jsonText }
            try db.executeCached(sql: """
                INSERT INTO syncwright_conflicts (entity, rowKey, kind, changedColumns, localValues, serverRow, serverVersion, detectedAt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [descriptor.name, rowKey, operation.kind.rawValue, Self.encodeColumns(changed), localValues,
                                 result.row.map { JSONValue.object($0).jsonText }, result.version, Date().timeIntervalSince1970])
            try db.executeCached(sql: "DELETE FROM syncwright_outbox WHERE sequence = ?", arguments: [sequence])
            return .keptForApp
        }
    }

    /// A local row's writable columns as wire values.
    static func wireObject(_ descriptor: SyncEntityDescriptor, _ row: Row) -> JSONValue {
        .object(Dictionary(uniqueKeysWithValues: descriptor.writableColumns.map {
            ($0.name, $0.type.wireValue(fromDatabase: row[$0.name] ?? .null))
        }))
    }

    static func moveToRejected(
        _ db: Database, entry: Row, operation: PushOperation, reason: String, code: String,
        serverRow: [String: JSONValue]?, serverVersion: Int64?, dependsOn: String? = nil
    ) throws {
        try db.executeCached(sql: """
            INSERT INTO syncwright_rejected
                (opId, entity, rowKey, kind, baseVersion, sentValues, changedColumns, reason, code, serverRow, serverVersion,
                 rejectedAt, serverRowKnown, dependsOn, retryBase)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [operation.opId, operation.entity, entry["rowKey"] as String, operation.kind.rawValue,
                             operation.baseVersion, operation.values.map { JSONValue.object($0).jsonText },
                             entry["changedColumns"] as String, reason, code,
                             serverRow.map { JSONValue.object($0).jsonText }, serverVersion, Date().timeIntervalSince1970,
                             serverRow != nil, dependsOn, serverVersion ?? operation.baseVersion])
        try db.executeCached(sql: "DELETE FROM syncwright_outbox WHERE sequence = ?", arguments: [entry["sequence"] as Int64])
    }

    /// Moves the outbox entries that `filter` selects, as they were queued, to the
    /// refused changes with `code` and `reason` (and `dependsOn`, the refused change they
    /// needed): the one way a change becomes refused without an answer from the server.
    static func refuseQueuedChanges(
        _ db: Database, where filter: String, _ arguments: StatementArguments, code: String, reason: String,
        dependsOn: String? = nil, at now: Double = Date().timeIntervalSince1970
    ) throws {
        try db.executeCached(sql: """
            INSERT INTO syncwright_rejected
                (opId, entity, rowKey, kind, baseVersion, sentValues, changedColumns, reason, code, serverRow, serverVersion,
                 rejectedAt, serverRowKnown, dependsOn, retryBase)
            SELECT opId, entity, rowKey, kind, baseVersion, sentValues, changedColumns, ?, ?, NULL, NULL, ?, 0, ?, baseVersion
            FROM syncwright_outbox WHERE \(filter) ORDER BY sequence
            """, arguments: [reason, code, now, dependsOn] + arguments)
        try db.executeCached(sql: "DELETE FROM syncwright_outbox WHERE \(filter)", arguments: arguments)
    }

    /// The device's side of `depends_on_rejected`: queued changes that need a refused
    /// one are refused with it, never sent to fail on their own (`not_found` after a
    /// refused insert, `owner_mismatch` for the line of an order that wasn't made). A
    /// change needs a refused one when it was queued after it on the same row, or when
    /// a reference of its row points at the row a refused insert would have made; the
    /// changes refused so in turn count too. Each names `cause`, the refusal the app acts
    /// on; ``retry(_:)`` and ``discard(_:)`` of the cause take them along. Changes of the
    /// batch just answered (`excluding`) have their own answers.
    func rejectDependentChanges(
        _ db: Database, of refused: [(entity: String, rowKey: String, kind: OperationKind, cause: String)],
        excluding batch: Set<String>
    ) throws {
        var work = refused
        var handled: Set<String> = []
        while let next = work.popLast() {
            guard handled.insert(next.entity + "\u{1}" + next.rowKey).inserted else { continue }
            var dependents = try Row.fetchAll(db, sql: """
                SELECT * FROM syncwright_outbox WHERE entity = ? AND rowKey = ? ORDER BY sequence
                """, arguments: [next.entity, next.rowKey])
            if next.kind == .insert, let target = entitiesByName[next.entity] {
                // Rows pointing at the row that wasn't made, and their queued changes.
                let key = try Self.keyValue(target, try JSONValue(jsonText: next.rowKey))
                for descriptor in entitiesByName.values.sorted(by: { $0.name < $1.name }) {
                    for column in descriptor.columns where column.references == target.name {
                        let keys = try DatabaseValue.fetchAll(db, sql: """
                            SELECT \(descriptor.keyColumn.quotedDatabaseIdentifier) FROM \(descriptor.tableName.quotedDatabaseIdentifier)
                            WHERE \(column.name.quotedDatabaseIdentifier) = ?
                            """, arguments: [key])
                        for key in keys {
                            let rowKey = descriptor.key.type.wireValue(fromDatabase: key).jsonText
                            dependents += try Row.fetchAll(db, sql: """
                                SELECT * FROM syncwright_outbox WHERE entity = ? AND rowKey = ? ORDER BY sequence
                                """, arguments: [descriptor.name, rowKey])
                        }
                    }
                }
            }
            for row in dependents {
                // Sent ones (a batch in flight) have answers of their own coming.
                let opId: String = row["opId"]
                guard !batch.contains(opId), !(row["sent"] as Bool) else { continue }
                try Self.refuseQueuedChanges(
                    db, where: "sequence = ?", [row["sequence"] as Int64], code: "depends_on_rejected",
                    reason: "this change needs change \(next.cause), which the server refused", dependsOn: next.cause)
                work.append((row["entity"], row["rowKey"], OperationKind(rawValue: row["kind"]) ?? .update, next.cause))
            }
        }
    }

    // MARK: - Row helpers

    static func keyValue(_ descriptor: SyncEntityDescriptor, _ key: JSONValue) throws -> DatabaseValue {
        do {
            return try descriptor.key.type.databaseValue(fromWire: key)
        } catch {
            throw SyncStoreError.invalidServerData("key of \(descriptor.name): \(error)")
        }
    }

    static func localRow(_ db: Database, _ descriptor: SyncEntityDescriptor, key: JSONValue) throws -> Row? {
        try Row.fetchOne(try db.cachedStatement(sql: """
            SELECT * FROM \(descriptor.tableName.quotedDatabaseIdentifier) WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?
            """), arguments: [try keyValue(descriptor, key)])
    }

    /// A row's values by column.
    static func columnValues(_ row: Row) -> [String: DatabaseValue] {
        Dictionary(row.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
    }

    /// The columns of the row's refused changes the app hasn't retried or discarded:
    /// the device keeps its values in them whatever the server answers meanwhile.
    static func refusedColumns(_ db: Database, entity: String, rowKey: String) throws -> Set<String> {
        var columns: Set<String> = []
        for text in try String.fetchAll(db.cachedStatement(sql: """
            SELECT changedColumns FROM syncwright_rejected WHERE entity = ? AND rowKey = ? AND kind = 'update'
            """), arguments: [entity, rowKey]) {
            columns.formUnion(decodeColumns(text))
        }
        return columns
    }

    static func hasPendingChanges(_ db: Database, entity: String, rowKey: String) throws -> Bool {
        try Bool.fetchOne(try db.cachedStatement(sql: """
            SELECT EXISTS (SELECT 1 FROM syncwright_outbox WHERE entity = ? AND rowKey = ?)
                OR EXISTS (SELECT 1 FROM syncwright_conflicts WHERE entity = ? AND rowKey = ?)
            """), arguments: [entity, rowKey, entity, rowKey]) ?? false
    }

    static func setVersion(_ db: Database, _ descriptor: SyncEntityDescriptor, key: JSONValue, version: Int64) throws {
        try db.executeCached(sql: """
            UPDATE \(descriptor.tableName.quotedDatabaseIdentifier) SET \(SyncEntityDescriptor.versionColumn.quotedDatabaseIdentifier) = ?
            WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?
            """, arguments: [version, try keyValue(descriptor, key)])
    }

    static func deleteLocalRow(_ db: Database, _ descriptor: SyncEntityDescriptor, key: JSONValue) throws {
        try db.executeCached(sql: """
            DELETE FROM \(descriptor.tableName.quotedDatabaseIdentifier) WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?
            """, arguments: [try keyValue(descriptor, key)])
    }

    /// Writes a server row (every column, includes too) and its version.
    static func upsert(_ db: Database, _ descriptor: SyncEntityDescriptor, row: [String: JSONValue], version: Int64?) throws {
        try upsertKeepingColumns(db, descriptor, row: row, version: version, keep: [])
    }

    /// Appends a server row's values in the upsert statement's binding order: the
    /// descriptor's columns, then `version`, then `updatedAt`.
    ///
    /// - Throws: ``SyncStoreError/invalidServerData(_:)`` when a value doesn't fit its column.
    static func appendServerRowValues(
        _ descriptor: SyncEntityDescriptor, row: [String: JSONValue], version: Int64?, to values: inout [DatabaseValue]
    ) throws {
        for column in descriptor.columns {
            let value = row[column.name] ?? .null
            if let cases = column.cases, case .string(let text) = value, !cases.contains(text) {
                throw SyncStoreError.invalidServerData(
                    "\(descriptor.name).\(column.name) takes one of \(cases.joined(separator: ", ")), not \"\(text.prefix(60))\"")
            }
            do {
                values.append(try column.type.databaseValue(fromWire: value))
            } catch {
                throw SyncStoreError.invalidServerData("\(descriptor.name).\(column.name): \(error)")
            }
        }
        values.append(version.databaseValue)
        do {
            values.append(try ColumnType.timestamp.databaseValue(fromWire: row[SyncEntityDescriptor.updatedAtColumn] ?? .null))
        } catch {
            throw SyncStoreError.invalidServerData("\(descriptor.name).\(SyncEntityDescriptor.updatedAtColumn): \(error)")
        }
    }

    /// Writes a server row except the columns in `keep`, which hold pending local values.
    static func upsertKeepingColumns(
        _ db: Database, _ descriptor: SyncEntityDescriptor, row: [String: JSONValue], version: Int64?, keep: Set<String>
    ) throws {
        var values: [DatabaseValue] = []
        try executeUpsert(db, sql: PullStatements.upsertSQL(descriptor, keeping: keep), descriptor, row: row, version: version,
                          buffer: &values)
    }

    /// Runs an upsert built by ``PullStatements/upsertSQL(_:keeping:)`` for a server row,
    /// binding its values through `buffer`, which callers that upsert many rows reuse.
    static func executeUpsert(
        _ db: Database, sql: String, _ descriptor: SyncEntityDescriptor, row: [String: JSONValue], version: Int64?,
        buffer values: inout [DatabaseValue]
    ) throws {
        values.removeAll(keepingCapacity: true)
        values.reserveCapacity(descriptor.columns.count + 2)
        try appendServerRowValues(descriptor, row: row, version: version, to: &values)
        let statement = try db.cachedStatement(sql: sql)
        statement.setUncheckedArguments(StatementArguments(databaseValues: values))
        try statement.execute()
    }
}

/// One entity's SQL on the push path, built when the store opens.
struct PushStatements: Sendable {
    let descriptor: SyncEntityDescriptor
    /// The columns a device writes, in the order `selectWritable` reads them.
    let writable: [SyncColumn]
    /// `SELECT <writable columns> FROM <table> WHERE <key> = ?`.
    let selectWritable: String
    /// The upsert of a whole server row (``PullStatements/upsertSQL(_:keeping:)``).
    let upsert: String
    /// Whether a change may carry a file reference: it waits until the file is uploaded.
    let hasAttachments: Bool
    /// The writable columns that reference another entity of the subset.
    let referenceColumns: [SyncColumn]

    init(_ descriptor: SyncEntityDescriptor) {
        self.descriptor = descriptor
        writable = descriptor.writableColumns
        hasAttachments = writable.contains { $0.type == .attachment }
        referenceColumns = writable.filter { $0.references != nil }
        let columns = writable.map(\.name.quotedDatabaseIdentifier).joined(separator: ", ")
        selectWritable = """
            SELECT \(columns) FROM \(descriptor.tableName.quotedDatabaseIdentifier) \
            WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?
            """
        upsert = PullStatements.upsertSQL(descriptor)
    }
}

/// SQL for applying server rows.
enum PullStatements {
    /// `INSERT … ON CONFLICT(key) DO UPDATE SET …` with positional arguments: the
    /// descriptor's columns, then `version`, then `updatedAt`. Columns in `keeping` are
    /// inserted for a new row but not overwritten on an existing one.
    static func upsertSQL(_ descriptor: SyncEntityDescriptor, keeping: Set<String> = []) -> String {
        struct Key: Hashable {
            var descriptor: SyncEntityDescriptor
            var keeping: Set<String>
        }
        let key = Key(descriptor: descriptor, keeping: keeping)
        if let cached = cache.withValue({ $0[key] }) { return cached }
        let sql = makeUpsertSQL(descriptor, keeping: keeping)
        cache.withValue { $0[key] = sql }
        return sql
    }

    /// Built once per descriptor and kept column set: the push path upserts row by row.
    private static let cache = Locked<[AnyHashable: String]>([:])

    private static func makeUpsertSQL(_ descriptor: SyncEntityDescriptor, keeping: Set<String>) -> String {
        let names = descriptor.columns.map(\.name) + [SyncEntityDescriptor.versionColumn, SyncEntityDescriptor.updatedAtColumn]
        let quoted = names.map(\.quotedDatabaseIdentifier)
        let updates = names.filter { $0 != descriptor.keyColumn && !keeping.contains($0) }
            .map { "\($0.quotedDatabaseIdentifier) = excluded.\($0.quotedDatabaseIdentifier)" }
        return """
            INSERT INTO \(descriptor.tableName.quotedDatabaseIdentifier) (\(quoted.joined(separator: ", "))) \
            VALUES (\(databaseQuestionMarks(count: names.count))) \
            ON CONFLICT(\(descriptor.keyColumn.quotedDatabaseIdentifier)) DO UPDATE SET \(updates.joined(separator: ", "))
            """
    }
}

extension Database {
    /// Runs one statement, compiled once per connection: the push path runs the same
    /// few statements for every operation.
    func executeCached(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}

extension StatementArguments {
    /// Arguments from ready database values. GRDB's generic initializer maps them
    /// through a key path, which costs more than binding them on the pull path.
    init(databaseValues: [DatabaseValue]) {
        self.init(databaseValues.map { $0 as (any DatabaseValueConvertible)? })
    }
}
