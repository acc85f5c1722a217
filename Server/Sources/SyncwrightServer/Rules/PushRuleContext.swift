import Foundation
import Syncwright
import SyncwrightSchema

/// What a ``PushRule`` sees of one change, and what it may do about it.
///
/// The change has passed every check of the schema and is written, inside a savepoint
/// of the push's transaction: ``after`` is the row as stored (defaults filled in), and
/// ``before`` the row before. A refusal rolls the change back, with everything the rule
/// wrote.
public final class PushRuleContext {
    /// The entity's name in the schema.
    public let entity: String
    /// Insert, update or delete.
    public let kind: OperationKind
    /// The row's key as it travels on the wire.
    public let key: JSONValue
    /// The values the device sent, by field name (none for a delete).
    public let values: [String: JSONValue]
    /// The row before the change, every field of the entity (nil for an insert).
    public let before: RuleRow?
    /// The row after the change, every field of the entity, with the values rules set
    /// so far (nil for a delete).
    public private(set) var after: RuleRow?
    /// The subset the device syncs.
    public let subset: String
    /// The caller's subset parameters, by name (a list parameter is an array).
    public let parameters: [String: JSONValue]
    /// The caller's token claims.
    public let claims: [String: JSONValue]
    /// The request's id, as the server's log names it.
    public let requestID: String?
    /// The push's transaction, to read and write other tables.
    public let database: RuleTransaction

    /// Values rules set that aren't written yet.
    private(set) var adjustments: [(field: Field, value: SQLValue)] = []
    private let fields: [String: Field]
    private let keyFieldName: String

    init(entity: Entity, kind: OperationKind, key: JSONValue, values: [String: JSONValue], before: RuleRow?, after: RuleRow?,
         subset: String, parameters: [String: JSONValue], claims: [String: JSONValue], requestID: String?,
         database: RuleTransaction) {
        self.entity = entity.name
        self.kind = kind
        self.key = key
        self.values = values
        self.before = before
        self.after = after
        self.subset = subset
        self.parameters = parameters
        self.claims = claims
        self.requestID = requestID
        self.database = database
        self.fields = Dictionary(uniqueKeysWithValues: entity.fields.map { ($0.name, $0) })
        self.keyFieldName = entity.keyFieldName
    }

    /// Sets a field of the row the change writes: a value the server owns, such as a
    /// computed total. Any field but the key may be set, on an insert or an update; the
    /// row must stay in the caller's subset. Later rules see the value in ``after``, and
    /// the device gets the row with it in the push's answer.
    ///
    /// - Throws: ``PushRuleError`` when the field doesn't exist, is the key, the change
    ///   is a delete, or the value doesn't fit the field's type: a mistake in the rule,
    ///   which refuses the change with `rule_failed`.
    public func set(_ field: String, to value: JSONValue) throws {
        guard kind != .delete else { throw PushRuleError("a rule can't set \(field) on a delete") }
        guard let definition = fields[field], !definition.isServerManaged else {
            throw PushRuleError("\(entity) has no field \(field) a rule can set")
        }
        guard field != keyFieldName else { throw PushRuleError("a rule can't change the key of \(entity)") }
        let converted: SQLValue
        do {
            converted = try WireValueCodec.sqlValue(value, for: definition)
        } catch {
            throw PushRuleError("a rule set \(entity).\(field): \(error.reason)")
        }
        adjustments.removeAll { $0.field.name == field }
        adjustments.append((definition, converted))
        after?.values[field] = WireValueCodec.jsonValue(converted, definition.type)
    }

    /// Refuses the change: a shorthand for throwing ``PushRefusal``.
    public func refuse(_ code: String, _ message: String) throws -> Never {
        throw PushRefusal(code: code, message: message)
    }

    func takeAdjustments() -> [(field: Field, value: SQLValue)] {
        defer { adjustments = [] }
        return adjustments
    }
}

/// A mistake in a rule (a field it can't set, a value of the wrong type): the change is
/// refused with `rule_failed` and the server logs this.
public struct PushRuleError: Error, Sendable, CustomStringConvertible {
    /// What was wrong.
    public var description: String
    init(_ description: String) { self.description = description }
}

/// A row as a rule sees it: every field of the entity, by its schema name, as wire
/// values (uuids, dates, timestamps and decimals as canonical text).
public struct RuleRow: Sendable, Hashable {
    /// The entity's name.
    public let entity: String
    /// The values, by field name.
    public internal(set) var values: [String: JSONValue]
    let types: [String: FieldType]

    /// A field's value; nil when the entity has no such field.
    public subscript(_ field: String) -> JSONValue? { values[field] }

    /// A field's value as an integer (an `int` field), nil when null.
    public func int(_ field: String) -> Int64? { values[field]?.integerValue }

    /// A field's value as text (string, uuid, date, timestamp, decimal or enum fields).
    public func string(_ field: String) -> String? { values[field]?.stringValue }

    /// A field's value as a number (double, int or decimal fields).
    public func double(_ field: String) -> Double? {
        switch values[field] {
        case .integer(let value): Double(value)
        case .number(let value): value
        case .string(let text): Double(text)
        default: nil
        }
    }

    /// A field's value as a boolean.
    public func bool(_ field: String) -> Bool? {
        if case .bool(let flag)? = values[field] { return flag }
        return nil
    }

    /// A field's value to bind in a rule's SQL, with the cast its column type needs:
    /// `WHERE id = \(row.column("productId"))` works on SQLite and PostgreSQL alike.
    public func column(_ field: String) -> RuleSQL.Argument {
        guard let type = types[field], let value = values[field], value != .null,
              let converted = WireValueCodec.scalarValue(value, type.storage) else {
            return RuleSQL.Argument(value: .null, type: nil)
        }
        return RuleSQL.Argument(value: converted, type: type.storage)
    }
}
