import Foundation
import SyncwrightCore
import SyncwrightSchema

/// Validated inserts into one entity with the same columns, waiting to be written by
/// one multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING`. Only inserts that can't be
/// rejected after writing (the filter has no parameter) and whose key appears once in
/// the push wait here, so writing them together changes no answer.
struct InsertBatch {
    private var entries: [(index: Int, operation: PushOperationApplier, validated: PushOperationApplier.ValidatedOperation)] = []
    private var opIds: Set<String> = []
    /// The rows the waiting inserts make that a reference may point at, as
    /// ``RefusedDependencies`` names them.
    private var rows: Set<String> = []

    /// The most rows one statement writes (SQLite allows 32,766 arguments).
    static let maximumRows = 500

    func holds(opId: String) -> Bool { opIds.contains(opId) }

    /// Whether an op pointing at `references` needs a waiting insert.
    func holdsAny(_ references: [String]) -> Bool {
        guard !rows.isEmpty, !references.isEmpty else { return false }
        return references.contains { rows.contains($0) }
    }

    /// Whether `operation` can join the waiting inserts: same entity, same columns.
    func accepts(_ operation: PushOperationApplier.ValidatedOperation) -> Bool {
        guard let first = entries.first?.validated else { return true }
        return entries.count < Self.maximumRows
            && first.plan.entity.name == operation.plan.entity.name
            && first.assignments.map(\.field.name) == operation.assignments.map(\.field.name)
    }

    mutating func append(index: Int, operation: PushOperationApplier, validated: PushOperationApplier.ValidatedOperation, row: String?) {
        entries.append((index, operation, validated))
        opIds.insert(operation.op.opId)
        if let row { rows.insert(row) }
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
            rows.removeAll(keepingCapacity: true)
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
        } catch let error as ServerDatabaseError where !error.isTransient {
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
                } catch let error as ServerDatabaseError where !error.isTransient {
                    result = PushResult(opId: entry.operation.op.opId, status: .rejected, reason: error.message, code: "constraint_violation")
                }
                outcomes.append((entry.index, Outcome(result: result, written: nil)))
            }
        }
        return outcomes
    }
}
