/// What a server start filed into buckets (``SyncService/prepare()``): what a deploy
/// costs the devices, by subset unit. The start's log says the same.
public struct BucketFiling: Sendable, Hashable, CustomStringConvertible {
    /// How much of the change log a start filed.
    public enum Extent: Sendable, Hashable {
        /// Nothing: every bucket definition the database was filed by is unchanged, and
        /// there is no new one.
        case nothing
        /// New and changed bucket definitions only, past the end of the log: existing
        /// entries of the others keep their numbers. A new definition's rows are filed; a
        /// changed filter whose bucket ids keep their form is filed as the difference
        /// (removes and puts); a subset entity whose ids change form, or that lost or
        /// gained a branch, is filed from scratch, and only cursors of the units holding
        /// it answer `410 resync_required` (``Unit/downloadsAgain``).
        case definitions
        /// The whole log (no record of how the database was filed): every cursor from
        /// before answers `410 resync_required`.
        case everything
    }

    /// The rows filed into one subset unit's buckets.
    public struct Unit: Sendable, Hashable {
        public var subset: String
        public var unit: String
        /// The log entries filed, one per row and bucket.
        public var entries: Int
        /// Whether every device that pulls the unit downloads it again from the start.
        public var downloadsAgain: Bool

        public init(subset: String, unit: String, entries: Int, downloadsAgain: Bool) {
            self.subset = subset
            self.unit = unit
            self.entries = entries
            self.downloadsAgain = downloadsAgain
        }
    }

    public var extent: Extent
    /// The units filed, by subset and unit name.
    public var units: [Unit]

    public init(extent: Extent, units: [Unit]) {
        self.extent = extent
        self.units = units
    }

    /// Whether the start filed nothing that makes a device download a unit again.
    public var keepsEveryCursor: Bool { !units.contains(where: \.downloadsAgain) }

    public var description: String {
        units.map { "\($0.subset).\($0.unit): \($0.entries) entries\($0.downloadsAgain ? ", devices download it again" : "")" }
            .joined(separator: "; ")
    }
}

/// What a start files, decided from the bucket definitions the database was filed by
/// and the schema's: the pure part of ``SyncService/prepare()``'s filing.
struct BucketFilingPlan: Sendable, Hashable {
    /// Definitions no recorded one had the prefix of, in subset entities that had none:
    /// their rows are filed past the end of the log.
    var added: Set<String> = []
    /// Definitions whose filter changed while their subset entity's bucket shape stayed:
    /// filed as the difference.
    var changed: Set<String> = []
    /// Subset entities (`subset/Entity`) filed from scratch: a branch added or dropped,
    /// the shape changed (or no shape was recorded), or the entity left the subset.
    var resetGroups: Set<String> = []

    var isEmpty: Bool { added.isEmpty && changed.isEmpty && resetGroups.isEmpty }

    /// - Parameters:
    ///   - previous: Recorded definition digests, by prefix.
    ///   - previousShapes: Recorded bucket shapes, by group; empty when none were recorded.
    ///   - current: The schema's definition digests, by prefix.
    ///   - shapes: The schema's bucket shapes, by group.
    init(previous: [String: String], previousShapes: [String: String], current: [String: String], shapes: [String: String]) {
        let previousGroups = Dictionary(grouping: previous.keys, by: BucketDefinition.group(ofPrefix:))
        let currentGroups = Dictionary(grouping: current.keys, by: BucketDefinition.group(ofPrefix:))
        for group in Set(previousGroups.keys).union(currentGroups.keys) {
            let before = Set(previousGroups[group] ?? [])
            let now = Set(currentGroups[group] ?? [])
            if before.isEmpty {
                added.formUnion(now)
            } else if now.isEmpty {
                resetGroups.insert(group)
            } else if before == now, now.allSatisfy({ previous[$0] == current[$0] }) {
                continue
            } else if before == now, let shape = previousShapes[group], shape == shapes[group] {
                changed.formUnion(now.filter { previous[$0] != current[$0] })
            } else {
                resetGroups.insert(group)
            }
        }
    }
}
