/// A row filter as written: the parser's output, before names and types are resolved.
/// Every part keeps its offset in the expression so errors point at the exact token.
indirect enum ParsedFilter: Sendable, Hashable {
    case and([ParsedFilter])
    case or([ParsedFilter])
    case not(ParsedFilter)
    case comparison(FilterPathSyntax, ComparisonOperator, operatorOffset: Int, FilterOperandSyntax)
    case membership(FilterPathSyntax, inOffset: Int, FilterOperandSyntax)
    case nullCheck(FilterPathSyntax, isNull: Bool, offset: Int)
    case condition(FilterPathSyntax)
}

/// A dotted path such as `workOrder.assigneeId`, each component with its offset.
struct FilterPathSyntax: Sendable, Hashable {
    struct Component: Sendable, Hashable {
        var name: String
        var offset: Int
    }

    var components: [Component]
    var offset: Int { components[0].offset }
    var text: String { components.map(\.name).joined(separator: ".") }
}

/// The right-hand side of a comparison or `in`.
enum FilterOperandSyntax: Sendable, Hashable {
    case literal(SchemaValue, offset: Int)
    case parameter(String, offset: Int)
    case list([FilterOperandSyntax], offset: Int)

    var offset: Int {
        switch self {
        case .literal(_, let offset), .parameter(_, let offset), .list(_, let offset): offset
        }
    }
}
