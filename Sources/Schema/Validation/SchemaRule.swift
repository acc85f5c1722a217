/// A validation rule: an id, a one-line summary, a severity, and examples that do and
/// don't trigger it.
///
/// Each rule is a small type in the ``Rules`` namespace. Its static functions build
/// its diagnostics, so every message of the rule is written in one place. The
/// examples are complete schemas; in a triggering example `↓` marks the exact
/// position the diagnostic must point at. The test suite runs every example, and
/// docs/schema.md lists every rule.
public protocol SchemaRule: Sendable {
    /// The kebab-case id printed after each diagnostic, such as `unknown-type`.
    static var id: String { get }
    /// What the rule checks, in one line.
    static var summary: String { get }
    /// The severity of the rule's diagnostics.
    static var severity: Diagnostic.Severity { get }
    /// Schemas that trigger the rule, with `↓` before the reported position.
    static var triggeringExamples: [String] { get }
    /// Schemas that do not trigger the rule.
    static var passingExamples: [String] { get }
}

extension SchemaRule {
    public static var severity: Diagnostic.Severity { .error }

    /// A diagnostic of this rule.
    static func make(_ message: String, at location: SourceLocation, notes: [Diagnostic.Note] = []) -> Diagnostic {
        Diagnostic(severity, message, at: location, rule: id, notes: notes)
    }

    /// A "did you mean" note or suffix for a misspelled name.
    static func suggestion(_ name: String, among candidates: some Sequence<String>) -> String {
        guard let closest = NameSuggestion.closest(to: name, in: candidates) else { return "" }
        return "; did you mean '\(closest)'?"
    }
}

/// The namespace of every validation rule.
public enum Rules {
    /// Every rule, in the order docs/schema.md lists them.
    public static let all: [any SchemaRule.Type] = [
        InvalidUTF8.self, EmptySchema.self, YAMLSyntax.self, YAMLTabIndentation.self, YAMLDuplicateKey.self,
        YAMLTooDeep.self, YAMLTooLarge.self,
        UnknownKey.self, MissingKey.self, InvalidStructure.self, InvalidValue.self, UnsupportedFormat.self,
        InvalidName.self, ReservedName.self, SwiftReservedName.self, NameCollision.self,
        UnknownType.self, InvalidEnum.self, DuplicateEnumCase.self, UnknownEnumCase.self, InvalidDefault.self,
        MissingKeyField.self, NullableKey.self, UnsupportedKeyType.self, ReferenceCycle.self,
        UnknownEntity.self, UnknownColumn.self, DuplicateColumn.self, MissingKeyColumn.self,
        InvalidInclude.self, IncludeCollision.self,
        InvalidParameter.self, UnusedParameter.self,
        FilterSyntax.self, FilterUnknownField.self, FilterTypeMismatch.self, UnknownParameter.self,
        FilterRedundantNullCheck.self, WriteFilterNotEvaluable.self, ConflictOnReadOnly.self,
        AttachmentSettingWithoutAttachments.self,
        FilterNotBucketed.self, FilterTooComplex.self, AllowSyntax.self, AllowTypeMismatch.self, SubsetOpenToAll.self,
    ]

    /// The rule with the given id.
    public static func rule(withID id: String) -> (any SchemaRule.Type)? {
        all.first { $0.id == id }
    }
}
