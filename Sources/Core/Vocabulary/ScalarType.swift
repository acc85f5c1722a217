/// The scalar types a field may have: the schema's `type:`, the runtime's column types
/// (`ColumnType` there) and the server's value checks all use this one type.
///
/// | type | wire (JSON) | on the device (SQLite) |
/// |---|---|---|
/// | string | string | TEXT |
/// | int | integer | INTEGER |
/// | double | number | REAL |
/// | decimal | string, exact | TEXT |
/// | bool | true / false | INTEGER 0 / 1 |
/// | uuid | string | BLOB, 16 bytes (GRDB's own encoding of `UUID`) |
/// | date | "YYYY-MM-DD" | TEXT |
/// | timestamp | ISO 8601 with milliseconds, UTC | TEXT "YYYY-MM-DD HH:MM:SS.SSS" (GRDB's format) |
/// | blob | base64 string | BLOB |
/// | json | any JSON value | TEXT (JSON) |
/// | attachment | string, `sha256:<hex> <size> <media type>` (``SyncAttachment``) | TEXT |
///
/// ``WireValueRules`` says which wire values each type accepts.
public enum ScalarType: String, Sendable, Hashable, CaseIterable, Codable {
    case string, int, double, decimal, bool, uuid, date, timestamp, blob, json, attachment

    /// The type of a column of this type in the device's SQLite store.
    public var localSQLType: String {
        switch self {
        case .int, .bool: "INTEGER"
        case .double: "REAL"
        case .blob, .uuid: "BLOB"
        case .string, .decimal, .date, .timestamp, .json, .attachment: "TEXT"
        }
    }

    /// Whether values of this type can be compared with `<`, `<=`, `>` and `>=`.
    public var isOrdered: Bool {
        switch self {
        case .string, .int, .double, .decimal, .date, .timestamp: true
        case .bool, .uuid, .blob, .json, .attachment: false
        }
    }

    /// Whether values of this type can be compared at all in a row filter.
    public var isComparable: Bool { self != .blob && self != .json && self != .attachment }

    /// Whether a field of this type can be an entity's key.
    public var canBeKey: Bool { self == .uuid || self == .string || self == .int }

    /// Whether a subset parameter can have this type.
    public var canBeParameter: Bool { isComparable && self != .double }
}
