/// Resolves an `allow:` condition against the subset's parameters: every parameter
/// declared, literals of the parameter's type, lists only after `in`, a lone value only
/// when it is a bool parameter.
struct ConditionTypeChecker {
    let subsetName: String
    let parameters: [String: Parameter]
    let declaredParameterNames: [String]
    let expression: ExpressionSyntax
    private(set) var diagnostics: [Diagnostic] = []

    init(subsetName: String, parameters: [String: Parameter], declaredParameterNames: [String], expression: ExpressionSyntax) {
        self.subsetName = subsetName
        self.parameters = parameters
        self.declaredParameterNames = declaredParameterNames
        self.expression = expression
    }

    /// Checks `condition`; nil when any part of it is wrong.
    mutating func check(_ condition: ParsedCondition) -> SubsetCondition? {
        switch condition {
        case .and(let operands):
            let checked = operands.map { check($0) }
            return checked.contains { $0 == nil } ? nil : .and(checked.map { $0! })
        case .or(let operands):
            let checked = operands.map { check($0) }
            return checked.contains { $0 == nil } ? nil : .or(checked.map { $0! })
        case .not(let operand):
            return check(operand).map { .not($0) }
        case .value(let operand):
            switch operand {
            case .parameter(let name, let offset):
                guard let parameter = resolve(operand) else { return nil }
                guard parameter.type == .bool, !parameter.isList else {
                    mismatch("'$\(name)' is \(describe(parameter)), not a bool; compare it, as in '$\(name) == …'", at: offset)
                    return nil
                }
                return .parameter(name)
            default:
                mismatch("a literal alone is always true or always false; compare a $parameter with it", at: operand.offset)
                return nil
            }
        case .comparison(let left, let op, let operatorOffset, let right):
            let leftParameter = resolve(left), rightParameter = resolve(right)
            if case .parameter = left, leftParameter == nil { return nil }
            if case .parameter = right, rightParameter == nil { return nil }
            for (operand, parameter) in [(left, leftParameter), (right, rightParameter)] {
                if case .list = operand {
                    mismatch("a list can only follow 'in'", at: operand.offset)
                    return nil
                }
                if let parameter, parameter.isList {
                    mismatch("'$\(parameter.name)' is a list; use '… in $\(parameter.name)'", at: operand.offset)
                    return nil
                }
            }
            guard let anchor = leftParameter ?? rightParameter else {
                mismatch("the condition compares two literals; compare a $parameter", at: operatorOffset)
                return nil
            }
            if op.isOrdering, anchor.type == .bool {
                mismatch("'\(op.rawValue)' can't order bools; use '==' or '!='", at: operatorOffset)
                return nil
            }
            guard fits(left, leftParameter, anchor), fits(right, rightParameter, anchor) else { return nil }
            return .comparison(operand(left), op, operand(right))
        case .membership(let value, _, let list):
            let valueParameter = resolve(value), listParameter = resolve(list)
            if case .parameter = value, valueParameter == nil { return nil }
            if case .parameter = list, listParameter == nil { return nil }
            if case .list = value {
                mismatch("a list can only follow 'in'", at: value.offset)
                return nil
            }
            if let valueParameter, valueParameter.isList {
                mismatch("'$\(valueParameter.name)' is a list; 'in' tests a single value", at: value.offset)
                return nil
            }
            if let listParameter, !listParameter.isList {
                mismatch("'$\(listParameter.name)' is a single value; use '== $\(listParameter.name)', or declare it as a list \"[\(listParameter.type.rawValue)]\"",
                         at: list.offset)
                return nil
            }
            if case .literal = list {
                mismatch("'in' needs a list '[…]' or a list parameter", at: list.offset)
                return nil
            }
            guard let anchor = valueParameter ?? listParameter else {
                mismatch("the condition tests a literal against a literal list; name a $parameter", at: value.offset)
                return nil
            }
            guard fits(value, valueParameter, anchor) else { return nil }
            if case .list(let items, _) = list {
                for item in items where !fits(item, nil, anchor) { return nil }
            }
            return .membership(operand(value), operand(list))
        }
    }

    private func operand(_ syntax: FilterOperandSyntax) -> FilterOperand {
        switch syntax {
        case .literal(let value, _): .literal(value)
        case .parameter(let name, _): .parameter(name)
        case .list(let items, _): .list(items.compactMap { if case .literal(let value, _) = $0 { value } else { nil } })
        }
    }

    /// The declared parameter an operand names; reports an unknown one.
    private mutating func resolve(_ operand: FilterOperandSyntax) -> Parameter? {
        guard case .parameter(let name, let offset) = operand else { return nil }
        if let parameter = parameters[name] { return parameter }
        if !declaredParameterNames.contains(name) {
            diagnostics.append(Rules.UnknownParameter.diagnostic(
                name, subset: subsetName, parameters: declaredParameterNames, at: expression.location(ofOffset: offset)))
        }
        return nil
    }

    /// Whether `operand` (whose parameter, if any, is `parameter`) has `anchor`'s type.
    private mutating func fits(_ operand: FilterOperandSyntax, _ parameter: Parameter?, _ anchor: Parameter) -> Bool {
        if let parameter {
            guard parameter.type == anchor.type else {
                mismatch("'$\(parameter.name)' is \(describe(parameter)), but '$\(anchor.name)' is \(describe(anchor))", at: operand.offset)
                return false
            }
            return true
        }
        guard case .literal(let value, let offset) = operand else { return true }
        if value == .null {
            mismatch("a parameter is never null (a token without the claim is refused), so this compares with nothing", at: offset)
            return false
        }
        if let problem = ValueChecker.check(value, against: .scalar(anchor.type)) {
            let expected = switch problem {
            case .wrongKind(let kind): kind
            case .unknownCase: "a value of its type"
            }
            mismatch("'$\(anchor.name)' is \(describe(anchor)), so it compares with \(expected), not \(value.kindDescription) \(value)", at: offset)
            return false
        }
        return true
    }

    private func describe(_ parameter: Parameter) -> String {
        let type = parameter.type.rawValue
        if parameter.isList { return "a list of \(type)" }
        return (type == "int" || type == "uuid" ? "an " : "a ") + type
    }

    private mutating func mismatch(_ message: String, at offset: Int) {
        diagnostics.append(Rules.AllowTypeMismatch.diagnostic(message, at: expression.location(ofOffset: offset)))
    }
}
