/// Everything the templates need for one subset, already computed: the contract
/// between the generator and the templates, versioned by ``RenderContext/contextVersion``
/// and documented in docs/templates.md.
///
/// Templates are logic-less (Mustache), so every name is already converted and escaped,
/// every Swift type spelled out, every literal quoted.
public struct RenderContext: Sendable, Hashable, Codable {
    /// The version of this contract; templates written for another version may break.
    public static let currentVersion = 2

    /// ``currentVersion`` at the time of rendering.
    public var contextVersion: Int
    /// The version of syncwright that generated the files.
    public var generatorVersion: String
    /// The schema's file name (no folders, so output doesn't depend on where it ran).
    public var sourceFile: String
    /// The schema's `name:`.
    public var schemaName: String
    /// The subset generated.
    public var subsetName: String
    /// The registry type, such as `FieldServiceTechnician`.
    public var registryTypeName: String
    /// The schema hash.
    public var schemaHash: String
    /// `public` or `internal`.
    public var access: String
    /// The subset's entities, in schema order.
    public var entities: [EntityContext]
    /// The entity files: each lists the entities it holds.
    public var shards: [ShardContext]
    /// The subset's units, as constants of the registry's `Unit` namespace.
    public var units: [UnitContext]
}

/// One generated entity file. It repeats the header's values, so the `header` partial
/// renders the same in every file.
/// One sync unit of the subset.
public struct UnitContext: Sendable, Hashable, Codable {
    /// The constant's Swift name (`jobs`), escaped when it is a keyword.
    public var identifier: String
    /// The unit's name, as the contents of a Swift string literal.
    public var name: String
    /// The entities the unit pulls, in order, for its doc comment.
    public var entityNames: String
}

public struct ShardContext: Sendable, Hashable, Codable {
    /// 0-based.
    public var index: Int
    /// As in ``RenderContext``.
    public var generatorVersion: String
    /// As in ``RenderContext``.
    public var sourceFile: String
    /// As in ``RenderContext``.
    public var schemaName: String
    /// As in ``RenderContext``.
    public var subsetName: String
    /// As in ``RenderContext``.
    public var access: String
    /// The entities in this file, in schema order.
    public var entities: [EntityContext]
    /// Whether the file holds no entity.
    public var isEmpty: Bool
}

/// One entity of the subset.
public struct EntityContext: Sendable, Hashable, Codable {
    /// The schema name, such as `WorkOrder`.
    public var name: String
    /// The Swift type name, escaped when it is a keyword.
    public var typeName: String
    /// The Sync action's type name, such as `WorkOrderSync`.
    public var syncTypeName: String
    /// The local table, as a Swift string literal's contents.
    public var tableName: String
    /// The key column.
    public var keyColumn: String
    /// `SyncEntity`, `InsertableSyncEntity` or `UpdatableSyncEntity`.
    public var conformance: String
    /// `EntitySync` for a read-only entity (a pull action only), `WritableEntitySync`
    /// otherwise (sync and pull).
    public var syncProtocol: String
    /// `readOnly`, `readWrite` or `insertOnly`: the `SyncAccess` case.
    public var accessCase: String
    /// Whether the device may write.
    public var isWritable: Bool
    /// The `SyncConflictPolicy` case, such as `serverWins`.
    public var conflictCase: String
    /// The sync unit, as a Swift string literal's contents.
    public var unit: String
    /// Lower syncs first.
    public var priority: Int
    /// The schema's `doc:` text, line by line.
    public var documentation: [String]
    /// Whether there is `doc:` text.
    public var hasDocumentation: Bool
    /// `Generated from entities.WorkOrder (syncwright.yaml:41)`.
    public var remark: String
    /// Stored properties: the selected columns, then the includes.
    public var properties: [PropertyContext]
    /// The memberwise initializer's parameter list.
    public var initializerParameters: String
    /// The descriptor's columns.
    public var columns: [ColumnContext]
    /// Enums declared inside the entity.
    public var enums: [EnumContext]
    /// The local table's `CREATE TABLE`, as the runtime creates it.
    public var ddl: String
    /// The column list of the runtime's prepared upsert, in binding order.
    public var upsertColumns: String
}

/// A stored property of an entity.
public struct PropertyContext: Sendable, Hashable, Codable {
    /// The Swift name, escaped when it is a keyword.
    public var name: String
    /// The initializer's local name for the property's argument: the property's name,
    /// except for `self`, which an argument can't be called inside the initializer.
    public var argumentName: String
    /// The column's name (the schema's field name).
    public var columnName: String
    /// The Swift type, such as `UUID`, `String?` or `Status`.
    public var swiftType: String
    /// `var`, or `let` for includes and read-only entities.
    public var binding: String
    /// Whether this is a denormalized include.
    public var isInclude: Bool
    /// The schema's `doc:` text, line by line.
    public var documentation: [String]
    /// Where the property comes from.
    public var remark: String
}

/// A column of the entity's descriptor.
public struct ColumnContext: Sendable, Hashable, Codable {
    /// The column's name.
    public var name: String
    /// The arguments of `SyncColumn(…)`, such as `"phone", .string, nullable: true`.
    public var arguments: String
}

/// An enum field's Swift enum.
public struct EnumContext: Sendable, Hashable, Codable {
    /// The enum's name inside the entity, such as `Status`.
    public var typeName: String
    /// The cases, in schema order.
    public var cases: [EnumCaseContext]
    /// Where it comes from.
    public var remark: String
}

/// An enum case.
public struct EnumCaseContext: Sendable, Hashable, Codable {
    /// The Swift case name, escaped when it is a keyword.
    public var name: String
    /// The stored value.
    public var rawValue: String
}
