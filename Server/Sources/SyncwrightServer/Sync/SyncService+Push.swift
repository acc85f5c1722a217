import Foundation
import Syncwright
import SyncwrightSchema

extension SyncService {
    /// `POST /v1/push`: applies the operations in order, in one transaction. Each op's
    /// result is stored under the client's id and the op id in that same transaction, so
    /// a replayed op returns its first result and changes nothing. A rejected op is rolled
    /// back alone (a savepoint) and never fails the rest of the batch.
    ///
    /// The answer is the one a device reads: decoded from the body `POST /v1/push` sends.
    public func push(_ request: PushRequest, claims: [String: JSONValue]) async throws -> PushResponse {
        try PushResponseDecoder.decode(try await pushJSON(request, claims: claims).body)
    }

    /// The answer's JSON body, made of the results' texts, the very ones stored for
    /// replays; and the results, whose rows may be only in the texts.
    func pushJSON(_ request: PushRequest, claims: [String: JSONValue]) async throws -> (body: Data, results: [PushResult]) {
        let answer = try await pushAnswer(request, claims: claims)
        return (WireJSONWriter.answer(answer.texts), answer.results)
    }

    /// Each op's result, and its JSON text.
    private struct PushAnswer {
        var results: [PushResult]
        var texts: [String]
    }

    private func pushAnswer(_ request: PushRequest, claims: [String: JSONValue]) async throws -> PushAnswer {
        let subset = try subset(named: request.subset, schemaHash: request.schemaHash)
        let parameters = try parameters(subset, claims: claims)
        guard !request.clientId.isEmpty, request.clientId.utf8.count <= 200 else {
            throw ProtocolError.invalidRequest("clientId must be 1 to 200 bytes")
        }
        guard request.ops.count <= Self.maximumPushOperations else {
            throw ProtocolError.invalidRequest("a push may hold at most \(Self.maximumPushOperations) ops; this one has \(request.ops.count)")
        }
        if dialect == .postgres, request.clientId.utf8.contains(0) || request.ops.contains(where: { $0.opId.utf8.contains(0) }) {
            throw ProtocolError.invalidRequest("clientId and op ids may not hold U+0000 on this server")
        }
        if let bad = request.ops.first(where: { $0.opId.isEmpty || $0.opId.utf8.count > 200 }) {
            throw ProtocolError.invalidRequest("op id \"\(bad.opId.prefix(40))\" must be 1 to 200 bytes")
        }
        let plans = self.plans[subset.name] ?? [:]
        let buckets = self.bucketDefinitions[subset.name] ?? [:]
        let dialect = self.dialect
        let clientId = request.clientId
        let resultOwner = self.owner(subset, parameters, claims: claims)
        let reader = self.rowReader
        return try await database.write { connection in
            let previous = try await Self.storedResults(connection, dialect, owner: resultOwner, clientId: clientId,
                                                        opIds: request.ops.map(\.opId))
            let statements = Locked<[String: SQLBuilder]>([:])
            let visibleRows = Locked<Set<String>>([])
            // Rows written once in this push whose filter has no parameter can't be
            // rejected after writing: they are read back together at the end.
            var writes: [String: Int] = [:]
            for op in request.ops { writes[op.entity + "\u{1}" + op.key.jsonText, default: 0] += 1 }
            var readBack: [(index: Int, plan: EntityPlan, key: SQLValue)] = []
            var results: [PushResult] = []
            var answered = previous.mapValues(\.result)
            var isFresh: [Bool] = []
            results.reserveCapacity(request.ops.count)
            // Inserts that can't be rejected after writing wait here and go in together,
            // one statement for many rows.
            var inserts = InsertBatch()
            func flushInserts() async throws {
                for (index, outcome) in try await inserts.flush(connection: connection, dialect: dialect) {
                    results[index] = outcome.result
                    answered[outcome.result.opId] = outcome.result
                    if let written = outcome.written { readBack.append((index, written.plan, written.key)) }
                }
            }
            for op in request.ops {
                if inserts.holds(opId: op.opId) { try await flushInserts() }
                if let stored = answered[op.opId] {
                    // A replay: the first result, and nothing changes.
                    results.append(stored)
                    isFresh.append(false)
                    continue
                }
                let plan = plans[op.entity]
                let deferRead = plan.map { !$0.filterUsesParameters } == true
                    && writes[op.entity + "\u{1}" + op.key.jsonText] == 1
                let operation = PushOperationApplier(op: op, plan: plan, subset: subset,
                                                     parameters: parameters, buckets: buckets[op.entity] ?? [],
                                                     subsetPlans: plans, visibleRows: visibleRows,
                                                     connection: connection, dialect: dialect,
                                                     statements: statements, defersReadBack: deferRead)
                if dialect == .sqlite, deferRead, op.kind == .insert, case .success(let validated) = operation.validate() {
                    if !inserts.accepts(validated) { try await flushInserts() }
                    if operation.writesReferences(validated) {
                        // Referenced rows may be among the inserts waiting.
                        try await flushInserts()
                        if let rejection = try await operation.referenceRejection(validated) {
                            answered[op.opId] = rejection
                            results.append(rejection)
                            isFresh.append(true)
                            continue
                        }
                    }
                    inserts.append(index: results.count, operation: operation, validated: validated)
                    results.append(PushResult(opId: op.opId, status: .applied))
                    isFresh.append(true)
                    continue
                }
                try await flushInserts()
                let (result, written) = try await operation.apply()
                if let written, let plan { readBack.append((results.count, plan, written)) }
                answered[op.opId] = result
                results.append(result)
                isFresh.append(true)
            }
            try await flushInserts()
            var written = [String?](repeating: nil, count: results.count)
            try await Self.readBack(readBack, into: &results, texts: &written, parameters: parameters,
                                    connection: connection, dialect: dialect, reader: reader)
            // A replayed op answers with the text stored the first time.
            let texts = results.indices.map { index in
                written[index] ?? (isFresh[index] ? nil : previous[results[index].opId]?.text) ?? WireJSONWriter.text(results[index])
            }
            let fresh = results.indices.filter { isFresh[$0] }.map { (opId: results[$0].opId, json: texts[$0]) }
            // Each result is stored in the same transaction as the change it describes.
            for chunk in stride(from: 0, to: fresh.count, by: 300).map({ Array(fresh[$0..<min($0 + 300, fresh.count)]) }) {
                var builder = SQLBuilder(dialect)
                builder.append("INSERT INTO syncwright_push_results (owner, client_id, op_id, result, applied_at) VALUES ")
                for (index, entry) in chunk.enumerated() {
                    builder.append(index == 0 ? "(" : ", (")
                    builder.bind(.text(resultOwner))
                    builder.append(", ")
                    builder.bind(.text(clientId))
                    builder.append(", ")
                    builder.bind(.text(entry.opId))
                    builder.append(", ")
                    builder.bind(.text(entry.json))
                    builder.append(", \(dialect.now))")
                }
                try await connection.execute(builder.sql, builder.arguments)
            }
            return PushAnswer(results: results, texts: texts)
        }
    }

    /// Fills in applied results whose read was put off, with one query per entity and
    /// 500 rows: the database layer writes each row as JSON into the result's text
    /// (``WireRowReader``), and the result gets its version.
    private static func readBack(
        _ pending: [(index: Int, plan: EntityPlan, key: SQLValue)], into results: inout [PushResult],
        texts: inout [String?], parameters: SubsetParameters, connection: any SQLConnection, dialect: SQLDialect,
        reader: any WireRowReader
    ) async throws {
        let byEntity = Dictionary(grouping: pending, by: { $0.plan.entity.name })
        for (_, entries) in byEntity.sorted(by: { $0.key < $1.key }) {
            let plan = entries[0].plan
            for start in stride(from: 0, to: entries.count, by: 500) {
                let chunk = entries[start..<min(start + 500, entries.count)]
                var builder = SQLBuilder(dialect)
                builder.append("SELECT \(plan.keyText), CASE WHEN ")
                plan.appendFilter(to: &builder, parameters: parameters, mode: .full)
                builder.append(" THEN 1 ELSE 0 END, \(plan.selectList) FROM \(plan.table) AS t\(plan.joins) WHERE t.\(plan.keyColumn) IN (")
                for (position, entry) in chunk.enumerated() {
                    if position > 0 { builder.append(", ") }
                    builder.bind(entry.key, plan.entity.keyField.type.storage)
                }
                builder.append(")")
                let rows = try await reader.appliedRows(builder.sql, builder.arguments, plan: plan, on: connection)
                for entry in chunk {
                    guard let applied = rows[entry.key.keyText] else { continue }
                    results[entry.index].version = applied.version
                    if !applied.inSubset { results[entry.index].leftSubset = true }
                    texts[entry.index] = WireJSONWriter.appliedText(
                        opId: results[entry.index].opId, version: applied.version, row: applied.row, leftSubset: !applied.inSubset)
                }
            }
        }
    }

    /// The results already stored for any of `opIds` from this client and owner, with
    /// their texts.
    private static func storedResults(
        _ connection: any SQLConnection, _ dialect: SQLDialect, owner: String, clientId: String, opIds: [String]
    ) async throws -> [String: (result: PushResult, text: String)] {
        var stored: [String: (result: PushResult, text: String)] = [:]
        let decoder = JSONDecoder()
        for chunk in stride(from: 0, to: opIds.count, by: 500).map({ Array(opIds[$0..<min($0 + 500, opIds.count)]) }) {
            var builder = SQLBuilder(dialect)
            builder.append("SELECT op_id, result FROM syncwright_push_results WHERE owner = ")
            builder.bind(.text(owner))
            builder.append(" AND client_id = ")
            builder.bind(.text(clientId))
            builder.append(" AND op_id IN (")
            for (index, opId) in chunk.enumerated() {
                if index > 0 { builder.append(", ") }
                builder.bind(.text(opId))
            }
            builder.append(")")
            for row in try await connection.query(builder.sql, builder.arguments) {
                if let opId = row[0].text, let text = row[1].text,
                   let result = try? decoder.decode(PushResult.self, from: Data(text.utf8)) {
                    stored[opId] = (result, text)
                }
            }
        }
        return stored
    }
}

/// Validated inserts into one entity with the same columns, waiting to be written by
/// one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING`. Only inserts that can't be
/// rejected after writing (the filter has no parameter) and whose key appears once in
/// the push wait here, so writing them together changes no answer.
struct InsertBatch {
    private var entries: [(index: Int, operation: PushOperationApplier, validated: PushOperationApplier.ValidatedOperation)] = []
    private var opIds: Set<String> = []

    /// The most rows one statement writes (SQLite allows 32,766 arguments).
    static let maximumRows = 500

    func holds(opId: String) -> Bool { opIds.contains(opId) }

    /// Whether `operation` can join the waiting inserts: same entity, same columns.
    func accepts(_ operation: PushOperationApplier.ValidatedOperation) -> Bool {
        guard let first = entries.first?.validated else { return true }
        return entries.count < Self.maximumRows
            && first.plan.entity.name == operation.plan.entity.name
            && first.assignments.map(\.field.name) == operation.assignments.map(\.field.name)
    }

    mutating func append(index: Int, operation: PushOperationApplier, validated: PushOperationApplier.ValidatedOperation) {
        entries.append((index, operation, validated))
        opIds.insert(operation.op.opId)
    }

    struct Outcome {
        var result: PushResult
        /// The row written, whose read is left to the caller.
        var written: (plan: EntityPlan, key: SQLValue)?
    }

    /// Writes the waiting inserts and answers each, by its index in the push. A key
    /// already taken answers as a single insert would; a statement that fails (a
    /// constraint the schema doesn't state) changes nothing, and its rows are then
    /// applied one by one so only the offending op is rejected.
    mutating func flush(connection: any SQLConnection, dialect: SQLDialect) async throws -> [(Int, Outcome)] {
        guard let first = entries.first?.validated else { return [] }
        defer {
            entries.removeAll(keepingCapacity: true)
            opIds.removeAll(keepingCapacity: true)
        }
        let plan = first.plan
        let entity = plan.entity
        let columns = [entity.keyField] + first.assignments.map(\.field)
        var builder = SQLBuilder(dialect)
        builder.append("INSERT INTO \(plan.table) (\(columns.map { plan.quotedColumns[$0.name]! }.joined(separator: ", "))) VALUES ")
        for (position, entry) in entries.enumerated() {
            builder.append(position == 0 ? "(" : ", (")
            builder.bind(entry.validated.key, entity.keyField.type.storage)
            for assignment in entry.validated.assignments {
                builder.append(", ")
                builder.bind(assignment.value, assignment.field.type.storage)
            }
            builder.append(")")
        }
        builder.append(" ON CONFLICT (\(plan.keyColumn)) DO NOTHING RETURNING \(plan.keyColumn)")
        let inserted: Set<SQLValue>
        do {
            inserted = Set(try await connection.query(builder.sql, builder.arguments).compactMap(\.first))
        } catch is ServerDatabaseError {
            var outcomes: [(Int, Outcome)] = []
            for entry in entries {
                let (result, written) = try await entry.operation.apply()
                outcomes.append((entry.index, Outcome(result: result, written: written.map { (plan, $0) })))
            }
            return outcomes
        }
        var outcomes: [(Int, Outcome)] = []
        outcomes.reserveCapacity(entries.count)
        for entry in entries {
            let key = entry.validated.key
            if inserted.contains(key) {
                outcomes.append((entry.index, Outcome(result: PushResult(opId: entry.operation.op.opId, status: .applied),
                                                      written: (plan, key))))
            } else {
                let result: PushResult
                do {
                    result = try await entry.operation.existingRowResult(plan, key: key)
                } catch let error as ServerDatabaseError {
                    result = PushResult(opId: entry.operation.op.opId, status: .rejected, reason: error.message, code: "constraint_violation")
                }
                outcomes.append((entry.index, Outcome(result: result, written: nil)))
            }
        }
        return outcomes
    }
}

/// Checks and applies one operation inside the push's transaction.
struct PushOperationApplier {
    let op: PushOperation
    let plan: EntityPlan?
    let subset: Subset
    let parameters: SubsetParameters
    /// The buckets of the op's entity in the subset.
    let buckets: [BucketDefinition]
    /// Every entity plan of the subset, by entity name.
    let subsetPlans: [String: EntityPlan]
    /// Rows found in the caller's subset during this push, as `Entity\u{1}key`.
    let visibleRows: Locked<Set<String>>
    let connection: any SQLConnection
    let dialect: SQLDialect
    /// Row queries built during this push, by entity and filter mode.
    let statements: Locked<[String: SQLBuilder]>
    /// Whether an applied insert or update leaves reading the row back to the caller.
    let defersReadBack: Bool

    private func rejected(_ code: String, _ reason: String) -> PushResult {
        PushResult(opId: op.opId, status: .rejected, reason: reason, code: code)
    }

    /// A rejection found before writing.
    struct RejectedOperation: Error {
        var result: PushResult
    }

    private func rejection(_ code: String, _ reason: String) -> RejectedOperation {
        RejectedOperation(result: rejected(code, reason))
    }

    /// Checks and applies the op. Its writes run inside a savepoint: a rejection after
    /// writing (the row would change owner) or a database error rolls back this op alone.
    /// The result, and the key of a row written whose read is left to the caller.
    func apply() async throws -> (PushResult, SQLValue?) {
        var wrote = false
        var deferred: SQLValue?
        do {
            let result = try await check(wrote: &wrote, deferred: &deferred)
            if wrote {
                if result.status == .rejected { try await connection.execute("ROLLBACK TO SAVEPOINT syncwright_op") }
                try await connection.execute("RELEASE SAVEPOINT syncwright_op")
            }
            return (result, result.status == .applied ? deferred : nil)
        } catch let error as ServerDatabaseError {
            // A constraint the schema doesn't state (a database CHECK, say). Without a
            // savepoint (SQLite), the failed statement has already undone itself.
            if wrote {
                try await connection.execute("ROLLBACK TO SAVEPOINT syncwright_op")
                try await connection.execute("RELEASE SAVEPOINT syncwright_op")
            }
            return (rejected("constraint_violation", error.message), nil)
        }
    }

    /// Opens the op's savepoint before its first write. SQLite needs none when the
    /// entity's filter has no parameter, as nothing can then be rejected after writing
    /// and a failing statement changes nothing; PostgreSQL always does, since any error
    /// would abort the whole transaction.
    private func beginWrite(_ wrote: inout Bool) async throws {
        guard dialect == .postgres || plan?.filterUsesParameters != false else { return }
        try await connection.execute("SAVEPOINT syncwright_op")
        wrote = true
    }

    /// The plan of the entity a written reference points at, when an include of the op's
    /// entity reads through it and the subset keeps that entity.
    private func includedTarget(_ field: Field, _ plan: EntityPlan) -> EntityPlan? {
        guard let reference = field.reference,
              plan.subsetEntity.includes.contains(where: { $0.path.hops.first?.fieldName == field.name }) else { return nil }
        return subsetPlans[reference.targetEntity]
    }

    /// Whether the op writes a reference ``referenceRejection(_:)`` checks.
    func writesReferences(_ validated: ValidatedOperation) -> Bool {
        validated.assignments.contains { field, value in !value.isNull && includedTarget(field, validated.plan) != nil }
    }

    /// No include oracle: a written reference that an include reads through, to an entity
    /// the subset keeps, must point at a row the caller's subset holds; otherwise the
    /// device could read the includes of any row whose key it knows. References no
    /// include reads through, and references to entities outside the subset, aren't checked.
    func referenceRejection(_ validated: ValidatedOperation) async throws -> PushResult? {
        for (field, value) in validated.assignments where !value.isNull {
            guard let target = includedTarget(field, validated.plan) else { continue }
            let id = target.entity.name + "\u{1}" + value.keyText
            if visibleRows.withValue({ $0.contains(id) }) { continue }
            if op.kind == .update {
                // A reference the update leaves as it was isn't checked again.
                var unchanged = SQLBuilder(dialect)
                let plan = validated.plan
                unchanged.append("SELECT 1 FROM \(plan.table) WHERE \(plan.keyColumn) = ")
                unchanged.bind(validated.key, plan.entity.keyField.type.storage)
                unchanged.append(" AND \(dialect.quote(field.columnName)) = ")
                unchanged.bind(value, field.type.storage)
                if try await !connection.query(unchanged.sql, unchanged.arguments).isEmpty { continue }
            }
            var builder = SQLBuilder(dialect)
            builder.append("SELECT 1 FROM \(target.table) AS t\(target.joins) WHERE t.\(target.keyColumn) = ")
            builder.bind(value, target.entity.keyField.type.storage)
            builder.append(" AND ")
            target.appendFilter(to: &builder, parameters: parameters, mode: .full)
            guard try await !connection.query(builder.sql, builder.arguments).isEmpty else {
                return rejected("reference_outside_subset",
                                "\(field.name) points at a \(target.entity.name) that isn't in your subset")
            }
            visibleRows.withValue { _ = $0.insert(id) }
        }
        return nil
    }

    /// An op that passed every check made before touching the database.
    struct ValidatedOperation {
        var plan: EntityPlan
        var key: SQLValue
        /// The values to write, by field, in the op's name order (the key excluded).
        var assignments: [(field: Field, value: SQLValue)]
    }

    /// The checks that need no database: the entity, its access, the key, and every
    /// value's column and type. Either the op to apply or its rejection.
    func validate() -> Result<ValidatedOperation, RejectedOperation> {
        guard let plan else {
            return .failure(rejection("unknown_entity", "\(op.entity) is not an entity of the \(subset.name) subset"))
        }
        let entity = plan.entity
        switch (plan.subsetEntity.access, op.kind) {
        case (.readOnly, _):
            return .failure(rejection("read_only", "\(entity.name) is read-only in the \(subset.name) subset"))
        case (.insertOnly, .update), (.insertOnly, .delete):
            return .failure(rejection("insert_only", "\(entity.name) is insert-only in the \(subset.name) subset: rows can't be changed or deleted"))
        default:
            break
        }
        let key: SQLValue
        do {
            key = try WireValueCodec.sqlValue(op.key, for: entity.keyField)
        } catch {
            return .failure(rejection("invalid_key", "the key \(op.key) is not a valid \(entity.keyField.type)"))
        }
        if key.isNull { return .failure(rejection("invalid_key", "the key can't be null")) }
        if dialect == .postgres, key.text?.utf8.contains(0) == true {
            return .failure(rejection("invalid_key", "the key holds U+0000, which PostgreSQL text can't store"))
        }

        // Every value must be a writable, selected column of the right type.
        var assignments: [(field: Field, value: SQLValue)] = []
        if op.kind != .delete {
            for (name, value) in (op.values ?? [:]).sorted(by: { $0.key < $1.key }) {
                if plan.includeNames.contains(name) {
                    return .failure(rejection("include_not_writable", "\(name) is an include, read-only on devices"))
                }
                if name == "version" || name == "updatedAt" {
                    return .failure(rejection("server_managed", "\(name) is set by the server"))
                }
                guard let field = plan.selectedFields[name] else {
                    return .failure(rejection("column_not_in_subset", "\(entity.name).\(name) is not a column of the \(subset.name) subset"))
                }
                if name == entity.keyFieldName {
                    guard (try? WireValueCodec.sqlValue(value, for: field)) == key else {
                        return .failure(rejection("key_mismatch", "the values' \(name) differs from the op's key; keys can't change"))
                    }
                    continue
                }
                do {
                    let converted = try WireValueCodec.sqlValue(value, for: field)
                    if dialect == .postgres, converted.text?.utf8.contains(0) == true {
                        // SQLite keeps such text whole; PostgreSQL can't store it at all.
                        return .failure(rejection("type_mismatch", "\(name) holds U+0000, which PostgreSQL text can't store"))
                    }
                    assignments.append((field, converted))
                } catch {
                    return .failure(rejection(error.code, error.reason))
                }
            }
        }
        if op.kind == .insert {
            if let missing = plan.requiredOnInsert.first(where: { name in !assignments.contains { $0.field.name == name } }) {
                return .failure(rejection("missing_value", "a new \(entity.name) needs a value for \(missing)"))
            }
        }
        return .success(ValidatedOperation(plan: plan, key: key, assignments: assignments))
    }

    private func check(wrote: inout Bool, deferred: inout SQLValue?) async throws -> PushResult {
        let validated: ValidatedOperation
        switch validate() {
        case .success(let operation): validated = operation
        case .failure(let rejection): return rejection.result
        }
        let plan = validated.plan, key = validated.key, assignments = validated.assignments
        let entity = plan.entity
        if let rejection = try await referenceRejection(validated) { return rejection }
        switch op.kind {
        case .insert:
            // Insert unless the key exists; only then is the existing row read.
            var builder = SQLBuilder(dialect)
            let columns = [entity.keyField] + assignments.map(\.field)
            builder.append("INSERT INTO \(plan.table) (\(columns.map { plan.quotedColumns[$0.name]! }.joined(separator: ", "))) VALUES (")
            builder.bind(key, entity.keyField.type.storage)
            for assignment in assignments {
                builder.append(", ")
                builder.bind(assignment.value, assignment.field.type.storage)
            }
            builder.append(") ON CONFLICT (\(plan.keyColumn)) DO NOTHING RETURNING \(plan.keyColumn)")
            try await beginWrite(&wrote)
            guard try await connection.query(builder.sql, builder.arguments).isEmpty else {
                return try await appliedResult(plan, key: key, deferred: &deferred)
            }
            return try await existingRowResult(plan, key: key)

        case .update:
            guard let current = try await currentRow(plan, key: key, mode: .full) else {
                return try await isTombstone(plan, key: key)
                    ? PushResult(opId: op.opId, status: .conflict)
                    : rejected("not_found", "no \(entity.name) has this key")
            }
            guard current.matches else {
                return rejected("outside_subset", "this \(entity.name) is not in your subset")
            }
            if current.version != op.baseVersion && plan.subsetEntity.conflictPolicy != .lastWriteWins {
                return PushResult(opId: op.opId, status: .conflict, version: current.version, row: current.row)
            }
            guard !assignments.isEmpty else {
                return PushResult(opId: op.opId, status: .applied, version: current.version, row: current.row)
            }
            var builder = SQLBuilder(dialect)
            builder.append("UPDATE \(plan.table) SET ")
            for (index, assignment) in assignments.enumerated() {
                if index > 0 { builder.append(", ") }
                builder.append("\(plan.quotedColumns[assignment.field.name]!) = ")
                builder.bind(assignment.value, assignment.field.type.storage)
            }
            builder.append(" WHERE \(plan.keyColumn) = ")
            builder.bind(key, entity.keyField.type.storage)
            try await beginWrite(&wrote)
            try await connection.execute(builder.sql, builder.arguments)
            return try await appliedResult(plan, key: key, deferred: &deferred)

        case .delete:
            guard let current = try await currentRow(plan, key: key, mode: .full) else {
                return PushResult(opId: op.opId, status: .applied)
            }
            guard current.matches else {
                return rejected("outside_subset", "this \(entity.name) is not in your subset")
            }
            if current.version != op.baseVersion && plan.subsetEntity.conflictPolicy != .lastWriteWins {
                return PushResult(opId: op.opId, status: .conflict, version: current.version, row: current.row)
            }
            var builder = SQLBuilder(dialect)
            builder.append("DELETE FROM \(plan.table) WHERE \(plan.keyColumn) = ")
            builder.bind(key, entity.keyField.type.storage)
            try await beginWrite(&wrote)
            try await connection.execute(builder.sql, builder.arguments)
            return PushResult(opId: op.opId, status: .applied)
        }
    }

    /// The answer to an insert whose key is taken: a conflict with the row there, or a
    /// rejection when that row isn't the caller's.
    func existingRowResult(_ plan: EntityPlan, key: SQLValue) async throws -> PushResult {
        guard let current = try await currentRow(plan, key: key, mode: .full) else {
            return rejected("constraint_violation", "the row could not be inserted")
        }
        guard current.matches else {
            return rejected("outside_subset", "a \(plan.entity.name) with this key exists and is not in your subset")
        }
        return PushResult(opId: op.opId, status: .conflict, version: current.version, row: current.row)
    }

    /// After a write: the row must still belong to the caller (it may leave the subset
    /// by its own conditions, never to another owner).
    private func appliedResult(_ plan: EntityPlan, key: SQLValue, deferred: inout SQLValue?) async throws -> PushResult {
        if defersReadBack {
            deferred = key
            return PushResult(opId: op.opId, status: .applied)
        }
        guard let written = try await currentRow(plan, key: key, mode: .ownership) else {
            return rejected("constraint_violation", "the row could not be read back after writing it")
        }
        guard written.matches else {
            return rejected("owner_mismatch", "the \(plan.entity.name) would belong to someone else; it must stay in your subset")
        }
        return PushResult(opId: op.opId, status: .applied, version: written.version, row: written.row,
                          leftSubset: written.inSubset ? nil : true)
    }

    private struct CurrentRow {
        /// Whether the row meets the filter in the mode asked for.
        var matches: Bool
        /// Whether the row meets the whole filter: it is in the caller's subset.
        var inSubset: Bool
        var row: [String: JSONValue]
        var version: Int64?
    }

    private func currentRow(_ plan: EntityPlan, key: SQLValue, mode: EntityPlan.FilterMode) async throws -> CurrentRow? {
        // The query differs between ops only in its last argument, the key: build it once a push.
        let cacheKey = "\(plan.entity.name)\u{1}\(mode)"
        var builder: SQLBuilder
        if let cached = statements.withValue({ $0[cacheKey] }) {
            builder = cached
        } else {
            builder = SQLBuilder(dialect)
            builder.append("SELECT CASE WHEN ")
            plan.appendFilter(to: &builder, parameters: parameters, mode: mode)
            builder.append(" THEN 1 ELSE 0 END, CASE WHEN ")
            plan.appendFilter(to: &builder, parameters: parameters, mode: .full)
            builder.append(" THEN 1 ELSE 0 END, \(plan.selectList) FROM \(plan.table) AS t\(plan.joins) WHERE t.\(plan.keyColumn) = ")
            let prefix = builder
            statements.withValue { $0[cacheKey] = prefix }
        }
        builder.bind(key, plan.entity.keyField.type.storage)
        guard let values = try await connection.query(builder.sql, builder.arguments).first else { return nil }
        let (row, version) = plan.row(values, from: 2)
        return CurrentRow(matches: values[0].integer == 1, inSubset: values[1].integer == 1, row: row, version: version)
    }

    /// Whether the row was deleted from one of the caller's buckets (a change to it is
    /// then a conflict); a row the caller never saw is `not_found`, whoever deleted it.
    private func isTombstone(_ plan: EntityPlan, key: SQLValue) async throws -> Bool {
        let rows = try await connection.query(
            "SELECT bucket FROM syncwright_log WHERE entity = \(dialect.placeholder(1)) AND key = \(dialect.placeholder(2)) AND removed = \(dialect.boolean(true))",
            [.text(plan.entity.name), .text(key.keyText)])
        return rows.compactMap { $0.first?.text }.contains { bucket in
            buckets.contains { $0.callerReads(bucket, parameters) }
        }
    }
}
