import Foundation

/// A unit's position in the change log, opaque to clients: a version tag, the last
/// sequence number delivered, whether the unit's first full download is still under
/// way (and the log position it covers), the remaining-change estimate, and a
/// fingerprint of the claims it was made for and of the deploys that filed the unit's
/// entities from scratch (``FilingResets``), so a changed claim or such a deploy answers
/// `resync_required`.
struct PullCursor: Sendable, Hashable {
    var sequence: Int64
    /// True during a download from scratch: rows outside the subset are skipped rather
    /// than sent as removals, since the device holds none of them yet.
    var isInitial: Bool
    /// The log's newest entry when the download from scratch started. Only entries up
    /// to it are read the initial way; later ones are ordinary changes, so a row the
    /// download already delivered and that left the subset since arrives as a `remove`.
    var initialThrough: Int64
    var estimate: Int
    var fingerprint: String
    /// The log position where the device's current pass through the log began: where it
    /// last caught up (0 for a download from scratch). Every read before it was at or
    /// below it. `.max` for cursors made before this was kept: nothing cancels.
    var passStart: Int64
    /// The newest log position the pull that began the pass could see (read after its
    /// pages): a change logged above it had not committed when that pull read.
    var passSeen: Int64
    /// The pages of the current pass, oldest first (at most ``keptReads``).
    ///
    /// In a pass that keeps positions (``keepsPositions``), each is where a page read
    /// through and the horizon it read at; when there are more, two neighbours are merged
    /// into one that reads through the later one's position at the earlier one's horizon
    /// (a position is then judged read no later than it was, which only ever says "may have
    /// been delivered"). In a pass begun under a `c2` cursor, each is a horizon only, the
    /// last ``keptReads`` of them, with the highest of the earlier ones in ``olderReads``.
    var passReads: [PassRead]
    var olderReads: PassRead?
    /// Whether the pass keeps where its pages read through (``PassRead/through``): every
    /// pass begun by this server does; one begun under a `c2` cursor keeps horizons only,
    /// until it catches up.
    var keepsPositions: Bool

    /// One page of a pass: the log position the device had read through after it, and
    /// the log horizon it was read at (nil and the horizon only, in a pass that doesn't
    /// keep positions).
    struct PassRead: Sendable, Hashable {
        var through: Int64?
        var horizon: Int64
    }

    /// How many of a pass's pages a cursor names.
    static let keptReads = 8

    init(sequence: Int64, isInitial: Bool, initialThrough: Int64 = .max, estimate: Int, fingerprint: String,
         passStart: Int64 = .max, passSeen: Int64? = nil, passReads: [PassRead] = [], olderReads: PassRead? = nil,
         keepsPositions: Bool = true) {
        self.sequence = sequence
        self.isInitial = isInitial
        self.initialThrough = initialThrough
        self.estimate = estimate
        self.fingerprint = fingerprint
        self.passStart = passStart
        self.passSeen = passSeen ?? passStart
        self.passReads = passReads
        self.olderReads = olderReads
        self.keepsPositions = keepsPositions
    }

    /// In a pass that keeps horizons only: whether no read of the device's can have seen
    /// a log entry made at `origin` and now a `remove` at `removed`. Every read before the
    /// pass was at or below `passStart`, below `origin`, so it read no position the entry
    /// ever held; and no read of the pass happened while it was there as a `put` (`origin
    /// ≤ horizon < removed`: a read at a horizon at or above `removed` found the remove).
    /// This holds on PostgreSQL too, where entries above a read's horizon may have
    /// committed already: a read takes nothing above its horizon.
    func neverSaw(origin: Int64, removed: Int64) -> Bool {
        guard !keepsPositions, passStart != .max, origin > passStart else { return false }
        if let older = olderReads, older.horizon >= origin { return false }
        return !passReads.contains { origin <= $0.horizon && $0.horizon < removed }
    }

    /// In a pass that keeps positions: whether the device can't hold the row through a
    /// log entry that is now a `remove` at `removed`: it held none of the entry's `put`s
    /// when it caught up at ``passStart``, and received none of the ones since.
    ///
    /// The entry was made at `origin` and held, before `removed`, the positions in
    /// `versions` (oldest first; nil when not known).
    ///
    /// When the device caught up, it had read every position up to ``passStart``: if the
    /// entry was a `remove` there and didn't move on before that pull read (its next
    /// position is above ``passSeen``), the device had read that remove and held no `put`
    /// of it. (A remove the device was not sent because the row was in another of its
    /// buckets is that other bucket's entry's to account for.)
    ///
    /// Since then, a page reads the positions after the previous page's `through` up to
    /// its own, at its horizon; a position is first read by the first page whose `through`
    /// reaches it, and that page found the entry there only if it was read before the
    /// entry moved on: at a horizon below the next version's position (at or above it, the
    /// move had committed, and the page found the entry at its new position or not at
    /// all; on PostgreSQL too, where a read takes nothing above its horizon). So a `put`
    /// was delivered only when the page that first reached its position was read at a
    /// horizon below the position of the version after it.
    ///
    /// A `put` a push wrote counts as delivered: the device that pushed it holds the row.
    /// So does anything not known (versions the entry no longer lists, a move that may have
    /// committed before the pull that caught up read).
    func neverReceivedPut(origin: Int64, versions: LogEntryVersions?, removed: Int64) -> Bool {
        guard keepsPositions, passStart != .max, let versions, (versions.positions.last?.position ?? -1) < removed else { return false }
        let all = versions.positions + [LogEntryVersions.Version(position: removed, isPut: false)]
        var since = 0
        if origin <= passStart {
            // The version the device read when it caught up.
            guard let first = versions.positions.first, first.position <= passStart,
                  let caughtUpAt = all.lastIndex(where: { $0.position <= passStart }),
                  !all[caughtUpAt].isPut, all[caughtUpAt + 1].position > passSeen
            else { return false }
            since = caughtUpAt + 1
        } else if !versions.isComplete(origin: origin, removed: removed) {
            return false
        }
        for index in since..<(all.count - 1) where all[index].isPut {
            let version = all[index], next = all[index + 1].position
            // The device that pushed it holds it (and which one that was, the log doesn't say).
            if version.isPushed { return false }
            if let first = passReads.first(where: { ($0.through ?? .max) >= version.position }), first.horizon < next {
                return false
            }
        }
        return true
    }

    /// The cursor after a page read at log horizon `horizon`, with ``sequence`` already
    /// moved to where the page read through: a page that caught up begins a new pass there.
    /// `seen` is the newest log position the pull could see, read after its pages (a new
    /// pass's ``passSeen``; no lower than where the page read through).
    mutating func recordRead(at horizon: Int64, caughtUp: Bool, seen: Int64 = 0) {
        if caughtUp {
            passStart = sequence
            passSeen = max(seen, sequence)
            passReads = []
            olderReads = nil
            keepsPositions = true
        } else if keepsPositions {
            passReads.append(PassRead(through: sequence, horizon: horizon))
            if passReads.count > Self.keptReads {
                // Merge the neighbours read closest in time: the least is lost.
                let index = (0..<passReads.count - 1).min {
                    passReads[$0 + 1].horizon - passReads[$0].horizon < passReads[$1 + 1].horizon - passReads[$1].horizon
                }!
                passReads[index].through = passReads[index + 1].through
                passReads.remove(at: index + 1)
            }
        } else {
            passReads.append(PassRead(through: nil, horizon: horizon))
            if passReads.count > Self.keptReads {
                let dropped = passReads.removeFirst()
                olderReads = PassRead(through: nil, horizon: max(olderReads?.horizon ?? dropped.horizon, dropped.horizon))
            }
        }
    }

    /// The log position after which this cursor still needs every `remove`: a download
    /// from scratch sends current rows only, until the position it started at; an
    /// ordinary cursor needs the removes after its sequence. A cursor is continued only
    /// while no `remove` after this position has been compacted away.
    var continuesAfter: Int64 {
        isInitial ? (initialThrough == .max ? sequence : max(sequence, initialThrough)) : sequence
    }

    /// Decodes a cursor; nil when it is not one this server made.
    init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard encoded.count <= Self.maximumEncodedLength, let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        // c1: sequence, phase, estimate, fingerprint; c2 adds the pass: its start, the
        // horizon of its earlier reads ("-" for none) and of its last reads, comma-separated;
        // c3 has there the newest position the pull that began the pass saw, and names
        // each page as through/horizon.
        guard (parts.count == 5 && parts[0] == "c1") || (parts.count == 8 && (parts[0] == "c2" || parts[0] == "c3")),
              let sequence = Int64(parts[1]), sequence >= 0, let estimate = Int(parts[3]), estimate >= 0
        else { return nil }
        var passStart = Int64.max
        var passSeen: Int64?
        var passReads: [PassRead] = []
        var olderReads: PassRead?
        let keepsThrough = parts[0] != "c2"
        if parts.count == 8 {
            func read(_ text: Substring) -> PassRead? {
                guard keepsThrough else { return Int64(text).flatMap { $0 >= 0 ? PassRead(through: nil, horizon: $0) : nil } }
                let halves = text.split(separator: "/", omittingEmptySubsequences: false)
                guard halves.count == 2, let through = Int64(halves[0]), let horizon = Int64(halves[1]),
                      through >= 0, horizon >= through else { return nil }
                return PassRead(through: through, horizon: horizon)
            }
            guard let start = Int64(parts[5]), start >= 0 else { return nil }
            passStart = start
            if keepsThrough {
                guard let seen = Int64(parts[6]), seen >= start else { return nil }
                passSeen = seen
            } else if parts[6] != "-" {
                guard let older = read(parts[6]) else { return nil }
                olderReads = older
            }
            if !parts[7].isEmpty {
                let reads = parts[7].split(separator: ",", omittingEmptySubsequences: false).map(read)
                guard reads.count <= Self.keptReads, reads.allSatisfy({ $0 != nil }) else { return nil }
                passReads = reads.compactMap { $0 }
                guard zip(passReads, passReads.dropFirst()).allSatisfy({ $0.horizon <= $1.horizon && ($0.through ?? 0) <= ($1.through ?? 0) })
                else { return nil }
            }
        }
        // "c": an ordinary cursor; "i<seq>": a download from scratch that started at log
        // entry <seq>; a bare "i" (cursors made before) covers the whole log.
        let phase = parts[2]
        if phase == "c" {
            self.init(sequence: sequence, isInitial: false, estimate: estimate, fingerprint: String(parts[4]),
                      passStart: passStart, passSeen: passSeen, passReads: passReads, olderReads: olderReads,
                      keepsPositions: keepsThrough)
        } else if phase.first == "i", let through = phase.count == 1 ? .max : Int64(phase.dropFirst()), through >= 0 {
            self.init(sequence: sequence, isInitial: true, initialThrough: through, estimate: estimate, fingerprint: String(parts[4]),
                      passStart: passStart, passSeen: passSeen, passReads: passReads, olderReads: olderReads,
                      keepsPositions: keepsThrough)
        } else {
            return nil
        }
    }

    /// The longest cursor this server reads: one with every number at its largest is 590
    /// characters (a typical one, under 350).
    static let maximumEncodedLength = 600

    var encoded: String {
        let phase = !isInitial ? "c" : initialThrough == .max ? "i" : "i\(initialThrough)"
        let text: String
        if passStart == .max {
            text = "c1:\(sequence):\(phase):\(estimate):\(fingerprint)"
        } else if !keepsPositions {
            // A pass begun under a c2 cursor goes on as one until it catches up.
            let reads = "\(olderReads.map { String($0.horizon) } ?? "-"):" + passReads.map { String($0.horizon) }.joined(separator: ",")
            text = "c2:\(sequence):\(phase):\(estimate):\(fingerprint):\(passStart):\(reads)"
        } else {
            let reads = passReads.map { "\($0.through ?? 0)/\($0.horizon)" }.joined(separator: ",")
            text = "c3:\(sequence):\(phase):\(estimate):\(fingerprint):\(passStart):\(passSeen):\(reads)"
        }
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
