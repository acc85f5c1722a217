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

    init(sequence: Int64, isInitial: Bool, initialThrough: Int64 = .max, estimate: Int, fingerprint: String) {
        self.sequence = sequence
        self.isInitial = isInitial
        self.initialThrough = initialThrough
        self.estimate = estimate
        self.fingerprint = fingerprint
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
        guard encoded.count <= 200, let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "c1", let sequence = Int64(parts[1]), sequence >= 0,
              let estimate = Int(parts[3]), estimate >= 0
        else { return nil }
        // "c": an ordinary cursor; "i<seq>": a download from scratch that started at log
        // entry <seq>; a bare "i" (cursors made before) covers the whole log.
        let phase = parts[2]
        if phase == "c" {
            self.init(sequence: sequence, isInitial: false, estimate: estimate, fingerprint: String(parts[4]))
        } else if phase.first == "i", let through = phase.count == 1 ? .max : Int64(phase.dropFirst()), through >= 0 {
            self.init(sequence: sequence, isInitial: true, initialThrough: through, estimate: estimate, fingerprint: String(parts[4]))
        } else {
            return nil
        }
    }

    var encoded: String {
        let phase = !isInitial ? "c" : initialThrough == .max ? "i" : "i\(initialThrough)"
        return Data("c1:\(sequence):\(phase):\(estimate):\(fingerprint)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
