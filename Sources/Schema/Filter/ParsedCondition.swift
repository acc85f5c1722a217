/// An `allow:` condition as written, before parameters and types are checked; every
/// part keeps its offset so errors point at the exact token.
indirect enum ParsedCondition: Sendable, Hashable {
    case and([ParsedCondition])
    case or([ParsedCondition])
    case not(ParsedCondition)
    case comparison(FilterOperandSyntax, ComparisonOperator, operatorOffset: Int, FilterOperandSyntax)
    case membership(FilterOperandSyntax, inOffset: Int, FilterOperandSyntax)
    /// A lone value, which must be a bool parameter.
    case value(FilterOperandSyntax)
}

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
    private var tokens: [FilterToken]
    private var position = 0
    private var depth = 0

    /// Parses `text`; the first syntax error ends parsing.
    static func parse(_ text: String) throws(FilterSyntaxError) -> ParsedCondition? {
        var lexer = FilterLexer(text)
        let tokens = try lexer.tokenize()
        if tokens.count == 1 { return nil }
        var parser = ConditionParser(tokens: tokens)
        let condition = try parser.parseOr()
        let trailing = parser.current
        if trailing.kind != .end {
            var message = "unexpected '\(trailing.spelling)'; expected 'and', 'or' or the end of the condition"
            if trailing.kind == .rightParenthesis { message = "unbalanced ')'" }
            throw FilterSyntaxError(message: message, offset: trailing.offset)
        }
        return condition
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
        if depth > FilterParser.maximumNesting {
            throw FilterSyntaxError(message: "condition nests more than \(FilterParser.maximumNesting) levels deep", offset: offset)
        }
    }

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
        try nest(at: token.offset)
        defer { depth -= 1 }
        return .not(try parseUnary())
    }

    private mutating func parsePrimary() throws(FilterSyntaxError) -> ParsedCondition {
        let token = current
        if token.kind == .leftParenthesis {
            _ = advance()
            try nest(at: token.offset)
            defer { depth -= 1 }
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
            if current.kind == .leftBracket { return .membership(left, inOffset: next.offset, try parseList()) }
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
        token.kind == .end ? "the end of the condition" : "'\(token.spelling)'"
    }
}
