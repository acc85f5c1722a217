/// A recursive-descent parser for row filters.
///
///     expression := or
///     or         := and ("or" and)*
///     and        := unary ("and" unary)*
///     unary      := "not" unary | primary
///     primary    := "(" expression ")" | predicate
///     predicate  := path [ comparison operand | "in" (list | parameter) | "is" ["not"] "null" ]
///     operand    := literal | parameter
///
/// `and` and `or` chains are kept flat, and nesting is limited, so an expression of
/// any length parses in linear time and bounded stack depth.
struct FilterParser {
    /// Parentheses and `not` may nest at most this deep.
    static let maximumNesting = 64

    private var cursor: FilterTokenCursor

    /// Parses `text`; the first syntax error ends parsing.
    static func parse(_ text: String) throws(FilterSyntaxError) -> ParsedFilter? {
        var lexer = FilterLexer(text)
        let tokens = try lexer.tokenize()
        if tokens.count == 1 { return nil }
        var parser = FilterParser(cursor: FilterTokenCursor(tokens: tokens, noun: "expression"))
        let expression = try parser.parseOr()
        let trailing = parser.current
        if trailing.kind != .end {
            var message = "unexpected '\(trailing.spelling)'; expected 'and', 'or' or the end of the expression"
            if trailing.kind == .rightParenthesis { message = "unbalanced ')'" }
            throw FilterSyntaxError(message: message, offset: trailing.offset)
        }
        return expression
    }

    private init(cursor: FilterTokenCursor) {
        self.cursor = cursor
    }

    private var current: FilterToken { cursor.current }

    private mutating func advance() -> FilterToken { cursor.advance() }

    private mutating func parseOr() throws(FilterSyntaxError) -> ParsedFilter {
        var operands = [try parseAnd()]
        while current.kind == .keyword(.or) {
            _ = advance()
            operands.append(try parseAnd())
        }
        return operands.count == 1 ? operands[0] : .or(operands)
    }

    private mutating func parseAnd() throws(FilterSyntaxError) -> ParsedFilter {
        var operands = [try parseUnary()]
        while current.kind == .keyword(.and) {
            _ = advance()
            operands.append(try parseUnary())
        }
        return operands.count == 1 ? operands[0] : .and(operands)
    }

    private mutating func parseUnary() throws(FilterSyntaxError) -> ParsedFilter {
        guard current.kind == .keyword(.not) else { return try parsePrimary() }
        let token = advance()
        try cursor.enter(at: token.offset)
        defer { cursor.leave() }
        return .not(try parseUnary())
    }

    private mutating func parsePrimary() throws(FilterSyntaxError) -> ParsedFilter {
        let token = current
        switch token.kind {
        case .leftParenthesis:
            _ = advance()
            try cursor.enter(at: token.offset)
            defer { cursor.leave() }
            let inner = try parseOr()
            guard current.kind == .rightParenthesis else {
                throw FilterSyntaxError(
                    message: "expected ')' to close this '('; found \(describe(current))",
                    offset: current.offset
                )
            }
            _ = advance()
            return inner
        case .identifier:
            return try parsePredicate()
        case .end:
            throw FilterSyntaxError(message: "expected a condition; found the end of the expression", offset: token.offset)
        case .string, .integer, .number, .parameter, .keyword(.true), .keyword(.false), .keyword(.null):
            throw FilterSyntaxError(
                message: "a condition must start with a field path; found \(describe(token))", offset: token.offset
            )
        default:
            throw FilterSyntaxError(message: "expected a condition; found \(describe(token))", offset: token.offset)
        }
    }

    private mutating func parsePath() throws(FilterSyntaxError) -> FilterPathSyntax {
        var components: [FilterPathSyntax.Component] = []
        repeat {
            if !components.isEmpty { _ = advance() }
            let token = advance()
            guard case .identifier(let name) = token.kind else {
                throw FilterSyntaxError(message: "expected a field name after '.'; found \(describe(token))", offset: token.offset)
            }
            components.append(.init(name: name, offset: token.offset))
        } while current.kind == .dot
        return FilterPathSyntax(components: components)
    }

    private mutating func parsePredicate() throws(FilterSyntaxError) -> ParsedFilter {
        let path = try parsePath()
        let token = current
        switch token.kind {
        case .comparison(let op):
            _ = advance()
            return .comparison(path, op, operatorOffset: token.offset, try parseOperand())
        case .keyword(.in):
            _ = advance()
            if current.kind == .leftBracket { return .membership(path, inOffset: token.offset, try cursor.parseList()) }
            if case .parameter(let name) = current.kind {
                let parameter = advance()
                return .membership(path, inOffset: token.offset, .parameter(name, offset: parameter.offset))
            }
            throw FilterSyntaxError(message: "expected a list '[…]' or a $parameter after 'in'; found \(describe(current))", offset: current.offset)
        case .keyword(.is):
            _ = advance()
            var isNull = true
            if current.kind == .keyword(.not) {
                _ = advance()
                isNull = false
            }
            guard current.kind == .keyword(.null) else {
                throw FilterSyntaxError(message: "expected 'null' after 'is'; found \(describe(current))", offset: current.offset)
            }
            _ = advance()
            return .nullCheck(path, isNull: isNull, offset: token.offset)
        case .keyword(.not) where cursor.next.kind == .keyword(.in):
            throw FilterSyntaxError(message: "write 'not (\(path.text) in …)' instead of 'not in'", offset: token.offset)
        default:
            return .condition(path)
        }
    }

    private mutating func parseOperand() throws(FilterSyntaxError) -> FilterOperandSyntax {
        let token = advance()
        switch token.kind {
        case .parameter(let name): return .parameter(name, offset: token.offset)
        case .identifier(let name):
            throw FilterSyntaxError(
                message: "compare with a literal or a $parameter, not with the field '\(name)'", offset: token.offset
            )
        default:
            if let value = literal(token) { return .literal(value, offset: token.offset) }
            throw FilterSyntaxError(message: "expected a literal or a $parameter; found \(describe(token))", offset: token.offset)
        }
    }

    private func literal(_ token: FilterToken) -> SchemaValue? { FilterTokenCursor.literal(token) }

    private func describe(_ token: FilterToken) -> String { cursor.describe(token) }
}
