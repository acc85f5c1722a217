import SyncwrightSchema

/// A change to the existing tables the server can't make by itself: the start stops
/// with this message, located at the field in the schema file.
public struct SchemaMigrationError: Error, Sendable, CustomStringConvertible {
    /// Where the field or entity is written in the schema.
    public var location: SourceLocation
    /// What can't be done and what to do about it.
    public var message: String

    public var description: String { "\(location): error: \(message)" }
}
