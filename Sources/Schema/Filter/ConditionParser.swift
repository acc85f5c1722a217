/// A recursive-descent parser for `allow:` conditions: the filter grammar with values
/// (literals and `$parameters`) where a filter has field paths.
///
///     condition := or
///     or        := and ("or" and)*
///     and       := unary ("and" unary)*
///     unary     := "not" unary | primary
///     primary   := "(" condition ")" | value [ comparison value | "in" (list | parameter) ]
///     value     := literal | parameter
struct ConditionParser {
    private var cursor: FilterTokenCursor

    /// Parses `text`; the first syntax error ends parsing.
    static func parse(_ text: String) throws(FilterSyntaxError) -> ParsedCondition? {
        var lexer = FilterLexer(text)
        let tokens = try lexer.tokenize()
        if tokens.count == 1 { return nil }
        var parser = ConditionParser(cursor: FilterTokenCursor(tokens: tokens, noun: "condition"))
        let condition = try parser.parseOr()
        let trailing = parser.current
        if trailing.kind != .end {
            var message = "unexpected '\(trailing.spelling)'; expected 'and', 'or' or the end of the condition"
            if trailing.kind == .rightParenthesis { message = "unbalanced ')'" }
            throw FilterSyntaxError(message: message, offset: trailing.offset)
        }
        return condition
    }

    private init(cursor: FilterTokenCursor) {
        self.cursor = cursor
    }

    private var current: FilterToken { cursor.current }

    private mutating func advance() -> FilterToken { cursor.advance() }

    private mutating func parseOr() throws(FilterSyntaxError) -> ParsedCondition {
        var operands = [try parseAnd()]
        while current.kind == .keyword(.or) {
            _ = advance()
            operands.append(try parseAnd())
        }
        return operands.count == 1 ? operands[0] : .or(operands)
    }

    private mutating func parseAnd() throws(FilterSyntaxError) -> ParsedCondition {
        var operands = [try parseUnary()]
        while current.kind == .keyword(.and) {
            _ = advance()
            operands.append(try parseUnary())
        }
        return operands.count == 1 ? operands[0] : .and(operands)
    }

    private mutating func parseUnary() throws(FilterSyntaxError) -> ParsedCondition {
        guard current.kind == .keyword(.not) else { return try parsePrimary() }
        let token = advance()
        try cursor.enter(at: token.offset)
        defer { cursor.leave() }
        return .not(try parseUnary())
    }

    private mutating func parsePrimary() throws(FilterSyntaxError) -> ParsedCondition {
        let token = current
        if token.kind == .leftParenthesis {
            _ = advance()
            try cursor.enter(at: token.offset)
            defer { cursor.leave() }
            let inner = try parseOr()
            guard current.kind == .rightParenthesis else {
                throw FilterSyntaxError(message: "expected ')' to close this '('; found \(describe(current))", offset: current.offset)
            }
            _ = advance()
            return inner
        }
        if case .identifier(let name) = token.kind {
            throw FilterSyntaxError(
                message: "an allow condition reads only $parameters and literals, not the field '\(name)'", offset: token.offset)
        }
        let left = try parseValue()
        let next = current
        switch next.kind {
        case .comparison(let op):
            _ = advance()
            return .comparison(left, op, operatorOffset: next.offset, try parseValue())
        case .keyword(.in):
            _ = advance()
            if current.kind == .leftBracket { return .membership(left, inOffset: next.offset, try cursor.parseList()) }
            if case .parameter(let name) = current.kind {
                let parameter = advance()
                return .membership(left, inOffset: next.offset, .parameter(name, offset: parameter.offset))
            }
            throw FilterSyntaxError(message: "expected a list '[…]' or a $parameter after 'in'; found \(describe(current))", offset: current.offset)
        default:
            return .value(left)
        }
    }

    private mutating func parseValue() throws(FilterSyntaxError) -> FilterOperandSyntax {
        let token = advance()
        switch token.kind {
        case .parameter(let name): return .parameter(name, offset: token.offset)
        case .identifier(let name):
            throw FilterSyntaxError(
                message: "an allow condition reads only $parameters and literals, not the field '\(name)'", offset: token.offset)
        default:
            if let value = literal(token) { return .literal(value, offset: token.offset) }
            throw FilterSyntaxError(message: "expected a literal or a $parameter; found \(describe(token))", offset: token.offset)
        }
    }

    private func literal(_ token: FilterToken) -> SchemaValue? { FilterTokenCursor.literal(token) }

    private func describe(_ token: FilterToken) -> String { cursor.describe(token) }
}
