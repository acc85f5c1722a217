/// An offline subset: what one kind of device keeps, for one user.
public struct Subset: Sendable, Hashable {
    /// The subset's name, such as `technician`.
    public var name: String
    /// Per-user values taken from verified token claims.
    public var parameters: [Parameter]
    /// Who may use the subset; nil lets every valid token use it.
    public var allow: SubsetCondition?
    /// The entities the device keeps, in file order.
    public var entities: [SubsetEntity]
    /// Where the subset's name is written.
    public var location: SourceLocation

    /// The sync units, ordered by priority (lowest first), then by first appearance
    /// (``SyncUnitOrder``, the order the runtime uses too).
    public var units: [SubsetUnit] {
        SyncUnitOrder.units(of: entities.map { ($0.entityName, $0.unit, $0.priority) })
    }

    /// The subset entry for the given entity.
    public func entity(named name: String) -> SubsetEntity? {
        entities.first { $0.entityName == name }
    }

    /// The parameter with the given name.
    public func parameter(named name: String) -> Parameter? {
        parameters.first { $0.name == name }
    }
}

/// A group of entities that sync together.
public typealias SubsetUnit = SyncUnitOrder.Unit

/// A per-user value of a subset, taken from a verified token claim.
public struct Parameter: Sendable, Hashable {
    /// The parameter's name, used in filters as `$name`.
    public var name: String
    /// The token claim that supplies the value.
    public var claim: String
    /// The value's type.
    public var type: ScalarType
    /// Whether the claim holds a list (`"[string]"`), used with `in $name`.
    public var isList: Bool
    /// Where the parameter's name is written.
    public var location: SourceLocation
}

/// An entity as one subset keeps it.
public struct SubsetEntity: Sendable, Hashable {
    /// The entity's name.
    public var entityName: String
    /// The selected fields' names, in the entity's field order; always includes the key.
    public var columns: [String]
    /// Which rows the device keeps; nil means every row.
    public var rowFilter: FilterExpression?
    /// Denormalized read-only values from to-one references.
    public var includes: [Include]
    /// What the device may write.
    public var access: AccessMode
    /// How conflicts are resolved.
    public var conflictPolicy: ConflictPolicy
    /// The sync unit; the entity's name unless set.
    public var unit: String
    /// Lower syncs first; 1 unless set.
    public var priority: Int
    /// How devices get the files the entity's `attachment` fields reference.
    public var attachmentDownload: AttachmentDownload = .onDemand
    /// The largest file, in bytes, the entity's attachments may be; nil for the
    /// server's own limit.
    public var maxAttachmentSize: Int64?
    /// Where the entity's name is written in the subset.
    public var location: SourceLocation
}

/// A denormalized value: a field reached through to-one references, stored read-only
/// beside the entity's own columns.
public struct Include: Sendable, Hashable {
    /// The include's name, such as `customerName`.
    public var name: String
    /// The path, such as `customer.name`.
    public var path: FieldPath
    /// Where the include's name is written.
    public var location: SourceLocation
}

/// A path from an entity through to-one references to a field, such as
/// `workOrder.assigneeId`.
public struct FieldPath: Sendable, Hashable, CustomStringConvertible {
    /// One hop through a to-one reference.
    public struct Hop: Sendable, Hashable {
        /// The relation's name, such as `workOrder`.
        public var relationName: String
        /// The reference field on the entity the hop leaves, such as `workOrderId`.
        public var fieldName: String
        /// The entity the hop arrives at.
        public var targetEntity: String
        /// Whether the reference may be null.
        public var isNullable: Bool
    }

    /// The entity the path starts from.
    public var rootEntity: String
    /// The references followed, in order.
    public var hops: [Hop]
    /// The entity that holds the final field.
    public var fieldEntity: String
    /// The final field's name.
    public var fieldName: String
    /// The final field's type.
    public var type: FieldType
    /// Whether the value may be null: the field is nullable or a hop is.
    public var isNullable: Bool

    /// The name of the field the path starts with on the root entity: the first hop's
    /// reference field, or the final field itself.
    public var firstFieldName: String { hops.first?.fieldName ?? fieldName }

    /// The path as written, such as `workOrder.assigneeId`.
    public var description: String {
        (hops.map(\.relationName) + [fieldName]).joined(separator: ".")
    }
}
