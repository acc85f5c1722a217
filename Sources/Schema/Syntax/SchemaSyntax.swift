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
    /// The entity's name, where it is written as a key under `entities`.
    public var name: Located<String>
    /// `table:`, if given.
    public var table: Located<String>?
    /// `key:`, if given.
    public var key: Located<String>?
    /// `doc:`, if given.
    public var documentation: Located<String>?
    /// The fields, in file order.
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

    /// The field's name as written (a reference's relation name, such as `customer`).
    public var name: Located<String>
    /// The type, unless it was missing or malformed.
    public var type: TypeSyntax?
    /// Whether the type ends in `?` or `nullable: true` is set.
    public var isNullable: Bool = false
    /// `default:`, if given.
    public var defaultValue: Located<SyntaxNode.Scalar>?
    /// `doc:`, if given.
    public var documentation: Located<String>?
}

/// A subset as written.
public struct SubsetSyntax: Sendable, Hashable {
    /// The subset's name.
    public var name: Located<String>
    /// The parameters, in file order.
    public var parameters: [ParameterSyntax] = []
    /// `allow:`, if given.
    public var allow: ExpressionSyntax?
    /// The subset's entities, in file order.
    public var entities: [SubsetEntitySyntax] = []
}

/// A subset parameter as written.
public struct ParameterSyntax: Sendable, Hashable {
    /// The parameter's name.
    public var name: Located<String>
    /// `claim:`, if given.
    public var claim: Located<String>?
    /// `type:` as written, such as `uuid` or `[string]`.
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
        /// `columns: all`.
        case all(SourceLocation)
        /// `columns: [a, b]`.
        case list([Located<String>], location: SourceLocation)
        /// `columns: { except: [a, b] }`.
        case except([Located<String>], location: SourceLocation)
    }

    /// An `include:` entry.
    public struct IncludeSyntax: Sendable, Hashable {
        /// The include's name.
        public var name: Located<String>
        /// The path, such as `customer.name`.
        public var path: ExpressionSyntax
    }

    /// The entity's name as written under the subset.
    public var name: Located<String>
    /// `columns:`, if given.
    public var columns: ColumnsSyntax?
    /// `rows:`, if given and not empty.
    public var rows: ExpressionSyntax?
    /// `include:` entries, in file order.
    public var includes: [IncludeSyntax] = []
    /// `access:`, if given.
    public var access: Located<String>?
    /// `conflict:`, if given.
    public var conflict: Located<String>?
    /// `unit:`, if given.
    public var unit: Located<String>?
    /// `priority:` as written.
    public var priority: Located<String>?
    /// `attachments:` (how devices get the files), if given.
    public var attachments: Located<String>?
    /// `maxAttachmentSize:` as written, such as `25 MB`.
    public var maxAttachmentSize: Located<String>?
}
