import Foundation
import SyncwrightSchema

/// SQL text and its arguments built left to right, so placeholders are numbered in
/// the order they appear (`?` in SQLite, `$n` in PostgreSQL).
struct SQLBuilder {
    let dialect: SQLDialect
    private(set) var sql = ""
    private(set) var arguments: [SQLValue] = []
    /// Whether values are written into the SQL text as literals instead of bound: for
    /// trigger bodies, which take no arguments. Only values from the validated schema
    /// are ever written this way.
    let inlinesValues: Bool

    init(_ dialect: SQLDialect, inlinesValues: Bool = false) {
        self.dialect = dialect
        self.inlinesValues = inlinesValues
    }

    mutating func append(_ text: String) {
        sql += text
    }

    /// Appends a placeholder for `value`, cast to `type`'s column type.
    mutating func bind(_ value: SQLValue, _ type: ScalarType) {
        if inlinesValues {
            sql += literal(value) + dialect.cast(for: type)
            return
        }
        arguments.append(value)
        sql += dialect.placeholder(arguments.count) + dialect.cast(for: type)
    }

    /// Appends a placeholder without a cast.
    mutating func bind(_ value: SQLValue) {
        if inlinesValues {
            sql += literal(value)
            return
        }
        arguments.append(value)
        sql += dialect.placeholder(arguments.count)
    }

    /// `value` as an SQL literal.
    private func literal(_ value: SQLValue) -> String {
        switch value {
        case .null: "NULL"
        case .integer(let integer): String(integer)
        case .real(let number): number.isFinite ? "\(number)" : "NULL"
        case .text(let text): "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
        case .blob(let data):
            (dialect == .sqlite ? "X'" : "'\\x") + data.map { String(format: "%02x", $0) }.joined() + "'"
        case .bool(let flag): dialect.boolean(flag)
        }
    }
}
