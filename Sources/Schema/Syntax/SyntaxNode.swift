/// A YAML node with the position of its first character: the located tree that the
/// parse stage produces from `Yams.compose`. Mappings keep their pairs in file order.
public struct SyntaxNode: Sendable, Hashable {
    /// How a scalar was written, which matters for positions inside it and for
    /// telling `null` from `"null"`.
    public enum ScalarStyle: Sendable, Hashable {
        /// Unquoted.
        case plain
        /// `'…'`
        case singleQuoted
        /// `"…"`
        case doubleQuoted
        /// A `|` block.
        case literal
        /// A `>` block.
        case folded
    }

    /// A scalar's text and style.
    public struct Scalar: Sendable, Hashable {
        /// The scalar's value after YAML unescaping and folding.
        public var text: String
        /// How it was written.
        public var style: ScalarStyle

        /// Whether YAML reads it as null: a plain `null`, `Null`, `NULL`, `~` or nothing.
        public var isNull: Bool {
            style == .plain && ["", "~", "null", "Null", "NULL"].contains(text)
        }
    }

    /// A mapping entry.
    public struct Pair: Sendable, Hashable {
        /// The key node.
        public var key: SyntaxNode
        /// The value node.
        public var value: SyntaxNode
    }

    /// The node's content.
    public enum Kind: Sendable, Hashable {
        /// A scalar.
        case scalar(Scalar)
        /// A list.
        case sequence([SyntaxNode])
        /// A mapping, pairs in file order.
        case mapping([Pair])
    }

    /// The node's content.
    public var kind: Kind
    /// The position of the node's first character.
    public var location: SourceLocation

    /// The scalar, if this is one.
    public var scalar: Scalar? {
        if case .scalar(let scalar) = kind { return scalar }
        return nil
    }

    /// The text of a scalar node that is not null.
    public var text: String? {
        guard let scalar, !scalar.isNull else { return nil }
        return scalar.text
    }

    /// The items, if this is a sequence.
    public var items: [SyntaxNode]? {
        if case .sequence(let items) = kind { return items }
        return nil
    }

    /// The pairs, if this is a mapping.
    public var pairs: [Pair]? {
        if case .mapping(let pairs) = kind { return pairs }
        return nil
    }

    /// A short name of the node's kind, for messages: "a mapping", "a list", "a string".
    public var kindDescription: String {
        switch kind {
        case .scalar(let scalar): scalar.isNull ? "nothing" : "a scalar"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// A value with the position of its first character in the schema file.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    /// The value.
    public var value: Value
    /// Where it was written.
    public var location: SourceLocation

    /// Creates a located value.
    public init(_ value: Value, at location: SourceLocation) {
        self.value = value
        self.location = location
    }
}
