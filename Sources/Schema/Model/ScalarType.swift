/// The scalar types a field may have.
public enum ScalarType: String, Sendable, Hashable, CaseIterable, Codable {
    case string, int, double, decimal, bool, uuid, date, timestamp, blob, json

    /// Whether values of this type can be compared with `<`, `<=`, `>` and `>=`.
    public var isOrdered: Bool {
        switch self {
        case .string, .int, .double, .decimal, .date, .timestamp: true
        case .bool, .uuid, .blob, .json: false
        }
    }

    /// Whether values of this type can be compared at all in a row filter.
    public var isComparable: Bool { self != .blob && self != .json }

    /// Whether a field of this type can be an entity's key.
    public var canBeKey: Bool { self == .uuid || self == .string || self == .int }

    /// Whether a subset parameter can have this type.
    public var canBeParameter: Bool { isComparable && self != .double }
}

/// The type of a field: a scalar, or an enumeration of named cases stored as strings.
public enum FieldType: Sendable, Hashable, CustomStringConvertible {
    /// A scalar type.
    case scalar(ScalarType)
    /// An enumeration with these cases, in schema order.
    case enumeration([String])

    /// The underlying scalar type: enumerations are stored as strings.
    public var storage: ScalarType {
        switch self {
        case .scalar(let scalar): scalar
        case .enumeration: .string
        }
    }

    /// The type as written in a schema.
    public var description: String {
        switch self {
        case .scalar(let scalar): scalar.rawValue
        case .enumeration(let cases): "enum [\(cases.joined(separator: ", "))]"
        }
    }
}
