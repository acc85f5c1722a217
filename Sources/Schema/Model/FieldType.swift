import SyncwrightCore

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
