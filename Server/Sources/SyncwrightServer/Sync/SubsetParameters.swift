import Syncwright
import SyncwrightSchema

/// A subset parameter's value for one caller, taken from a verified token claim.
enum ParameterValue: Sendable, Hashable {
    case single(SQLValue)
    case list([SQLValue])
}

/// The values of a subset's parameters for one caller.
struct SubsetParameters: Sendable, Hashable {
    var values: [String: ParameterValue]

    /// Why the token can't be used for the subset (answered with 403).
    struct ClaimProblem: Error, Sendable {
        var message: String
    }

    init(values: [String: ParameterValue]) {
        self.values = values
    }

    /// Reads every parameter of `subset` from `claims`.
    init(subset: Subset, claims: [String: JSONValue]) throws(ClaimProblem) {
        var values: [String: ParameterValue] = [:]
        for parameter in subset.parameters {
            guard let claim = claims[parameter.claim], claim != .null else {
                throw ClaimProblem(message: "the token has no \(parameter.claim) claim, which the \(subset.name) subset needs for $\(parameter.name)")
            }
            func convert(_ value: JSONValue) throws(ClaimProblem) -> SQLValue {
                guard let converted = WireValueCodec.scalarValue(value, parameter.type) else {
                    throw ClaimProblem(message: "the token's \(parameter.claim) claim is not a valid \(parameter.type.rawValue)")
                }
                return converted
            }
            if parameter.isList {
                guard case .array(let items) = claim else {
                    throw ClaimProblem(message: "the token's \(parameter.claim) claim must be a list of \(parameter.type.rawValue)")
                }
                var converted: [SQLValue] = []
                for item in items { converted.append(try convert(item)) }
                values[parameter.name] = .list(converted)
            } else {
                values[parameter.name] = .single(try convert(claim))
            }
        }
        self.values = values
    }

    /// A stable text of the values, so a cursor can tell when the caller's claims changed.
    var fingerprint: String {
        values.keys.sorted().map { name -> String in
            switch values[name]! {
            case .single(let value): "\(name)=\(value)"
            case .list(let items): "\(name)=[\(items.map(\.description).joined(separator: ","))]"
            }
        }.joined(separator: "\n")
    }
}

extension SubsetParameters {
    /// Whether these values pass a subset's `allow:` condition. Comparisons follow the
    /// filter language: a value compares with a literal of its parameter's type, text by
    /// its bytes, numbers by value.
    func allow(_ condition: SubsetCondition, in subset: Subset) -> Bool {
        switch condition {
        case .and(let operands): return operands.allSatisfy { allow($0, in: subset) }
        case .or(let operands): return operands.contains { allow($0, in: subset) }
        case .not(let operand): return !allow(operand, in: subset)
        case .parameter(let name):
            if case .single(let value) = values[name] { return value.bool == true }
            return false
        case .comparison(let left, let op, let right):
            guard let type = type(of: [left, right], in: subset),
                  let a = single(left, type), let b = single(right, type),
                  let order = Self.compare(a, b) else { return false }
            return switch op {
            case .equal: order == 0
            case .notEqual: order != 0
            case .lessThan: order < 0
            case .lessThanOrEqual: order <= 0
            case .greaterThan: order > 0
            case .greaterThanOrEqual: order >= 0
            }
        case .membership(let value, let list):
            guard let type = type(of: [value, list], in: subset), let a = single(value, type) else { return false }
            let items: [SQLValue] = switch list {
            case .list(let literals): literals.map { WireValueCodec.sqlValue($0, type) }
            case .parameter(let name): if case .list(let items) = values[name] { items } else { [] }
            case .literal: []
            }
            return items.contains { Self.compare(a, $0) == 0 }
        }
    }

    /// The type of the first parameter among `operands`.
    private func type(of operands: [FilterOperand], in subset: Subset) -> ScalarType? {
        for case .parameter(let name) in operands {
            if let parameter = subset.parameter(named: name) { return parameter.type }
        }
        return nil
    }

    private func single(_ operand: FilterOperand, _ type: ScalarType) -> SQLValue? {
        switch operand {
        case .literal(let value): WireValueCodec.sqlValue(value, type)
        case .parameter(let name): if case .single(let value) = values[name] { value } else { nil }
        case .list: nil
        }
    }

    private static func compare(_ a: SQLValue, _ b: SQLValue) -> Int? {
        func order<T: Comparable>(_ x: T, _ y: T) -> Int { x < y ? -1 : x == y ? 0 : 1 }
        switch (a, b) {
        case (.integer(let x), .integer(let y)): return order(x, y)
        case (.bool(let x), .bool(let y)): return order(x ? 1 : 0, y ? 1 : 0)
        case (.real, _), (_, .real), (.integer, .text), (.text, .integer):
            func number(_ value: SQLValue) -> Double? {
                switch value {
                case .integer(let integer): Double(integer)
                case .real(let real): real
                case .text(let text): Double(text)
                default: nil
                }
            }
            guard let x = number(a), let y = number(b) else { return nil }
            return order(x, y)
        case (.text(let x), .text(let y)):
            let left = Array(x.utf8), right = Array(y.utf8)
            return left.lexicographicallyPrecedes(right) ? -1 : left == right ? 0 : 1
        default:
            return nil
        }
    }
}
