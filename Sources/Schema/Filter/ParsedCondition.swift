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
