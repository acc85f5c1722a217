/// A token of the row-filter language, with its offset in the expression's text.
struct FilterToken: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        case identifier(String)
        case parameter(String)
        case string(String)
        case integer(Int64)
        case number(String)
        case keyword(Keyword)
        case comparison(ComparisonOperator)
        case leftParenthesis, rightParenthesis, leftBracket, rightBracket, comma, dot
        case end
    }

    enum Keyword: String, Sendable, Hashable, CaseIterable {
        case and, or, not, `in`, `is`, null, `true`, `false`
    }

    var kind: Kind
    /// Offset of the first Unicode scalar, from the start of the expression.
    var offset: Int
    /// Length in Unicode scalars.
    var length: Int

    var spelling: String {
        switch kind {
        case .identifier(let name): name
        case .parameter(let name): "$" + name
        case .string(let text): "\"\(text)\""
        case .integer(let value): String(value)
        case .number(let text): text
        case .keyword(let keyword): keyword.rawValue
        case .comparison(let op): op.rawValue
        case .leftParenthesis: "("
        case .rightParenthesis: ")"
        case .leftBracket: "["
        case .rightBracket: "]"
        case .comma: ","
        case .dot: "."
        case .end: "end of expression"
        }
    }
}

/// A syntax error in a row filter: a message and the offset it points at.
struct FilterSyntaxError: Error, Sendable, Hashable {
    var message: String
    var offset: Int
}

/// Splits a row filter into tokens.
struct FilterLexer {
    private let scalars: [Unicode.Scalar]
    private var index = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    mutating func tokenize() throws(FilterSyntaxError) -> [FilterToken] {
        var tokens: [FilterToken] = []
        while true {
            let token = try next()
            tokens.append(token)
            if token.kind == .end { return tokens }
        }
    }

    private func peek(_ distance: Int = 0) -> Unicode.Scalar? {
        index + distance < scalars.count ? scalars[index + distance] : nil
    }

    private static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic
    }

    private static func isIdentifierContinuation(_ scalar: Unicode.Scalar) -> Bool {
        isIdentifierStart(scalar) || ("0"..."9").contains(scalar)
    }

    private static func isDigit(_ scalar: Unicode.Scalar?) -> Bool {
        scalar.map { ("0"..."9").contains($0) } ?? false
    }

    private mutating func next() throws(FilterSyntaxError) -> FilterToken {
        while let scalar = peek(), scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" {
            index += 1
        }
        let start = index
        guard let scalar = peek() else { return FilterToken(kind: .end, offset: start, length: 0) }
        func token(_ kind: FilterToken.Kind, length: Int) -> FilterToken {
            index = start + length
            return FilterToken(kind: kind, offset: start, length: length)
        }
        switch scalar {
        case "(": return token(.leftParenthesis, length: 1)
        case ")": return token(.rightParenthesis, length: 1)
        case "[": return token(.leftBracket, length: 1)
        case "]": return token(.rightBracket, length: 1)
        case ",": return token(.comma, length: 1)
        case ".": return token(.dot, length: 1)
        case "=":
            if peek(1) == "=" { return token(.comparison(.equal), length: 2) }
            throw FilterSyntaxError(message: "use '==' to compare, not '='", offset: start)
        case "!":
            if peek(1) == "=" { return token(.comparison(.notEqual), length: 2) }
            throw FilterSyntaxError(message: "use 'not' to negate, not '!'", offset: start)
        case "<":
            if peek(1) == "=" { return token(.comparison(.lessThanOrEqual), length: 2) }
            if peek(1) == ">" { throw FilterSyntaxError(message: "use '!=' for 'not equal', not '<>'", offset: start) }
            return token(.comparison(.lessThan), length: 1)
        case ">":
            if peek(1) == "=" { return token(.comparison(.greaterThanOrEqual), length: 2) }
            return token(.comparison(.greaterThan), length: 1)
        case "&":
            throw FilterSyntaxError(message: "use 'and' to combine conditions, not '&'", offset: start)
        case "|":
            throw FilterSyntaxError(message: "use 'or' to combine conditions, not '|'", offset: start)
        case "\"", "'":
            return try stringLiteral(quote: scalar, start: start)
        case "$":
            index += 1
            guard let first = peek(), Self.isIdentifierStart(first) else {
                throw FilterSyntaxError(message: "expected a parameter name after '$'", offset: start)
            }
            let name = identifier()
            return FilterToken(kind: .parameter(name), offset: start, length: index - start)
        default:
            if Self.isDigit(scalar) || (scalar == "-" && Self.isDigit(peek(1))) {
                return try numberLiteral(start: start)
            }
            if Self.isIdentifierStart(scalar) {
                let name = identifier()
                let kind: FilterToken.Kind = FilterToken.Keyword(rawValue: name).map { .keyword($0) } ?? .identifier(name)
                return FilterToken(kind: kind, offset: start, length: index - start)
            }
            throw FilterSyntaxError(message: "unexpected character '\(scalar)'", offset: start)
        }
    }

    private mutating func identifier() -> String {
        var name = String.UnicodeScalarView()
        while let scalar = peek(), Self.isIdentifierContinuation(scalar) {
            name.append(scalar)
            index += 1
        }
        return String(name)
    }

    private mutating func stringLiteral(quote: Unicode.Scalar, start: Int) throws(FilterSyntaxError) -> FilterToken {
        index += 1
        var text = String.UnicodeScalarView()
        while let scalar = peek() {
            index += 1
            if scalar == quote {
                return FilterToken(kind: .string(String(text)), offset: start, length: index - start)
            }
            if scalar == "\\", let escaped = peek() {
                index += 1
                switch escaped {
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "\\", "\"", "'": text.append(escaped)
                default:
                    throw FilterSyntaxError(message: "unknown escape '\\\(escaped)' in string", offset: index - 2)
                }
                continue
            }
            text.append(scalar)
        }
        throw FilterSyntaxError(message: "unterminated string; add the closing \(quote)", offset: start)
    }

    private mutating func numberLiteral(start: Int) throws(FilterSyntaxError) -> FilterToken {
        if peek() == "-" { index += 1 }
        while Self.isDigit(peek()) { index += 1 }
        var isInteger = true
        if peek() == ".", Self.isDigit(peek(1)) {
            isInteger = false
            index += 1
            while Self.isDigit(peek()) { index += 1 }
        }
        if let scalar = peek(), Self.isIdentifierStart(scalar) {
            throw FilterSyntaxError(message: "unexpected '\(scalar)' after a number", offset: index)
        }
        let text = String(String.UnicodeScalarView(scalars[start..<index]))
        if isInteger {
            guard let value = Int64(text) else {
                throw FilterSyntaxError(message: "integer '\(text)' is out of range", offset: start)
            }
            return FilterToken(kind: .integer(value), offset: start, length: index - start)
        }
        return FilterToken(kind: .number(text), offset: start, length: index - start)
    }
}
