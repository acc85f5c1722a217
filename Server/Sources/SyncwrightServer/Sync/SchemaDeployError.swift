/// A schema deploy the server refuses: a version it still serves can't be served next
/// to the new schema, or the existing tables can't be brought to it.
public struct SchemaDeployError: Error, Sendable, CustomStringConvertible {
    /// What stops the deploy, with the located changes or problems and what to do.
    public var message: String

    /// Creates the error.
    public init(message: String) { self.message = message }

    public var description: String { message }
}
