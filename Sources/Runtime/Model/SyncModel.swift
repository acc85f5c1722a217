/// A group of entities that sync together, with one cursor.
public typealias SyncUnitDescriptor = SyncUnitOrder.Unit

/// The model registry: one subset of one schema, as generated code describes it to the
/// runtime: the entities, their units with priorities, and the schema hash that keys
/// the local store's migrations.
public struct SyncModel: Sendable, Hashable {
    /// The schema's name (`FieldService`).
    public var schemaName: String
    /// The subset (`technician`).
    public var subset: String
    /// The schema hash the server checks on every request.
    public var schemaHash: String
    /// The subset's entities, in schema order.
    public var entities: [SyncEntityDescriptor]

    /// Creates a model.
    public init(schemaName: String, subset: String, schemaHash: String, entities: [SyncEntityDescriptor]) {
        self.schemaName = schemaName
        self.subset = subset
        self.schemaHash = schemaHash
        self.entities = entities
    }

    /// The entity with the given name.
    public func entity(named name: String) -> SyncEntityDescriptor? {
        entities.first { $0.name == name }
    }

    /// The units by priority (lowest first), then first appearance; a unit's priority is
    /// its entities' lowest (`SyncUnitOrder`, the order the schema uses too).
    public var units: [SyncUnitDescriptor] {
        SyncUnitOrder.units(of: entities.map { ($0.name, $0.unit, $0.priority) })
    }
}
