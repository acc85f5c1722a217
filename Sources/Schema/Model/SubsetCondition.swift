/// Who may use a subset: a condition over the subset's parameters and literals only,
/// written `allow:` on the subset (`$role == "dispatcher"`, `"dispatcher" in $roles`).
///
/// The server evaluates it with the caller's parameter values before it reads
/// anything; a token that fails it is answered `403 subset_forbidden`.
public indirect enum SubsetCondition: Sendable, Hashable, CustomStringConvertible {
    /// All operands hold.
    case and([SubsetCondition])
    /// At least one operand holds.
    case or([SubsetCondition])
    /// The operand does not hold.
    case not(SubsetCondition)
    /// Two values compare; at least one is a parameter.
    case comparison(FilterOperand, ComparisonOperator, FilterOperand)
    /// A value is one of a list's values (a list literal or a list parameter).
    case membership(FilterOperand, FilterOperand)
    /// A bool parameter is true.
    case parameter(String)

    /// The condition in the filter language's canonical spelling.
    public var description: String { render(nested: false) }

    private func render(nested: Bool) -> String {
        func group(_ text: String) -> String { nested ? "(\(text))" : text }
        switch self {
        case .and(let operands): return group(operands.map { $0.render(nested: true) }.joined(separator: " and "))
        case .or(let operands): return group(operands.map { $0.render(nested: true) }.joined(separator: " or "))
        case .not(let operand): return "not " + operand.render(nested: true)
        case .comparison(let left, let op, let right): return "\(left) \(op.rawValue) \(right)"
        case .membership(let value, let list): return "\(value) in \(list)"
        case .parameter(let name): return "$" + name
        }
    }

    /// Every parameter the condition reads, in order.
    public var parameterNames: [String] {
        func names(_ operand: FilterOperand) -> [String] {
            if case .parameter(let name) = operand { return [name] }
            return []
        }
        switch self {
        case .and(let operands), .or(let operands): return operands.flatMap(\.parameterNames)
        case .not(let operand): return operand.parameterNames
        case .comparison(let left, _, let right), .membership(let left, let right): return names(left) + names(right)
        case .parameter(let name): return [name]
        }
    }
}
