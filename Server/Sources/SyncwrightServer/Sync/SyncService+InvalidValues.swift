import SyncwrightSchema

/// A value in a synced table that isn't one of its column's type: written before the
/// database checked what other systems write (an older server, or a restored copy).
/// ``SyncService/prepare()`` lists them, the log names each, and devices don't receive
/// the row until it is repaired.
public struct InvalidStoredValue: Sendable, Hashable, CustomStringConvertible {
    /// The table.
    public var table: String
    /// The column.
    public var column: String
    /// The row's key, as text.
    public var key: String
    /// The value, as text (the first 60 characters).
    public var value: String
    /// What the column takes.
    public var takes: String

    public var description: String { "\(table).\(column) of row \(key) holds \(value), but takes \(takes)" }
}

extension SyncService {
    /// The values found at the last ``prepare()`` that aren't of their column's type, at
    /// most ``maximumInvalidValuesListed`` a column.
    public var invalidValues: [InvalidStoredValue] { invalidValuesFound.withValue { $0 } }

    /// How many invalid values of one column are listed.
    public static let maximumInvalidValuesListed = 20

    static func findInvalidValues(_ layout: DatabaseLayout, _ connection: any SQLConnection) async throws -> [InvalidStoredValue] {
        let dialect = layout.dialect
        var found: [InvalidStoredValue] = []
        for entity in layout.schema.entities {
            let key = dialect.keyText(dialect.quote(entity.keyField.columnName), entity.keyField.type.storage)
            for field in entity.fields {
                let column = dialect.quote(field.columnName)
                guard let invalid = layout.invalidValueCondition(field, column) else { continue }
                let valueText = dialect == .sqlite ? "CAST(\(column) AS TEXT)" : "\(column)::text"
                let rows = try await connection.query(
                    "SELECT \(key), substr(\(valueText), 1, 60) FROM \(dialect.quote(entity.tableName)) "
                        + "WHERE \(column) IS NOT NULL AND \(invalid) ORDER BY 1 LIMIT \(maximumInvalidValuesListed)", [])
                for row in rows {
                    found.append(InvalidStoredValue(table: entity.tableName, column: field.columnName, key: row[0].text ?? "?",
                                                    value: row[1].text ?? "?", takes: DatabaseLayout.takes(field.type)))
                }
            }
        }
        return found
    }
}
