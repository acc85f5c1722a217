import GRDB

/// An `attachment` column holds the reference's text (``Attachment/referenceText``),
/// exactly as pulled rows store it.
extension Attachment: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { referenceText.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> Attachment? {
        guard case .string(let text) = dbValue.storage else { return nil }
        return Attachment(referenceText: text)
    }
}
