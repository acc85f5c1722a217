/// What a device may write in a subset entity: the schema's `access:`, and the runtime's
/// `SyncAccess`.
public enum AccessMode: String, Sendable, Hashable, Codable, CaseIterable {
    /// The device only reads; generated code has no write API.
    case readOnly = "read-only"
    /// The device inserts, updates and deletes rows of its subset.
    case readWrite = "read-write"
    /// The device inserts rows and never changes them afterwards.
    case insertOnly = "insert-only"

    /// Whether the device may write at all; the same as ``allowsInsert``.
    public var allowsWrites: Bool { self != .readOnly }
    /// Whether inserts are allowed.
    public var allowsInsert: Bool { self != .readOnly }
    /// Whether updates and deletes are allowed.
    public var allowsUpdate: Bool { self == .readWrite }
}
