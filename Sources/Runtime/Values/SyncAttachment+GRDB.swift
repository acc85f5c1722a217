import GRDB

/// An `attachment` column holds the reference's text (`referenceText`),
/// exactly as pulled rows store it.
extension SyncAttachment: DatabaseValueConvertible {
    public var databaseValue: DatabaseValue { referenceText.databaseValue }

    public static func fromDatabaseValue(_ dbValue: DatabaseValue) -> SyncAttachment? {
        guard case .string(let text) = dbValue.storage else { return nil }
        return SyncAttachment(referenceText: text)
    }
}
