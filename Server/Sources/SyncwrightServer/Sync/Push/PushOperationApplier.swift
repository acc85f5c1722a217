import Foundation
import SyncwrightCore
import SyncwrightSchema

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
    /// The team's rules, and what they see of the caller.
    let ruleEnvironment: PushRuleEnvironment

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
            var result = try await check(wrote: &wrote, deferred: &deferred)
            if wrote {
                if result.status == .rejected { try await connection.execute("ROLLBACK TO SAVEPOINT syncwright_op") }
                try await connection.execute("RELEASE SAVEPOINT syncwright_op")
            }
            if result.status == .rejected { try await attachCurrentRow(to: &result) }
            return (result, result.status == .applied ? deferred : nil)
        } catch let error as ServerDatabaseError where !error.isTransient {
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
    /// Rules always need one: a refusal rolls back the change and the rules' writes.
    private func beginWrite(_ wrote: inout Bool) async throws {
        guard dialect == .postgres || plan?.filterUsesParameters != false || !rules.isEmpty else { return }
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
            for (field, parameter) in plan.callerFilledFields {
                guard case .single(let value)? = parameters.values[parameter], !value.isNull else { continue }
                if let index = assignments.firstIndex(where: { $0.field.name == field.name }) {
                    if assignments[index].value.isNull { assignments[index].value = value }
                } else {
                    assignments.append((field, value))
                }
            }
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
                if let refusal = try await runRules(plan, key: key, before: nil) { return refusal }
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
            let builder = updateStatement(plan, key: key, assignments)
            let before = try await ruleRow(plan, key: key)
            try await beginWrite(&wrote)
            try await connection.execute(builder.sql, builder.arguments)
            if let refusal = try await runRules(plan, key: key, before: before) { return refusal }
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
            let before = try await ruleRow(plan, key: key)
            try await beginWrite(&wrote)
            try await connection.execute(builder.sql, builder.arguments)
            if let refusal = try await runRules(plan, key: key, before: before) { return refusal }
            return PushResult(opId: op.opId, status: .applied)
        }
    }

    /// A refused update or delete of a row the caller's subset holds carries the row as
    /// the server has it, so the device can put it back at once when the app discards
    /// the change. A row outside the subset is never shown.
    func attachCurrentRow(to result: inout PushResult) async throws {
        guard op.kind != .insert, let plan, let key = try? WireValueCodec.sqlValue(op.key, for: plan.entity.keyField),
              !key.isNull, !(dialect == .postgres && key.text?.utf8.contains(0) == true),
              let current = try await currentRow(plan, key: key, mode: .full), current.inSubset else { return }
        result.row = current.row
        result.version = current.version
    }

    /// `UPDATE` of the row with `key`, setting `assignments`.
    func updateStatement(_ plan: EntityPlan, key: SQLValue, _ assignments: [(field: Field, value: SQLValue)]) -> SQLBuilder {
        var builder = SQLBuilder(dialect)
        builder.append("UPDATE \(plan.table) SET ")
        for (index, assignment) in assignments.enumerated() {
            if index > 0 { builder.append(", ") }
            builder.append("\(dialect.quote(assignment.field.columnName)) = ")
            builder.bind(assignment.value, assignment.field.type.storage)
        }
        builder.append(" WHERE \(plan.keyColumn) = ")
        builder.bind(key, plan.entity.keyField.type.storage)
        return builder
    }

    /// The refusal of an op that needs a change the push refused before (`cause`, the
    /// first of its chain): nothing is written, and an update or delete of a row in the
    /// caller's subset carries the row, as every refusal does.
    func dependentRefusal(on cause: String) async throws -> PushResult {
        try await refusal("depends_on_rejected", "this change needs change \(cause) of the same push, which the server refused",
                          dependsOn: cause)
    }

    /// A refusal decided before anything is written, carrying the row as every refusal
    /// of an update or delete of a row in the caller's subset does.
    func refusal(_ code: String, _ reason: String, dependsOn: String? = nil) async throws -> PushResult {
        var result = PushResult(opId: op.opId, status: .rejected, reason: reason, code: code, dependsOn: dependsOn)
        try await attachCurrentRow(to: &result)
        return result
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
        if dialect == .postgres {
            // Writers don't queue behind one lock: a push that reads a row to decide on it
            // holds the row until it commits, so a concurrent one decides on what this
            // one leaves (its version check sees the new version).
            builder.append(" FOR UPDATE OF t")
        }
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
