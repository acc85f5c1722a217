import Foundation
import SyncwrightSchema

/// SQL a rule runs, written with interpolated values that are bound as arguments, never
/// pasted into the text: `"SELECT stock FROM products WHERE id = \(uuid: productId)"`.
/// The same text runs on SQLite and PostgreSQL; ``RuleTransaction`` numbers the
/// placeholders for the database.
public struct RuleSQL: ExpressibleByStringInterpolation, Sendable {
    /// A value bound to the statement, with the column type it is cast to on
    /// PostgreSQL (nil: no cast).
    public struct Argument: Sendable, Hashable {
        /// The value.
        public var value: SQLValue
        /// The column type to cast it to.
        public var type: ScalarType?

        /// Creates an argument.
        public init(value: SQLValue, type: ScalarType?) {
            self.value = value
            self.type = type
        }
    }

    enum Part: Sendable {
        case text(String)
        case argument(Argument)
    }

    var parts: [Part]

    public init(stringLiteral value: String) {
        parts = [.text(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
    }

    /// Builds the statement's text and arguments from literal text and interpolated values.
    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {
            parts.reserveCapacity(interpolationCount * 2 + 1)
        }

        public mutating func appendLiteral(_ literal: String) { parts.append(.text(literal)) }

        /// A bound value with a cast.
        public mutating func appendInterpolation(_ argument: Argument) { parts.append(.argument(argument)) }
        /// A bound value.
        public mutating func appendInterpolation(_ value: SQLValue) { parts.append(.argument(Argument(value: value, type: nil))) }
        /// A bound integer.
        public mutating func appendInterpolation(_ value: Int) { appendInterpolation(SQLValue.integer(Int64(value))) }
        /// A bound integer.
        public mutating func appendInterpolation(_ value: Int64) { appendInterpolation(SQLValue.integer(value)) }
        /// A bound number.
        public mutating func appendInterpolation(_ value: Double) { appendInterpolation(SQLValue.real(value)) }
        /// A bound boolean.
        public mutating func appendInterpolation(_ value: Bool) { appendInterpolation(SQLValue.bool(value)) }
        /// Bound text.
        public mutating func appendInterpolation(_ value: String) { appendInterpolation(SQLValue.text(value)) }
        /// A bound uuid, cast to `uuid` on PostgreSQL and compared in lower case.
        public mutating func appendInterpolation(uuid value: String) {
            appendInterpolation(Argument(value: .text(value.lowercased()), type: .uuid))
        }
        /// A bound decimal, cast to `numeric` on PostgreSQL.
        public mutating func appendInterpolation(decimal value: String) {
            appendInterpolation(Argument(value: .text(value), type: .decimal))
        }
        /// A double-quoted identifier (a table or column name).
        public mutating func appendInterpolation(identifier: String) {
            parts.append(.text(SQLDialect.sqlite.quote(identifier)))
        }
    }
}

/// The push's transaction as a rule sees it: what a rule reads is what the push wrote
/// so far, and what it writes commits with the push or rolls back with the change it
/// looked at. Writes to synced tables go through their triggers like any other write:
/// they get a new version and reach the devices whose subsets hold the rows.
public struct RuleTransaction: Sendable {
    let connection: any SQLConnection
    /// The database's dialect, for the rare statement that must differ.
    public let dialect: SQLDialect

    /// Runs a query and returns its rows.
    public func query(_ sql: RuleSQL) async throws -> SQLRows {
        let (text, arguments) = render(sql)
        return try await connection.query(text, arguments)
    }

    /// Runs a statement.
    public func execute(_ sql: RuleSQL) async throws {
        let (text, arguments) = render(sql)
        try await connection.execute(text, arguments)
    }

    private func render(_ sql: RuleSQL) -> (String, [SQLValue]) {
        var builder = SQLBuilder(dialect)
        for part in sql.parts {
            switch part {
            case .text(let text): builder.append(text)
            case .argument(let argument):
                if let type = argument.type { builder.bind(argument.value, type) } else { builder.bind(argument.value) }
            }
        }
        return (builder.sql, builder.arguments)
    }
}
