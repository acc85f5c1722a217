import Foundation
import Logging
import Syncwright
import SyncwrightSchema

/// What the push's rules need besides the op: the rules, who calls, and where to log.
struct PushRuleEnvironment: Sendable {
    var rules: PushRules
    var claims: [String: JSONValue]
    var parameters: [String: JSONValue]
    var requestID: String?
    var logger: Logger

    /// The subset parameters as wire values, for rules.
    static func wireParameters(_ parameters: SubsetParameters) -> [String: JSONValue] {
        parameters.values.mapValues { parameter in
            switch parameter {
            case .single(let value): wireValue(value)
            case .list(let values): .array(values.map(wireValue))
            }
        }
    }

    private static func wireValue(_ value: SQLValue) -> JSONValue {
        switch value {
        case .null: .null
        case .integer(let integer): .integer(integer)
        case .real(let number): .number(number)
        case .text(let text): .string(text)
        case .bool(let flag): .bool(flag)
        case .blob(let data): .string(data.base64EncodedString())
        }
    }
}

extension PushOperationApplier {
    /// The rules that look at this op.
    var rules: [PushRule] {
        guard let plan else { return [] }
        return ruleEnvironment.rules.rules(for: plan.entity.name, op.kind)
    }

    /// The row as rules see it: every field of the entity; nil when there is none.
    func ruleRow(_ plan: EntityPlan, key: SQLValue) async throws -> RuleRow? {
        guard !rules.isEmpty else { return nil }
        let entity = plan.entity
        var builder = SQLBuilder(dialect)
        builder.append("SELECT ")
        builder.append(entity.fields.map { dialect.read(dialect.quote($0.columnName), $0.type.storage) }.joined(separator: ", "))
        builder.append(" FROM \(plan.table) WHERE \(plan.keyColumn) = ")
        builder.bind(key, entity.keyField.type.storage)
        guard let values = try await connection.query(builder.sql, builder.arguments).first else { return nil }
        var row: [String: JSONValue] = [:]
        var types: [String: FieldType] = [:]
        for (index, field) in entity.fields.enumerated() {
            row[field.name] = WireValueCodec.jsonValue(values[index], field.type)
            types[field.name] = field.type
        }
        return RuleRow(entity: entity.name, values: row, types: types)
    }

    /// Runs the op's rules after its write, in the order they were added: the
    /// rejection when one refuses the change or fails, nil when all let it go on. The
    /// values rules set are written after each rule, so the next one sees them.
    func runRules(_ plan: EntityPlan, key: SQLValue, before: RuleRow?) async throws -> PushResult? {
        let rules = self.rules
        guard !rules.isEmpty else { return nil }
        let after = op.kind == .delete ? nil : try await ruleRow(plan, key: key)
        let context = PushRuleContext(
            entity: plan.entity, kind: op.kind, key: op.key, values: op.values ?? [:], before: before, after: after,
            subset: subset.name, parameters: ruleEnvironment.parameters, claims: ruleEnvironment.claims,
            requestID: ruleEnvironment.requestID, database: RuleTransaction(connection: connection, dialect: dialect))
        for rule in rules {
            do {
                try await rule.body(context)
            } catch let refusal as PushRefusal {
                guard refusal.hasValidCode else {
                    return ruleFailed(rule, PushRuleError("the refusal's code \"\(refusal.code.prefix(80))\" is not lower_snake_case of 1 to 64 characters"))
                }
                return PushResult(opId: op.opId, status: .rejected, reason: refusal.message, code: refusal.code)
            } catch is CancellationError {
                throw CancellationError()
            } catch let error as ServerDatabaseError where error.isTransient {
                throw error
            } catch {
                return ruleFailed(rule, error)
            }
            let adjustments = context.takeAdjustments()
            guard !adjustments.isEmpty else { continue }
            let builder = updateStatement(plan, key: key, adjustments)
            try await connection.execute(builder.sql, builder.arguments)
        }
        return nil
    }

    /// A rule threw something other than a refusal: the change is refused, and the
    /// server's log, not the device, learns what went wrong.
    private func ruleFailed(_ rule: PushRule, _ error: any Error) -> PushResult {
        let requestID = ruleEnvironment.requestID
        ruleEnvironment.logger.error("a push rule failed; the change is refused", metadata: [
            "requestId": "\(requestID ?? "-")", "rule": "\(rule.name)", "entity": "\(rule.entity)",
            "opId": "\(op.opId)", "error": "\(String(describing: error).prefix(500))",
        ])
        let reference = requestID.map { " under request id \($0)" } ?? ""
        return PushResult(opId: op.opId, status: .rejected,
                          reason: "a server rule failed on this change; the server's log has the details\(reference)",
                          code: "rule_failed")
    }
}
