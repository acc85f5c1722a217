import SyncwrightSchema

/// SQL text and its arguments built left to right, so placeholders are numbered in
/// the order they appear (`?` in SQLite, `$n` in PostgreSQL).
struct SQLBuilder {
    let dialect: SQLDialect
    private(set) var sql = ""
    private(set) var arguments: [SQLValue] = []

    init(_ dialect: SQLDialect) {
        self.dialect = dialect
    }

    mutating func append(_ text: String) {
        sql += text
    }

    /// Appends a placeholder for `value`, cast to `type`'s column type.
    mutating func bind(_ value: SQLValue, _ type: ScalarType) {
        arguments.append(value)
        sql += dialect.placeholder(arguments.count) + dialect.cast(for: type)
    }

    /// Appends a placeholder without a cast.
    mutating func bind(_ value: SQLValue) {
        arguments.append(value)
        sql += dialect.placeholder(arguments.count)
    }
}
