/// One difference between two versions of a schema, judged for the devices already in
/// the field: can an app built against the old schema keep syncing with a server that
/// serves the new one?
///
/// ``SchemaDiff`` produces changes; each comes from one ``DiffRule``, which fixes its
/// ``Impact``. A change points at the old file for what was removed and at the new file
/// for what was added or changed.
public struct SchemaChange: Hashable, Sendable, CustomStringConvertible {
    /// What a change means for apps built against the old schema.
    public enum Impact: String, Hashable, Sendable, Codable, Comparable {
        /// Old apps keep syncing; the server serves them in the old shape.
        case compatible
        /// Old apps would fail to read, write or find something they rely on.
        case breaking

        public static func < (lhs: Impact, rhs: Impact) -> Bool {
            lhs == .compatible && rhs == .breaking
        }
    }

    /// Whether old apps keep syncing.
    public var impact: Impact
    /// A one-line message: lower-case, no trailing period, names in single quotes.
    public var message: String
    /// Where the change is: in the old file for removals, in the new file otherwise.
    public var location: SourceLocation
    /// The id of the rule that classified the change, such as `column-removed`.
    public var ruleID: String
    /// Related places and advice.
    public var notes: [Diagnostic.Note]

    /// Creates a change.
    public init(_ impact: Impact, _ message: String, at location: SourceLocation, rule ruleID: String,
                notes: [Diagnostic.Note] = []) {
        self.impact = impact
        self.message = message
        self.location = location
        self.ruleID = ruleID
        self.notes = notes
    }

    /// The change as one line of compiler-style text, without its notes.
    public var description: String {
        "\(location): \(impact.rawValue): \(message) [\(ruleID)]"
    }
}

extension Array where Element == SchemaChange {
    /// Whether any change breaks apps built against the old schema.
    public var containsBreakingChanges: Bool { contains { $0.impact == .breaking } }
}
