/// A problem found in a schema: a value with a severity, a message, a location,
/// the id of the rule that produced it, and notes that point at related places.
///
/// Diagnostics are collected, never thrown: one run reports every problem of a file.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Hashable, Sendable, Codable, Comparable {
        /// The schema can still be used; the build goes on.
        case warning
        /// The schema cannot be used until this is fixed.
        case error

        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs == .warning && rhs == .error
        }
    }

    /// A secondary message attached to a diagnostic, such as the first definition of a
    /// duplicated name.
    public struct Note: Hashable, Sendable {
        /// The note's text, lower-case and without a trailing period.
        public var message: String
        /// Where the note points, if anywhere.
        public var location: SourceLocation?

        /// Creates a note.
        public init(_ message: String, at location: SourceLocation? = nil) {
            self.message = message
            self.location = location
        }
    }

    /// How serious the problem is.
    public var severity: Severity
    /// A one-line message: lower-case, no trailing period, user names in single quotes.
    public var message: String
    /// Where the problem is.
    public var location: SourceLocation
    /// The id of the rule that found the problem, such as `unknown-type`.
    public var ruleID: String
    /// Related places and advice.
    public var notes: [Note]

    /// Creates a diagnostic.
    public init(
        _ severity: Severity,
        _ message: String,
        at location: SourceLocation,
        rule ruleID: String,
        notes: [Note] = []
    ) {
        self.severity = severity
        self.message = message
        self.location = location
        self.ruleID = ruleID
        self.notes = notes
    }

    /// The diagnostic as one line of compiler-style text, without its notes.
    public var description: String {
        "\(location): \(severity.rawValue): \(message) [\(ruleID)]"
    }
}

extension Array where Element == Diagnostic {
    /// Whether any diagnostic is an error.
    public var containsErrors: Bool { contains { $0.severity == .error } }

    /// The diagnostics in file order, errors before warnings at the same place.
    public func sortedByLocation() -> [Diagnostic] {
        enumerated().sorted { lhs, rhs in
            if lhs.element.location != rhs.element.location {
                return lhs.element.location < rhs.element.location
            }
            return lhs.offset < rhs.offset
        }.map(\.element)
    }
}
