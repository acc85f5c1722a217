import Foundation

/// The subset entities a deploy filed from scratch (``BucketFilingPlan/resetGroups``),
/// as `syncwright_state` keeps them under `filing_resets`: for each, from which log
/// position its entries were filed again (which also names the filing) and the bucket
/// shape they were filed by.
///
/// A pull reads it with `compacted_through`. The fingerprint of the cursors of a unit
/// holding such an entity includes its filings (``SyncService/fingerprint(_:filings:)``),
/// so a cursor made before one answers `410 resync_required` for that unit alone, and
/// one made after goes on. A server whose own shape for the entity differs — one still
/// on the previous schema during a rolling deploy — answers `503 schema_upcoming` for
/// the unit rather than read buckets by ids of another form.
struct FilingResets: Sendable, Hashable {
    static let stateName = "filing_resets"

    struct Reset: Sendable, Hashable, Codable {
        /// The first log position of the entity's entries filed again: it names the filing.
        var from: Int64
        /// The bucket shape they were filed by (``DatabaseLayout/bucketShapes``).
        var shape: String
    }

    /// By subset entity (`subset/Entity`).
    var groups: [String: Reset] = [:]

    init(groups: [String: Reset] = [:]) {
        self.groups = groups
    }

    /// Decodes the state's text; nil text, or text this server can't read, is no reset.
    init(text: String?) {
        guard let text, let decoded = try? JSONDecoder().decode([String: Reset].self, from: Data(text.utf8)) else { return }
        groups = decoded
    }

    var text: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: (try? encoder.encode(groups)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func read(_ connection: any SQLConnection, _ dialect: SQLDialect) async throws -> FilingResets {
        FilingResets(text: try await SyncService.state(stateName, connection, dialect))
    }
}
