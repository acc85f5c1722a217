import Foundation

/// A rule of ``SchemaDiff``: an id, a one-line summary, the impact of every change it
/// reports, and pairs of schemas that do and don't trigger it.
///
/// Each rule is a small type in the ``DiffRules`` namespace, built like the validator's
/// ``SchemaRule``s: its static functions write its messages, and its examples are run by
/// the test suite. In a triggering example, `↓` in the old or the new schema marks the
/// exact position the change must point at.
public protocol DiffRule: Sendable {
    /// The kebab-case id printed after each change, such as `column-removed`.
    static var id: String { get }
    /// What the rule reports, in one line.
    static var summary: String { get }
    /// Whether the changes it reports break old apps.
    static var impact: SchemaChange.Impact { get }
    /// Pairs of schemas that trigger the rule, with `↓` before the reported position.
    static var triggeringExamples: [DiffExample] { get }
    /// Pairs of schemas that differ without triggering the rule.
    static var passingExamples: [DiffExample] { get }
}

extension DiffRule {
    /// A change reported by this rule.
    static func make(_ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []) -> SchemaChange {
        SchemaChange(impact, message, at: location, rule: id, notes: notes)
    }
}

/// Two versions of a schema, as an example of a ``DiffRule``.
public struct DiffExample: Sendable, Hashable {
    /// The schema the apps in the field were built against.
    public var old: String
    /// The schema the server is about to serve.
    public var new: String

    /// Creates an example.
    public init(old: String, new: String) {
        self.old = old
        self.new = new
    }
}

/// The namespace of every ``SchemaDiff`` rule.
public enum DiffRules {
    /// Every rule, breaking ones first, in the order docs/schema-evolution.md lists them.
    public static let all: [any DiffRule.Type] = [
        SubsetRemoved.self, SubsetEntityRemoved.self, ColumnRemoved.self, IncludeRemoved.self,
        FieldRetyped.self, IncludeRetyped.self, EnumCaseAdded.self, EnumCaseRemoved.self,
        FieldMadeOptional.self, FieldMadeRequired.self, RequiredFieldAdded.self,
        KeyChanged.self, TableRenamed.self, AccessNarrowed.self,
        EntityAdded.self, EntityRemoved.self, FieldAdded.self, FieldRemoved.self, UnselectedFieldChanged.self,
        DefaultChanged.self, SubsetAdded.self, SubsetEntityAdded.self, ColumnAdded.self, IncludeAdded.self,
        IncludePathChanged.self, AccessWidened.self, FilterChanged.self, AllowChanged.self,
        ParametersChanged.self, ConflictPolicyChanged.self, UnitChanged.self, AttachmentsChanged.self,
    ]

    /// The rule with the given id.
    public static func rule(withID id: String) -> (any DiffRule.Type)? {
        all.first { $0.id == id }
    }

    /// The schema most examples start from: one entity and one subset that writes it.
    static let base = """
        syncwright: 1
        name: Shop
        entities:
          Item:
            fields: { id: uuid, title: string, note: string? }
        subsets:
          clerk:
            entities:
              Item: { columns: [id, title], access: read-write }
        """

    /// `base` with each pair's first string replaced by the second.
    static func edit(_ replacements: (String, String)...) -> String {
        var text = base
        for (old, new) in replacements {
            precondition(text.contains(old), "the base example has no \(old)")
            text = text.replacingOccurrences(of: old, with: new)
        }
        return text
    }
}
