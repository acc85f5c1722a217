import Foundation
import Syncwright

/// A team's own checks on pushed changes, run by the server inside the push's
/// transaction, after the schema's own checks have passed.
///
/// ```swift
/// var rules = PushRules()
/// rules.on("WorkOrderLine", .insert) { change in
///     let product = try #require(change.after?.column("productId"))
///     ...
///     throw PushRefusal(code: "out_of_stock", message: "Bolt is out of stock")
/// }
/// ```
///
/// A rule sees the change (``PushRuleContext``): its entity, kind, key and values, the
/// row before and after it, the caller's subset parameters and claims, and a handle on
/// the push's transaction to read and write other tables. It may refuse the change by
/// throwing ``PushRefusal`` (the device gets the rule's code and message, and the push
/// goes on with the next change), or set values of the row (``PushRuleContext/set(_:to:)``).
/// Any other error refuses the change with `rule_failed`; the server logs it under the
/// request id.
///
/// Rules only ever narrow what the schema allows: they run after a change passed every
/// check of the schema (access, columns, types, filters, references), and the row must
/// still be in the caller's subset after they ran.
public struct PushRules: Sendable {
    /// The rules, in the order they were added.
    public private(set) var rules: [PushRule] = []

    /// No rules.
    public init() {}

    /// Adds a rule run on changes of `kinds` to `entity`, after the rules added before.
    ///
    /// - Parameters:
    ///   - entity: The entity's name in the schema (`WorkOrderLine`).
    ///   - kinds: The kinds of change the rule looks at; all when empty.
    ///   - name: A name for the server's log; `Entity.kinds#n` when omitted.
    ///   - body: The rule.
    public mutating func on(
        _ entity: String, _ kinds: OperationKind..., name: String? = nil,
        _ body: @escaping PushRule.Body
    ) {
        let kinds = kinds.isEmpty ? Set([OperationKind.insert, .update, .delete]) : Set(kinds)
        let label = name ?? "\(entity).\(kinds.map(\.rawValue).sorted().joined(separator: "+"))#\(rules.count + 1)"
        rules.append(PushRule(entity: entity, kinds: kinds, name: label, body: body))
    }

    /// Adds another set's rules after these: a team keeps each area's rules in a file
    /// of its own (stock, billing, scheduling) and puts them together at start.
    public mutating func append(contentsOf other: PushRules) {
        rules.append(contentsOf: other.rules)
    }

    /// The rules for a change of `kind` to `entity`, in order.
    func rules(for entity: String, _ kind: OperationKind) -> [PushRule] {
        rules.filter { $0.entity == entity && $0.kinds.contains(kind) }
    }

    /// Whether any rule looks at `entity`.
    func covers(_ entity: String) -> Bool {
        rules.contains { $0.entity == entity }
    }

    /// The entities rules name that the schema doesn't have.
    func unknownEntities(in names: Set<String>) -> [String] {
        Array(Set(rules.map(\.entity)).subtracting(names)).sorted()
    }
}

/// One rule: the entity and kinds of change it looks at, and what it does.
public struct PushRule: Sendable {
    /// What a rule runs: it returns to let the change go on, throws ``PushRefusal`` to
    /// refuse it, and may set values through the context.
    public typealias Body = @Sendable (PushRuleContext) async throws -> Void

    /// The entity's name in the schema.
    public var entity: String
    /// The kinds of change it looks at.
    public var kinds: Set<OperationKind>
    /// Its name in the server's log.
    public var name: String
    /// The rule.
    public var body: Body
}

/// A rule's refusal of a change: the device gets `code` and `message` for this change
/// alone, like every other refusal, and the push goes on.
public struct PushRefusal: Error, Sendable, Hashable, CustomStringConvertible {
    /// Why, for programs: lower_snake_case, such as `out_of_stock`.
    public var code: String
    /// Why, for people: shown to the device's user, so it names what they know.
    public var message: String

    /// Creates a refusal.
    public init(code: String, message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }

    /// Whether `code` is lower_snake_case of 1 to 64 characters, as the protocol's codes are.
    var hasValidCode: Bool {
        (1...64).contains(code.utf8.count)
            && code.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }
}
