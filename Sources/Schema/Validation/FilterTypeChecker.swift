/// Resolves and type-checks a parsed row filter against an entity and a subset's
/// parameters, producing a ``FilterExpression``.
///
/// Every problem in the expression is reported (not just the first), each at the
/// exact token it concerns.
struct FilterTypeChecker {
    let root: Entity
    let resolver: FieldPathResolver
    let subsetName: String
    /// The subset's well-formed parameters.
    let parameters: [String: Parameter]
    /// Every declared parameter name, well-formed or not.
    let declaredParameterNames: [String]
    let expression: ExpressionSyntax

    private(set) var diagnostics: [Diagnostic] = []
    /// Each resolved path with the position of its first component.
    private(set) var paths: [(path: FieldPath, location: SourceLocation)] = []

    init(root: Entity, resolver: FieldPathResolver, subsetName: String, parameters: [String: Parameter],
         declaredParameterNames: [String], expression: ExpressionSyntax) {
        self.root = root
        self.resolver = resolver
        self.subsetName = subsetName
        self.parameters = parameters
        self.declaredParameterNames = declaredParameterNames
        self.expression = expression
    }

    private func location(_ offset: Int) -> SourceLocation { expression.location(ofOffset: offset) }

    /// Checks `filter`; nil when any part of it is wrong.
    mutating func check(_ filter: ParsedFilter) -> FilterExpression? {
        switch filter {
        case .and(let operands):
            let checked = operands.map { check($0) }
            return checked.contains { $0 == nil } ? nil : .and(checked.map { $0! })
        case .or(let operands):
            let checked = operands.map { check($0) }
            return checked.contains { $0 == nil } ? nil : .or(checked.map { $0! })
        case .not(let operand):
            return check(operand).map { .not($0) }
        case .condition(let pathSyntax):
            guard let path = resolve(pathSyntax) else { return nil }
            guard path.type == .scalar(.bool) else {
                mismatch("'\(path)' is \(describe(path.type)), not a bool; compare it with a value, as in '\(path) == …'",
                         at: pathSyntax.offset)
                return nil
            }
            return .condition(path)
        case .nullCheck(let pathSyntax, let isNull, let offset):
            guard let path = resolve(pathSyntax) else { return nil }
            if !path.isNullable {
                diagnostics.append(Rules.FilterRedundantNullCheck.diagnostic(
                    path: path.description, isNull: isNull, at: location(offset)))
            }
            return .nullCheck(path, isNull: isNull)
        case .comparison(let pathSyntax, let op, let operatorOffset, let operandSyntax):
            guard let path = resolve(pathSyntax) else {
                _ = checkParameterExists(operandSyntax)
                return nil
            }
            guard isComparable(path, at: pathSyntax.offset) else { return nil }
            if op.isOrdering, !(path.type.storage.isOrdered && !isEnumeration(path.type)) {
                mismatch("'\(op.rawValue)' can't order values of '\(path)', which is \(describe(path.type)); use '==' or '!='",
                         at: operatorOffset)
                return nil
            }
            switch operandSyntax {
            case .literal(.null, let offset):
                mismatch("compare with null using '\(path) is \(op == .notEqual ? "not " : "")null'", at: offset)
                return nil
            case .literal(let value, let offset):
                return checkLiteral(value, for: path, at: offset) ? .comparison(path, op, .literal(value)) : nil
            case .parameter(let name, let offset):
                guard let parameter = checkParameterExists(operandSyntax) else { return nil }
                if parameter.isList {
                    mismatch("'$\(name)' is a list; use '\(path) in $\(name)'", at: offset)
                    return nil
                }
                guard checkParameter(parameter, for: path, at: offset) else { return nil }
                return .comparison(path, op, .parameter(name))
            case .list(_, let offset):
                mismatch("a list can only follow 'in'", at: offset)
                return nil
            }
        case .membership(let pathSyntax, _, let operandSyntax):
            guard let path = resolve(pathSyntax) else {
                _ = checkParameterExists(operandSyntax)
                return nil
            }
            guard isComparable(path, at: pathSyntax.offset) else { return nil }
            switch operandSyntax {
            case .list(let items, _):
                var values: [SchemaValue] = []
                var valid = true
                for case .literal(let value, let offset) in items {
                    if value == .null {
                        mismatch("null can't be in an 'in' list; add 'or \(path) is null'", at: offset)
                        valid = false
                    } else if checkLiteral(value, for: path, at: offset) {
                        values.append(value)
                    } else {
                        valid = false
                    }
                }
                return valid ? .membership(path, .list(values)) : nil
            case .parameter(let name, let offset):
                guard let parameter = checkParameterExists(operandSyntax) else { return nil }
                if !parameter.isList {
                    mismatch("'$\(name)' is a single value; use '\(path) == $\(name)', or declare it as a list \"[\(parameter.type.rawValue)]\"",
                             at: offset)
                    return nil
                }
                guard checkParameter(parameter, for: path, at: offset) else { return nil }
                return .membership(path, .parameter(name))
            case .literal(_, let offset):
                mismatch("'in' needs a list '[…]' or a list parameter", at: offset)
                return nil
            }
        }
    }

    // MARK: - Helpers

    private mutating func resolve(_ syntax: FilterPathSyntax) -> FieldPath? {
        switch resolver.resolve(syntax.components.map(\.name), from: root) {
        case .success(let path)?:
            paths.append((path, location(syntax.offset)))
            return path
        case .failure(let failure)?:
            diagnostics.append(Rules.FilterUnknownField.diagnostic(
                failure.message, at: location(syntax.components[failure.componentIndex].offset)))
            return nil
        case nil:
            return nil
        }
    }

    private mutating func isComparable(_ path: FieldPath, at offset: Int) -> Bool {
        guard path.type.storage.isComparable else {
            mismatch("'\(path)' is \(describe(path.type)); \(path.type.storage.rawValue) fields can't be used in a row filter",
                     at: offset)
            return false
        }
        return true
    }

    private func isEnumeration(_ type: FieldType) -> Bool {
        if case .enumeration = type { return true }
        return false
    }

    private mutating func checkLiteral(_ value: SchemaValue, for path: FieldPath, at offset: Int) -> Bool {
        switch ValueChecker.check(value, against: path.type) {
        case nil:
            return true
        case .wrongKind(let expected)?:
            mismatch("'\(path)' is \(describe(path.type)), so it compares with \(expected), not \(value.kindDescription) \(value)",
                     at: offset)
        case .unknownCase(let text, let cases)?:
            diagnostics.append(Rules.UnknownEnumCase.diagnostic(text, field: path.description, cases: cases, at: location(offset)))
        }
        return false
    }

    /// The parameter an operand names, reporting an unknown one.
    private mutating func checkParameterExists(_ operand: FilterOperandSyntax) -> Parameter? {
        guard case .parameter(let name, let offset) = operand else { return nil }
        if let parameter = parameters[name] { return parameter }
        if !declaredParameterNames.contains(name) {
            diagnostics.append(Rules.UnknownParameter.diagnostic(
                name, subset: subsetName, parameters: declaredParameterNames, at: location(offset)))
        }
        return nil
    }

    private mutating func checkParameter(_ parameter: Parameter, for path: FieldPath, at offset: Int) -> Bool {
        let fits: Bool
        switch path.type {
        case .enumeration: fits = parameter.type == .string
        case .scalar(let scalar):
            switch scalar {
            case .double, .decimal: fits = [.int, .decimal].contains(parameter.type)
            default: fits = parameter.type == scalar
            }
        }
        if !fits {
            mismatch("'\(path)' is \(describe(path.type)), but '$\(parameter.name)' is \(parameter.isList ? "a list of " : "")\(parameter.type.rawValue)",
                     at: offset)
        }
        return fits
    }

    private func describe(_ type: FieldType) -> String {
        switch type {
        case .enumeration: "an enum"
        case .scalar(let scalar): (scalar == .int || scalar == .uuid ? "an " : "a ") + scalar.rawValue
        }
    }

    private mutating func mismatch(_ message: String, at offset: Int) {
        diagnostics.append(Rules.FilterTypeMismatch.diagnostic(message, at: location(offset)))
    }
}
