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

    private var tokens: [FilterToken]
    private var position = 0
    private var depth = 0

    /// Parses `text`; the first syntax error ends parsing.
    static func parse(_ text: String) throws(FilterSyntaxError) -> ParsedFilter? {
        var lexer = FilterLexer(text)
        let tokens = try lexer.tokenize()
        if tokens.count == 1 { return nil }
        var parser = FilterParser(tokens: tokens)
        let expression = try parser.parseOr()
        let trailing = parser.current
        if trailing.kind != .end {
            var message = "unexpected '\(trailing.spelling)'; expected 'and', 'or' or the end of the expression"
            if trailing.kind == .rightParenthesis { message = "unbalanced ')'" }
            throw FilterSyntaxError(message: message, offset: trailing.offset)
        }
        return expression
    }

    private init(tokens: [FilterToken]) {
        self.tokens = tokens
    }

    private var current: FilterToken { tokens[position] }

    private mutating func advance() -> FilterToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    private mutating func nest(at offset: Int) throws(FilterSyntaxError) {
        depth += 1
        if depth > Self.maximumNesting {
            throw FilterSyntaxError(
                message: "expression nests more than \(Self.maximumNesting) levels deep", offset: offset
            )
        }
    }

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
        try nest(at: token.offset)
        defer { depth -= 1 }
        return .not(try parseUnary())
    }

    private mutating func parsePrimary() throws(FilterSyntaxError) -> ParsedFilter {
        let token = current
        switch token.kind {
        case .leftParenthesis:
            _ = advance()
            try nest(at: token.offset)
            defer { depth -= 1 }
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
            if current.kind == .leftBracket { return .membership(path, inOffset: token.offset, try parseList()) }
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
        case .keyword(.not) where tokens[position + 1].kind == .keyword(.in):
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

    private mutating func parseList() throws(FilterSyntaxError) -> FilterOperandSyntax {
        let open = advance()
        var items: [FilterOperandSyntax] = []
        if current.kind == .rightBracket {
            throw FilterSyntaxError(message: "an 'in' list needs at least one value", offset: current.offset)
        }
        while true {
            let token = advance()
            guard let value = literal(token) else {
                throw FilterSyntaxError(message: "expected a literal in the list; found \(describe(token))", offset: token.offset)
            }
            items.append(.literal(value, offset: token.offset))
            let separator = advance()
            if separator.kind == .rightBracket { break }
            guard separator.kind == .comma else {
                throw FilterSyntaxError(message: "expected ',' or ']' in the list; found \(describe(separator))", offset: separator.offset)
            }
        }
        return .list(items, offset: open.offset)
    }

    private func literal(_ token: FilterToken) -> SchemaValue? {
        switch token.kind {
        case .string(let text): .string(text)
        case .integer(let value): .int(value)
        case .number(let text): .number(text)
        case .keyword(.true): .bool(true)
        case .keyword(.false): .bool(false)
        case .keyword(.null): .null
        default: nil
        }
    }

    private func describe(_ token: FilterToken) -> String {
        token.kind == .end ? "the end of the expression" : "'\(token.spelling)'"
    }
}
