/// A resolved, type-checked row filter.
///
/// `and` and `or` are n-ary so long chains stay flat. Every path resolves to a field
/// and every operand has been checked against that field's type.
public indirect enum FilterExpression: Sendable, Hashable, CustomStringConvertible {
    /// All operands hold.
    case and([FilterExpression])
    /// At least one operand holds.
    case or([FilterExpression])
    /// The operand does not hold.
    case not(FilterExpression)
    /// The field compares to the operand.
    case comparison(FieldPath, ComparisonOperator, FilterOperand)
    /// The field's value is one of the operand's values (a list or a list parameter).
    case membership(FieldPath, FilterOperand)
    /// The field is null (`isNull: true`) or is not null.
    case nullCheck(FieldPath, isNull: Bool)
    /// A boolean field is true.
    case condition(FieldPath)

    /// A canonical spelling: single spaces, double quotes, parentheses around every
    /// `and`/`or` inside another operator. Equal meanings written differently
    /// print the same.
    public var description: String { render(nested: false) }

    private func render(nested: Bool) -> String {
        func group(_ text: String) -> String { nested ? "(\(text))" : text }
        switch self {
        case .and(let operands): return group(operands.map { $0.render(nested: true) }.joined(separator: " and "))
        case .or(let operands): return group(operands.map { $0.render(nested: true) }.joined(separator: " or "))
        case .not(let operand): return "not " + operand.render(nested: true)
        case .comparison(let path, let op, let operand): return "\(path) \(op.rawValue) \(operand)"
        case .membership(let path, let operand): return "\(path) in \(operand)"
        case .nullCheck(let path, let isNull): return "\(path) is \(isNull ? "" : "not ")null"
        case .condition(let path): return path.description
        }
    }

    /// Every field path the filter reads, in order.
    public var paths: [FieldPath] {
        switch self {
        case .and(let operands), .or(let operands): operands.flatMap(\.paths)
        case .not(let operand): operand.paths
        case .comparison(let path, _, _), .membership(let path, _), .nullCheck(let path, _), .condition(let path): [path]
        }
    }

    /// Every parameter the filter uses, in order.
    public var parameterNames: [String] {
        switch self {
        case .and(let operands), .or(let operands): operands.flatMap(\.parameterNames)
        case .not(let operand): operand.parameterNames
        case .comparison(_, _, .parameter(let name)), .membership(_, .parameter(let name)): [name]
        case .comparison, .membership, .nullCheck, .condition: []
        }
    }
}

/// The right-hand side of a comparison or membership test.
public enum FilterOperand: Sendable, Hashable, CustomStringConvertible {
    /// A constant.
    case literal(SchemaValue)
    /// A subset parameter, `$name`.
    case parameter(String)
    /// A list of constants, for `in`.
    case list([SchemaValue])

    public var description: String {
        switch self {
        case .literal(let value): value.description
        case .parameter(let name): "$" + name
        case .list(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }
}
