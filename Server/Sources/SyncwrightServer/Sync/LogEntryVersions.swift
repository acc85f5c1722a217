/// The positions a change-log entry held before its current one, oldest first, each a
/// `put` (`p`; `d` when a push wrote it: the device that pushed holds the row without
/// pulling it) or a `remove` (`r`): the log's `versions` column, `"12p,40r,55d,"`. Each write of an
/// entry moves it to a new sequence number and appends the position it leaves; the
/// column keeps about the last twenty (see ``DatabaseLayout``), dropping the oldest
/// whole. Entries written before the column existed keep NULL there: their versions are
/// not known.
struct LogEntryVersions: Sendable, Hashable {
    struct Version: Sendable, Hashable {
        var position: Int64
        var isPut: Bool
        /// A `put` a push wrote.
        var isPushed = false
    }

    var positions: [Version]

    init(_ positions: [Version]) {
        self.positions = positions
    }

    /// Reads the column's text; nil when it isn't the form the triggers write.
    init?(text: String) {
        var positions: [Version] = []
        for item in text.split(separator: ",") {
            guard let kind = item.last, kind == "p" || kind == "r" || kind == "d", let position = Int64(item.dropLast()), position >= 0,
                  position > (positions.last?.position ?? -1)
            else { return nil }
            positions.append(Version(position: position, isPut: kind != "r", isPushed: kind == "d"))
        }
        self.positions = positions
    }

    /// Whether these are all the positions an entry made at `origin`, now at `current`,
    /// held: the first is where it was made (or it has held no other), and each comes
    /// before the current one.
    func isComplete(origin: Int64, removed current: Int64) -> Bool {
        guard let first = positions.first else { return origin == current }
        return first.position == origin && (positions.last?.position ?? 0) < current
    }
}
