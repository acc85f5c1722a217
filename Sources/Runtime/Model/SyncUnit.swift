/// The name of a sync unit: the rows of a subset that are pulled together, with one
/// cursor. Generated registries list their units as constants
/// (`FieldServiceTechnician.Unit.jobs`); a string literal works too.
///
///     try await engine.sync(units: [FieldServiceTechnician.Unit.jobs])
public struct SyncUnit: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The unit's name in the schema.
    public let rawValue: String

    /// A unit by its name in the schema.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A unit by its name in the schema.
    public init(_ name: String) { self.rawValue = name }

    /// A unit written as a literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static func < (lhs: SyncUnit, rhs: SyncUnit) -> Bool { lhs.rawValue < rhs.rawValue }
}
