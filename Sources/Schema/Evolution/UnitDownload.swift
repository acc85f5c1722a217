/// What deploying a new schema makes devices download, for one subset unit: apps built
/// against the old schema and apps updated to the new one, each continuing from its
/// cursors. `syncwright diff` prints these; the server's start logs the same with the
/// number of log entries it filed.
///
/// It follows how the server files rows into buckets and how the runtime migrates its
/// store:
///
/// - A subset entity whose filter is unchanged costs nothing.
/// - A changed filter whose bucket ids keep their form (every branch keeps its bindings'
///   parameters, comparisons and types, ``BucketBranch/shape``) is filed as the
///   difference: every app receives removes for rows that left and puts for rows that
///   joined, and nothing else.
/// - Any other filter change (a branch added or dropped, a binding changed) makes the
///   server file the entity from scratch: every app downloads its unit again.
/// - An updated app downloads a unit again when the unit's entities or the columns and
///   includes they select changed, and downloads a new unit whole.
public struct UnitDownload: Sendable, Hashable {
    /// What one kind of app downloads for the unit after the deploy.
    public enum Cost: String, Sendable, Hashable, Codable, Comparable {
        /// Nothing beyond ordinary changes.
        case nothing
        /// The removes and puts of the rows a changed filter moved.
        case difference
        /// The whole unit again, from the start.
        case again
        /// The whole unit, new to the app.
        case new

        public static func < (lhs: Cost, rhs: Cost) -> Bool {
            let order: [Cost] = [.nothing, .difference, .again, .new]
            return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
        }
    }

    /// The subset's name.
    public var subset: String
    /// The unit's name.
    public var unit: String
    /// What apps built against the old schema download; nil when the old schema has no
    /// such unit.
    public var oldApps: Cost?
    /// What apps built against the new schema download; nil when it has no such unit.
    public var updatedApps: Cost?
    /// Why, one phrase per reason (`filter of Chore changed; the ids of its buckets keep their form`).
    public var reasons: [String]
    /// Where the unit's first entity is written in the new schema (the old one's when
    /// the new schema has no such unit).
    public var location: SourceLocation

    /// Whether anyone downloads more than ordinary changes.
    public var costsSomething: Bool {
        (oldApps ?? .nothing) != .nothing || (updatedApps ?? .nothing) != .nothing
    }

    /// Every unit of every subset in `old` or `new`, in the new schema's order then the
    /// old's, with what the deploy from `old` to `new` makes devices download.
    public static func plan(old: SchemaModel, new: SchemaModel) -> [UnitDownload] {
        var downloads: [UnitDownload] = []
        let subsetNames = new.subsets.map(\.name) + old.subsets.map(\.name).filter { new.subset(named: $0) == nil }
        for name in subsetNames {
            let before = old.subset(named: name), after = new.subset(named: name)
            let unitNames = (after?.units.map(\.name) ?? []) + (before?.units.map(\.name) ?? []).filter { unit in
                after?.units.contains { $0.name == unit } != true
            }
            for unitName in unitNames {
                let oldUnit = before?.units.first { $0.name == unitName }
                let newUnit = after?.units.first { $0.name == unitName }
                var reasons: [String] = []
                // What the server's filing costs every app holding each entity.
                func filing(_ entity: String) -> Cost {
                    switch Self.filing(before?.entity(named: entity), after?.entity(named: entity)) {
                    case .nothing: return .nothing
                    case .difference:
                        reasons.append("filter of \(entity) changed; the ids of its buckets keep their form, so it is filed as the difference")
                        return .difference
                    case .again, .new:
                        reasons.append("filter of \(entity) changed the form of its bucket ids; the server files it from scratch")
                        return .again
                    }
                }
                let oldCost = oldUnit.map { unit in unit.entityNames.map(filing).max() ?? .nothing }
                var newCost: Cost?
                if let newUnit {
                    if let oldUnit {
                        var cost = newUnit.entityNames.map(filing).max() ?? .nothing
                        if oldUnit.entityNames.sorted() != newUnit.entityNames.sorted() {
                            reasons.append("the unit's entities changed; updated apps download it again")
                            cost = .again
                        } else if let changed = newUnit.entityNames.first(where: { !Self.sameColumns($0, old, before, new, after!) }) {
                            reasons.append("the columns of \(changed) changed; updated apps download the unit again")
                            cost = .again
                        }
                        newCost = cost
                    } else {
                        reasons.append("a new unit; updated apps download it")
                        newCost = .new
                    }
                }
                var seen = Set<String>()
                reasons = reasons.filter { seen.insert($0).inserted }
                let location = (newUnit?.entityNames.first).flatMap { after?.entity(named: $0)?.location }
                    ?? (oldUnit?.entityNames.first).flatMap { before?.entity(named: $0)?.location }
                    ?? after?.location ?? before!.location
                downloads.append(UnitDownload(subset: name, unit: unitName, oldApps: oldCost, updatedApps: newCost,
                                              reasons: reasons, location: location))
            }
        }
        return downloads
    }

    /// What the server's filing of one subset entity costs every app holding it.
    static func filing(_ before: SubsetEntity?, _ after: SubsetEntity?) -> Cost {
        guard let after else { return before == nil ? .nothing : .again }
        guard let before else { return .new }
        let old = before.bucketBranches, new = after.bucketBranches
        if old == new { return .nothing }
        guard let old, let new, old.count == new.count, zip(old, new).allSatisfy({ $0.shape == $1.shape }) else { return .again }
        return .difference
    }

    /// Whether the entity's table, key and the columns and includes the subset selects,
    /// with their types, are the same in both schemas.
    private static func sameColumns(_ entity: String, _ old: SchemaModel, _ before: Subset?, _ new: SchemaModel, _ after: Subset) -> Bool {
        guard let a = before?.entity(named: entity), let b = after.entity(named: entity),
              let oldEntity = old.entity(named: entity), let newEntity = new.entity(named: entity) else { return false }
        func columns(_ model: Entity, _ selected: SubsetEntity) -> [String] {
            [model.tableName, model.keyField.name] + selected.columns.map { name in
                let field = model.field(named: name)
                return "\(name) \(field.map { "\($0.type)" } ?? "?") \(field?.isNullable ?? true)"
            } + selected.includes.map { "\($0.name) \($0.path.type) \($0.path.isNullable)" }
        }
        return columns(oldEntity, a) == columns(newEntity, b)
    }
}
