import Foundation

/// A unit's position in the change log, opaque to clients: a version tag, the last
/// sequence number delivered, whether the unit's first full download is still under
/// way (and the log position it covers), the remaining-change estimate, and a
/// fingerprint of the claims it was made for (so a changed claim answers
/// `resync_required`).
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
    /// The log horizons the last pages of the current pass were read at, oldest first
    /// (at most ``keptReads``), and the highest of the pass's earlier ones.
    var passReads: [Int64]
    var olderReads: Int64?

    /// How many of a pass's page reads a cursor names exactly.
    static let keptReads = 6

    init(sequence: Int64, isInitial: Bool, initialThrough: Int64 = .max, estimate: Int, fingerprint: String,
         passStart: Int64 = .max, passReads: [Int64] = [], olderReads: Int64? = nil) {
        self.sequence = sequence
        self.isInitial = isInitial
        self.initialThrough = initialThrough
        self.estimate = estimate
        self.fingerprint = fingerprint
        self.passStart = passStart
        self.passReads = passReads
        self.olderReads = olderReads
    }

    /// Whether no read of the device's can have seen a log entry made at `origin` and
    /// now a `remove` at `removed`: every read before the pass was at or below
    /// `passStart`, below `origin`, so it read no position the entry ever held; and no
    /// read of the pass happened while it was there as a `put` (`origin ≤ horizon <
    /// removed`: a read at a horizon at or above `removed` found the remove). This holds
    /// on PostgreSQL too, where entries above a read's horizon may have committed already:
    /// a read takes nothing above its horizon.
    func neverSaw(origin: Int64, removed: Int64) -> Bool {
        guard passStart != .max, origin > passStart else { return false }
        return noRead(from: origin, before: removed)
    }

    /// No page of the pass was read at a horizon in `start..<end`.
    private func noRead(from start: Int64, before end: Int64) -> Bool {
        if let older = olderReads, older >= start { return false }
        return !passReads.contains { start <= $0 && $0 < end }
    }

    /// The cursor after a page read at log horizon `horizon`: a page that caught up
    /// begins a new pass there.
    mutating func recordRead(at horizon: Int64, caughtUp: Bool) {
        if caughtUp {
            passStart = sequence
            passReads = []
            olderReads = nil
        } else {
            passReads.append(horizon)
            if passReads.count > Self.keptReads {
                let dropped = passReads.removeFirst()
                olderReads = max(olderReads ?? dropped, dropped)
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
        guard encoded.count <= 300, let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        // c1: sequence, phase, estimate, fingerprint; c2 adds the pass: its start, the
        // highest of its earlier reads ("-" for none) and its last reads, comma-separated.
        guard (parts.count == 5 && parts[0] == "c1") || (parts.count == 8 && parts[0] == "c2"),
              let sequence = Int64(parts[1]), sequence >= 0, let estimate = Int(parts[3]), estimate >= 0
        else { return nil }
        var passStart = Int64.max
        var passReads: [Int64] = []
        var olderReads: Int64?
        if parts[0] == "c2" {
            guard let start = Int64(parts[5]), start >= 0 else { return nil }
            passStart = start
            if parts[6] != "-" {
                guard let older = Int64(parts[6]), older >= 0 else { return nil }
                olderReads = older
            }
            if !parts[7].isEmpty {
                let reads = parts[7].split(separator: ",", omittingEmptySubsequences: false).map { Int64($0) }
                guard reads.count <= Self.keptReads, reads.allSatisfy({ ($0 ?? -1) >= 0 }) else { return nil }
                passReads = reads.compactMap { $0 }
            }
        }
        // "c": an ordinary cursor; "i<seq>": a download from scratch that started at log
        // entry <seq>; a bare "i" (cursors made before) covers the whole log.
        let phase = parts[2]
        if phase == "c" {
            self.init(sequence: sequence, isInitial: false, estimate: estimate, fingerprint: String(parts[4]),
                      passStart: passStart, passReads: passReads, olderReads: olderReads)
        } else if phase.first == "i", let through = phase.count == 1 ? .max : Int64(phase.dropFirst()), through >= 0 {
            self.init(sequence: sequence, isInitial: true, initialThrough: through, estimate: estimate, fingerprint: String(parts[4]),
                      passStart: passStart, passReads: passReads, olderReads: olderReads)
        } else {
            return nil
        }
    }

    var encoded: String {
        let phase = !isInitial ? "c" : initialThrough == .max ? "i" : "i\(initialThrough)"
        let reads = "\(olderReads.map(String.init) ?? "-"):" + passReads.map(String.init).joined(separator: ",")
        let text = passStart == .max
            ? "c1:\(sequence):\(phase):\(estimate):\(fingerprint)"
            : "c2:\(sequence):\(phase):\(estimate):\(fingerprint):\(passStart):\(reads)"
        return Data(text.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
