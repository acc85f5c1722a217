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
    ///
    /// The team's ``PushRules`` run on each change after the schema's checks; a change
    /// refused (by either) makes later ops of the push that need it refused with it
    /// (`depends_on_rejected`, naming it in `dependsOn`).
    ///
    /// - Parameter requestID: The request's id, which a failing rule's log line names.
    public func push(_ request: PushRequest, claims: [String: JSONValue], requestID: String? = nil) async throws -> PushResponse {
        try PushResponseDecoder.decode(try await pushJSON(request, claims: claims, requestID: requestID).body)
    }

    /// The answer's JSON body, made of the results' texts, the very ones stored for
    /// replays; and the results, whose rows may be only in the texts.
    func pushJSON(_ request: PushRequest, claims: [String: JSONValue], requestID: String? = nil)
        async throws -> (body: Data, results: [PushResult])
    {
        let answer = try await pushAnswer(request, claims: claims, requestID: requestID)
        // Committed: devices waiting on the buckets it changed hear of it now.
        if answer.results.contains(where: { $0.status == .applied }) { wakeWaitingPulls() }
        return (WireJSONWriter.answer(answer.texts), answer.results)
    }

    /// Each op's result, and its JSON text.
    private struct PushAnswer {
        var results: [PushResult]
        var texts: [String]
    }

    /// One op's answer while the push runs.
    private struct OpAnswer {
        var result: PushResult
        /// False for a replay, answered with the result stored the first time.
        var isFresh: Bool
        /// The answer's JSON text, once known: the stored one for a replay, the one the
        /// read-back wrote for a row read after writing.
        var text: String?
    }

    private func pushAnswer(_ request: PushRequest, claims: [String: JSONValue], requestID: String?) async throws -> PushAnswer {
        let served = try await servedSubset(named: request.subset, schemaHash: request.schemaHash)
        let subset = served.subset
        let parameters = try parameters(subset, claims: claims)
        guard OperationID.isAcceptable(request.clientId) else {
            throw ProtocolError.invalidRequest("clientId must be 1 to \(OperationID.maximumLength) bytes")
        }
        guard request.ops.count <= Self.maximumPushOperations else {
            throw ProtocolError.invalidRequest("a push may hold at most \(Self.maximumPushOperations) ops; this one has \(request.ops.count)")
        }
        if dialect == .postgres, request.clientId.utf8.contains(0) || request.ops.contains(where: { $0.opId.utf8.contains(0) }) {
            throw ProtocolError.invalidRequest("clientId and op ids may not hold U+0000 on this server")
        }
        if let bad = request.ops.first(where: { !OperationID.isAcceptable($0.opId) }) {
            throw ProtocolError.invalidRequest("op id \"\(bad.opId.prefix(40))\" must be 1 to \(OperationID.maximumLength) bytes")
        }
        let plans = served.plans
        let buckets = self.bucketDefinitions[subset.name] ?? [:]
        let dialect = self.dialect
        let clientId = request.clientId
        let resultOwner = self.owner(subset, parameters, claims: claims)
        let reader = self.rowReader
        let rules = self.rules
        let ruleEnvironment = PushRuleEnvironment(
            rules: rules, claims: claims, parameters: rules.rules.isEmpty ? [:] : PushRuleEnvironment.wireParameters(parameters),
            requestID: requestID, logger: logger)
        // Only inserts into entities some reference points at can be needed by a later op.
        let entities = entitiesByName, referenceFields = self.referenceFields, referencedEntities = self.referencedEntities
        // Files are looked up before the transaction: its writer lock isn't held for them.
        let attachmentRefusals = try await attachmentRefusals(request.ops, plans: plans)
        return try await database.write { connection in
            // The log entries this push's writes make say so: the device that pushed holds
            // those rows without pulling them (DatabaseLayout.pushingFlag).
            let pushing = DatabaseLayout.pushingStatements(dialect)
            try await connection.execute(pushing.begin)
            let previous = try await Self.storedResults(connection, dialect, owner: resultOwner, clientId: clientId,
                                                        opIds: request.ops.map(\.opId))
            let statements = Locked<[String: SQLBuilder]>([:])
            let visibleRows = Locked<Set<String>>([])
            // Rows written once in this push whose filter has no parameter can't be
            // rejected after writing: they are read back together at the end.
            var writes: [String: Int] = [:]
            for op in request.ops { writes[op.entity + "\u{1}" + op.key.jsonText, default: 0] += 1 }
            var readBack: [(index: Int, plan: EntityPlan, key: SQLValue)] = []
            var answers: [OpAnswer] = []
            var answered = previous.mapValues(\.result)
            answers.reserveCapacity(request.ops.count)
            // Inserts that can't be rejected after writing wait here and go in together,
            // one statement for many rows.
            var inserts = InsertBatch()
            // Refused ops, which later ops that need them are refused with.
            var refused = RefusedDependencies()
            func flushInserts() async throws {
                for (index, outcome) in try await inserts.flush(connection: connection, dialect: dialect) {
                    answers[index].result = outcome.result
                    answered[outcome.result.opId] = outcome.result
                    if let written = outcome.written { readBack.append((index, written.plan, written.key)) }
                    let op = request.ops[index]
                    refused.record(op, entities[op.entity], result: outcome.result)
                }
            }
            for op in request.ops {
                let entity = entities[op.entity]
                let references = RefusedDependencies.references(of: op, referenceFields[op.entity] ?? [])
                // An op pointing at a row an insert waiting to be written makes waits for
                // its answer. (A waiting insert's key appears once in the push.)
                if inserts.holds(opId: op.opId) || inserts.holdsAny(references) { try await flushInserts() }
                if let stored = answered[op.opId] {
                    // A replay: the first result, and nothing changes.
                    answers.append(OpAnswer(result: stored, isFresh: false, text: previous[op.opId]?.text))
                    refused.record(op, entity, result: stored)
                    continue
                }
                let plan = plans[op.entity]
                let hasRules = plan.map { rules.covers($0.entity.name) } == true
                let deferRead = plan.map { !$0.filterUsesParameters } == true && !hasRules
                    && writes[op.entity + "\u{1}" + op.key.jsonText] == 1
                let operation = PushOperationApplier(op: op, plan: plan, subset: subset,
                                                     parameters: parameters, buckets: buckets[op.entity] ?? [],
                                                     subsetPlans: plans, visibleRows: visibleRows,
                                                     connection: connection, dialect: dialect,
                                                     statements: statements, defersReadBack: deferRead,
                                                     ruleEnvironment: ruleEnvironment)
                if !refused.isEmpty, let cause = refused.cause(own: RefusedDependencies.ownRow(of: op, entity), references: references) {
                    let result = try await operation.dependentRefusal(on: cause)
                    answered[op.opId] = result
                    answers.append(OpAnswer(result: result, isFresh: true))
                    refused.record(op, entity, result: result)
                    continue
                }
                if let (code, reason) = attachmentRefusals[op.opId] {
                    let result = try await operation.refusal(code, reason)
                    answered[op.opId] = result
                    answers.append(OpAnswer(result: result, isFresh: true))
                    refused.record(op, entity, result: result)
                    continue
                }
                if dialect == .sqlite, deferRead, op.kind == .insert, case .success(let validated) = operation.validate() {
                    if !inserts.accepts(validated) { try await flushInserts() }
                    if operation.writesReferences(validated) {
                        // Referenced rows may be among the inserts waiting.
                        try await flushInserts()
                        if let rejection = try await operation.referenceRejection(validated) {
                            answered[op.opId] = rejection
                            answers.append(OpAnswer(result: rejection, isFresh: true))
                            refused.record(op, entity, result: rejection)
                            continue
                        }
                    }
                    inserts.append(index: answers.count, operation: operation, validated: validated,
                                   row: referencedEntities.contains(op.entity) ? RefusedDependencies.ownRow(of: op, entity) : nil)
                    answers.append(OpAnswer(result: PushResult(opId: op.opId, status: .applied), isFresh: true))
                    continue
                }
                try await flushInserts()
                let (result, written) = try await operation.apply()
                if let written, let plan { readBack.append((answers.count, plan, written)) }
                answered[op.opId] = result
                answers.append(OpAnswer(result: result, isFresh: true))
                refused.record(op, entity, result: result)
            }
            try await flushInserts()
            try await Self.readBack(readBack, into: &answers, parameters: parameters,
                                    connection: connection, dialect: dialect, reader: reader)
            let texts = answers.map { $0.text ?? WireJSONWriter.text($0.result) }
            let fresh = answers.indices.filter { answers[$0].isFresh }.map { (opId: answers[$0].result.opId, json: texts[$0]) }
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
            if let end = pushing.end { try await connection.execute(end) }
            return PushAnswer(results: answers.map(\.result), texts: texts)
        }
    }

    /// Fills in applied results whose read was put off, with one query per entity and
    /// 500 rows: the database layer writes each row as JSON into the result's text
    /// (``WireRowReader``), and the result gets its version.
    private static func readBack(
        _ pending: [(index: Int, plan: EntityPlan, key: SQLValue)], into answers: inout [OpAnswer],
        parameters: SubsetParameters, connection: any SQLConnection, dialect: SQLDialect,
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
                    answers[entry.index].result.version = applied.version
                    if !applied.inSubset { answers[entry.index].result.leftSubset = true }
                    answers[entry.index].text = WireJSONWriter.appliedText(
                        opId: answers[entry.index].result.opId, version: applied.version, row: applied.row,
                        leftSubset: !applied.inSubset)
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
