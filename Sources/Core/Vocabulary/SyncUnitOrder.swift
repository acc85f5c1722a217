/// The order in which sync units run and their entities' rows are applied, for the
/// schema's subsets and the runtime's model alike.
///
/// Units run by priority, lowest first, then by the first appearance of one of their
/// entities; a unit's priority is its entities' lowest. Within a unit, entities are
/// ordered by priority, then by their order in the schema, so referenced rows come first
/// when priorities say so.
public enum SyncUnitOrder {
    /// One unit: its name, priority and entities in application order.
    public struct Unit: Sendable, Hashable {
        /// The unit's name.
        public var name: String
        /// The lowest priority of its entities.
        public var priority: Int
        /// The names of its entities, in the order their rows are applied.
        public var entityNames: [String]
    }

    /// The units of `entities`, given as (name, unit, priority) in schema order.
    public static func units(of entities: [(name: String, unit: String, priority: Int)]) -> [Unit] {
        var order: [String] = []
        var members: [String: [(offset: Int, name: String, priority: Int)]] = [:]
        for (offset, entity) in entities.enumerated() {
            if members[entity.unit] == nil { order.append(entity.unit) }
            members[entity.unit, default: []].append((offset, entity.name, entity.priority))
        }
        return order.enumerated().map { index, unit -> (Int, Unit) in
            let entries = members[unit]!.sorted { ($0.priority, $0.offset) < ($1.priority, $1.offset) }
            return (index, Unit(name: unit, priority: entries.map(\.priority).min()!, entityNames: entries.map(\.name)))
        }
        .sorted { ($0.1.priority, $0.0) < ($1.1.priority, $1.0) }
        .map(\.1)
    }
}
