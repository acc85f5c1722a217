/// A validated schema: entities, their fields and references, and the offline subsets,
/// with every name resolved and every type checked.
///
/// A `SchemaModel` exists only for a schema without errors; the generator and the
/// server read it and never look at YAML again. Collections keep the schema's order.
public struct SchemaModel: Sendable, Hashable {
    /// The schema file's path as the user named it.
    public var file: String
    /// The format version (`syncwright:`), currently always 1.
    public var formatVersion: Int
    /// The schema's name, the prefix of generated type names.
    public var name: String
    /// The server's entities, in file order.
    public var entities: [Entity]
    /// The offline subsets, in file order.
    public var subsets: [Subset]
    /// A hex SHA-256 of the model's meaning. It changes when an entity, field, type,
    /// subset, filter or setting changes, and not when comments, whitespace, quoting,
    /// key order inside a mapping, or `doc:` text do.
    public var schemaHash: String
    /// The schema file's text as it was read. The server records it with every schema
    /// version it serves, so it can serve that version again after a deploy.
    public var sourceText: String = ""

    /// The entity with the given name.
    public func entity(named name: String) -> Entity? {
        entities.first { $0.name == name }
    }

    /// The subset with the given name.
    public func subset(named name: String) -> Subset? {
        subsets.first { $0.name == name }
    }
}

/// One of the server's entities: a table with a key, fields and to-one references.
public struct Entity: Sendable, Hashable {
    /// The entity's name as written, such as `WorkOrder`.
    public var name: String
    /// The server table, `table:` or the snake_case of the name.
    public var tableName: String
    /// The name of the key field.
    public var keyFieldName: String
    /// The declared fields, in file order. A reference `customer: Customer` appears as
    /// the field `customerId` with ``Field/reference`` set.
    public var fields: [Field]
    /// The `doc:` text, if any.
    public var documentation: String?
    /// Where the entity's name is written.
    public var location: SourceLocation

    /// The key field.
    public var keyField: Field { fields.first { $0.name == keyFieldName }! }

    /// The field with the given name, declared or server-managed.
    public func field(named name: String) -> Field? {
        if let field = fields.first(where: { $0.name == name }) { return field }
        guard name == "version" || name == "updatedAt" else { return nil }
        return serverManagedFields.first { $0.name == name }
    }

    /// The reference field whose relation has the given name (`customer` → `customerId`).
    public func reference(named relation: String) -> Field? {
        fields.first { $0.reference?.relationName == relation }
    }

    /// The fields every entity has and the server maintains: `version`, a monotonic
    /// integer assigned on every change, and `updatedAt`, the server time of that change.
    public var serverManagedFields: [Field] {
        [
            Field(name: "version", columnName: "version", type: .scalar(.int), isNullable: false,
                  isServerManaged: true, location: location),
            Field(name: "updatedAt", columnName: "updated_at", type: .scalar(.timestamp), isNullable: false,
                  isServerManaged: true, location: location),
        ]
    }
}

/// A field of an entity.
public struct Field: Sendable, Hashable {
    /// The field's name: as written, or `<relation>Id` for a reference.
    public var name: String
    /// The SQL column: the snake_case of the name.
    public var columnName: String
    /// The field's type; for a reference, the type of the target's key.
    public var type: FieldType
    /// Whether the field may be null (`type?`).
    public var isNullable: Bool
    /// The value a new row gets when none is given.
    public var defaultValue: SchemaValue?
    /// The `doc:` text, if any.
    public var documentation: String?
    /// Set when the field is a to-one reference to another entity.
    public var reference: Reference?
    /// Whether the server maintains the field (`version`, `updatedAt`).
    public var isServerManaged: Bool
    /// Where the field's name is written.
    public var location: SourceLocation

    /// Creates a field.
    public init(
        name: String,
        columnName: String,
        type: FieldType,
        isNullable: Bool,
        defaultValue: SchemaValue? = nil,
        documentation: String? = nil,
        reference: Reference? = nil,
        isServerManaged: Bool = false,
        location: SourceLocation
    ) {
        self.name = name
        self.columnName = columnName
        self.type = type
        self.isNullable = isNullable
        self.defaultValue = defaultValue
        self.documentation = documentation
        self.reference = reference
        self.isServerManaged = isServerManaged
        self.location = location
    }
}

/// A to-one reference from one entity to another.
public struct Reference: Sendable, Hashable {
    /// The relation's name as written (`customer`); the field is `customerId`.
    public var relationName: String
    /// The referenced entity's name.
    public var targetEntity: String
}
