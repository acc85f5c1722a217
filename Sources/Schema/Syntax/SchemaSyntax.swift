/// A schema as written: the typed, located output of the parse stage.
///
/// Names are still strings and nothing is resolved; every value keeps the position
/// where it was written, so the validator can point at it. The parse stage fills in
/// what it can read and reports the rest (unknown keys, wrong shapes) as diagnostics.
public struct SchemaSyntax: Sendable {
    /// The file's text, for positions inside scalars.
    public var source: SourceText
    /// The position of the document's first node.
    public var location: SourceLocation
    /// The `syncwright:` format version as written.
    public var formatVersion: Located<String>?
    /// The `name:` value.
    public var name: Located<String>?
    /// The entities, in file order.
    public var entities: [EntitySyntax] = []
    /// The subsets, in file order.
    public var subsets: [SubsetSyntax] = []
}

/// An entity as written.
public struct EntitySyntax: Sendable, Hashable {
    public var name: Located<String>
    public var table: Located<String>?
    public var key: Located<String>?
    public var documentation: Located<String>?
    public var fields: [FieldSyntax] = []
}

/// A field as written: `name: type`, `name: type?`, or the long form.
public struct FieldSyntax: Sendable, Hashable {
    /// The field's type as written.
    public enum TypeSyntax: Sendable, Hashable {
        /// A scalar or entity name, with `?` already removed.
        case named(Located<String>)
        /// `{ enum: [...] }`; `cases` keep their positions.
        case enumeration(cases: [Located<String>], location: SourceLocation)
    }

    public var name: Located<String>
    public var type: TypeSyntax?
    public var isNullable: Bool = false
    public var defaultValue: Located<SyntaxNode.Scalar>?
    public var documentation: Located<String>?
}

/// A subset as written.
public struct SubsetSyntax: Sendable, Hashable {
    public var name: Located<String>
    public var parameters: [ParameterSyntax] = []
    public var entities: [SubsetEntitySyntax] = []
}

/// A subset parameter as written.
public struct ParameterSyntax: Sendable, Hashable {
    public var name: Located<String>
    public var claim: Located<String>?
    public var type: Located<String>?
}

/// A text value whose inner positions matter: a row filter or an include path.
public struct ExpressionSyntax: Sendable, Hashable {
    /// The scalar's value.
    public var text: String
    /// Maps offsets in `text` to file positions.
    public var map: ScalarTextMap
    /// Where the scalar starts.
    public var location: SourceLocation

    /// The file position of the scalar at `offset` in `text`.
    public func location(ofOffset offset: Int) -> SourceLocation { map.location(ofOffset: offset) }
}

/// A subset entity as written.
public struct SubsetEntitySyntax: Sendable, Hashable {
    /// `columns:` as written.
    public enum ColumnsSyntax: Sendable, Hashable {
        case all(SourceLocation)
        case list([Located<String>], location: SourceLocation)
        case except([Located<String>], location: SourceLocation)
    }

    /// An `include:` entry.
    public struct IncludeSyntax: Sendable, Hashable {
        public var name: Located<String>
        public var path: ExpressionSyntax
    }

    public var name: Located<String>
    public var columns: ColumnsSyntax?
    public var rows: ExpressionSyntax?
    public var includes: [IncludeSyntax] = []
    public var access: Located<String>?
    public var conflict: Located<String>?
    public var unit: Located<String>?
    public var priority: Located<String>?
}
