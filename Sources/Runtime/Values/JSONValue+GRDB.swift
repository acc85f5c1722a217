import GRDB

/// A `json` column holds the value as JSON text, read and written as one value (not
/// through `Codable` field by field), exactly as pulled rows store it.
extension JSONValue: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { jsonText.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> JSONValue? {
        guard case .string(let text) = dbValue.storage else { return nil }
        return try? JSONValue(jsonText: text)
    }
}
