/// Swift spellings of schema names.
enum SwiftNaming {
    /// Words that must be escaped with backticks to be used as identifiers. Contextual
    /// keywords (`open`, `some`, `async`, …) work as identifiers and stay bare.
    static let keywords: Set<String> = [
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func",
        "import", "init", "inout", "internal", "let", "operator", "private",
        "precedencegroup", "protocol", "public", "rethrows", "static", "struct", "subscript", "typealias", "var",
        "break", "case", "catch", "continue", "default", "defer", "do", "else", "fallthrough", "for", "guard", "if",
        "in", "repeat", "return", "throw", "switch", "where", "while", "Any", "as", "await", "false", "is", "nil",
        "self", "Self", "super", "throws", "true", "try", "Protocol", "Type",
    ]

    /// `name`, in backticks when it is a keyword.
    static func identifier(_ name: String) -> String {
        keywords.contains(name) ? "`\(name)`" : name
    }

    /// The local name of an initializer argument for a property called `name`.
    static func argumentName(_ name: String) -> String {
        name == "self" ? "selfValue" : identifier(name)
    }

    /// An initializer parameter: `label: Type`, or `label argument: Type` when the local
    /// name differs from the label.
    static func parameter(label: String, argument: String, type: String) -> String {
        (argument == label ? label : "\(label) \(argument)") + ": \(type)"
    }

    /// The contents of a Swift string literal for `text`.
    static func stringLiteralContents(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\"": result += "\\\""
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Doc-comment lines for `text`: one per line, trimmed, never empty-only.
    static func documentationLines(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .reduce(into: [String]()) { lines, line in
                if !(line.isEmpty && (lines.last?.isEmpty ?? true)) { lines.append(line) }
            }
            .reversed().drop { $0.isEmpty }.reversed()
    }
}
