/// What a server start filed into buckets (``SyncService/prepare()``): what a deploy
/// costs the devices, by subset unit. The start's log says the same.
public struct BucketFiling: Sendable, Hashable, CustomStringConvertible {
    /// How much of the change log a start filed.
    public enum Extent: Sendable, Hashable {
        /// Nothing: every bucket definition the database was filed by is unchanged, and
        /// there is no new one.
        case nothing
        /// The rows of new bucket definitions only, past the end of the log: every
        /// cursor continues, and devices receive only those rows of the units they pull.
        case newDefinitions
        /// The whole log, after a changed or dropped definition (or none recorded):
        /// every cursor from before answers `410 resync_required`.
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

    public var description: String {
        units.map { "\($0.subset).\($0.unit): \($0.entries) entries\($0.downloadsAgain ? ", devices download it again" : "")" }
            .joined(separator: "; ")
    }
}
