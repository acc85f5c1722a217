import Foundation

/// A unit's position in the change log, opaque to clients: a version tag, the last
/// sequence number delivered, whether the unit's first full download is still under
/// way, the remaining-change estimate, and a fingerprint of the claims it was made
/// for (so a changed claim answers `resync_required`).
struct PullCursor: Sendable, Hashable {
    var sequence: Int64
    /// True until the first download completes: rows outside the subset are skipped
    /// rather than sent as removals, since the device holds none yet.
    var isInitial: Bool
    var estimate: Int
    var fingerprint: String

    init(sequence: Int64, isInitial: Bool, estimate: Int, fingerprint: String) {
        self.sequence = sequence
        self.isInitial = isInitial
        self.estimate = estimate
        self.fingerprint = fingerprint
    }

    /// Decodes a cursor; nil when it is not one this server made.
    init?(encoded: String) {
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard encoded.count <= 200, let data = Data(base64Encoded: base64) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "c1", let sequence = Int64(parts[1]), sequence >= 0,
              parts[2] == "i" || parts[2] == "c", let estimate = Int(parts[3]), estimate >= 0
        else { return nil }
        self.init(sequence: sequence, isInitial: parts[2] == "i", estimate: estimate, fingerprint: String(parts[4]))
    }

    var encoded: String {
        Data("c1:\(sequence):\(isInitial ? "i" : "c"):\(estimate):\(fingerprint)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
