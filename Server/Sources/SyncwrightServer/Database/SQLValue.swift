import Foundation

/// A value bound to or read from an SQL statement, in the few storage classes both
/// SQLite and PostgreSQL understand. Column types beyond these (uuid, numeric, date,
/// timestamptz, jsonb) travel as text and are cast in the SQL text by ``SQLDialect``.
public enum SQLValue: Sendable, Hashable, CustomStringConvertible {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case bool(Bool)

    /// The value as text, when it is text.
    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    /// The value as an integer, when it is one.
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .text(let text): Int64(text)
        case .bool(let flag): flag ? 1 : 0
        default: nil
        }
    }

    /// A key as the change log stores it (``SQLDialect/keyText(_:_:)`` in SQL): an
    /// integer in decimal, text as it is.
    var keyText: String {
        switch self {
        case .integer(let integer): String(integer)
        case .text(let text): text
        default: "\(self)"
        }
    }

    /// The value as a number: a real, an integer, or text that reads as one (PostgreSQL
    /// answers `numeric` as text).
    public var double: Double? {
        switch self {
        case .real(let value): value
        case .integer(let value): Double(value)
        case .text(let text): Double(text)
        default: nil
        }
    }

    /// Whether the value is SQL NULL.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// The value as a boolean (SQLite stores booleans as integers).
    public var bool: Bool? {
        switch self {
        case .bool(let flag): flag
        case .integer(let value): value != 0
        default: nil
        }
    }

    public var description: String {
        switch self {
        case .null: "NULL"
        case .integer(let value): String(value)
        case .real(let value): String(value)
        case .text(let text): "'\(text)'"
        case .blob(let data): "<\(data.count) bytes>"
        case .bool(let flag): flag ? "TRUE" : "FALSE"
        }
    }
}

/// The rows a query returned: every row's values in the order of the select list.
public typealias SQLRows = [[SQLValue]]
