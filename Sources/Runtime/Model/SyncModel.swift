/// A group of entities that sync together, with one cursor.
public struct SyncUnitDescriptor: Sendable, Hashable {
    /// The unit's name.
    public var name: String
    /// Lower syncs first.
    public var priority: Int
    /// The unit's entities, in the order their rows are applied.
    public var entityNames: [String]
}

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
    /// its entities' lowest.
    public var units: [SyncUnitDescriptor] {
        var order: [String] = []
        var members: [String: [(offset: Int, entity: SyncEntityDescriptor)]] = [:]
        for (offset, entity) in entities.enumerated() {
            if members[entity.unit] == nil { order.append(entity.unit) }
            members[entity.unit, default: []].append((offset, entity))
        }
        return order.enumerated().map { index, name -> (Int, SyncUnitDescriptor) in
            let entries = members[name]!.sorted { ($0.entity.priority, $0.offset) < ($1.entity.priority, $1.offset) }
            return (index, SyncUnitDescriptor(
                name: name, priority: entries.map(\.entity.priority).min()!, entityNames: entries.map(\.entity.name)))
        }
        .sorted { ($0.1.priority, $0.0) < ($1.1.priority, $1.0) }
        .map(\.1)
    }
}
