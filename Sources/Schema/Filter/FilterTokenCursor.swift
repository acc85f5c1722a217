/// A position in a token list, with what the filter parser and the `allow:` condition
/// parser share: stepping, nesting depth, literals, `[…]` lists and token descriptions.
struct FilterTokenCursor {
    private let tokens: [FilterToken]
    private var position = 0
    private var depth = 0
    /// What a parse error calls the whole text: "expression" or "condition".
    let noun: String

    init(tokens: [FilterToken], noun: String) {
        self.tokens = tokens
        self.noun = noun
    }

    var current: FilterToken { tokens[position] }

    /// The token after the current one (the end token once there is none).
    var next: FilterToken { tokens[min(position + 1, tokens.count - 1)] }

    mutating func advance() -> FilterToken {
        let token = tokens[position]
        if position < tokens.count - 1 { position += 1 }
        return token
    }

    /// Enters one level of parentheses or `not`; call ``leave()`` after it.
    mutating func enter(at offset: Int) throws(FilterSyntaxError) {
        depth += 1
        if depth > FilterParser.maximumNesting {
            throw FilterSyntaxError(message: "\(noun) nests more than \(FilterParser.maximumNesting) levels deep", offset: offset)
        }
    }

    mutating func leave() { depth -= 1 }

    /// `[literal, …]`, the current token being `[`.
    mutating func parseList() throws(FilterSyntaxError) -> FilterOperandSyntax {
        let open = advance()
        var items: [FilterOperandSyntax] = []
        if current.kind == .rightBracket {
            throw FilterSyntaxError(message: "an 'in' list needs at least one value", offset: current.offset)
        }
        while true {
            let token = advance()
            guard let value = Self.literal(token) else {
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

    /// The value of a literal token; nil for any other token.
    static func literal(_ token: FilterToken) -> SchemaValue? {
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

    /// A token as error messages quote it.
    func describe(_ token: FilterToken) -> String {
        token.kind == .end ? "the end of the \(noun)" : "'\(token.spelling)'"
    }
}
