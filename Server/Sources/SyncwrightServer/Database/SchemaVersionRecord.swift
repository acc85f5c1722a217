import Foundation
import SyncwrightCore

/// One schema version the server has served, as `syncwright_schemas` keeps it: the
/// hash devices send, the schema's text (so the version can be served again after a
/// deploy), and when it was first served and retired.
public struct SchemaVersionRecord: Sendable, Hashable {
    /// The schema hash.
    public var hash: String
    /// The schema file's path when it was first served.
    public var file: String
    /// The schema file's text.
    public var source: String
    /// When a server first served it (`…sssZ`).
    public var firstServedAt: String
    /// When it was retired; nil while it is served.
    public var retiredAt: String?

    /// Whether devices on this version may still sync.
    public var isRetired: Bool { retiredAt != nil }

    /// Every recorded version with its text, oldest first.
    static func all(_ connection: any SQLConnection) async throws -> [SchemaVersionRecord] {
        try await connection.query(select(source: "source"), []).map(record)
    }

    /// Every recorded version without its text (``source`` is empty), oldest first, read
    /// outside a transaction: what `GET /v1/schema` and a request on an unknown hash need.
    static func states(_ database: any ServerDatabase) async throws -> [SchemaVersionRecord] {
        try await database.read(select(source: "''"), []).map(record)
    }

    private static func select(source: String) -> String {
        "SELECT hash, file, \(source), first_served_at, retired_at FROM syncwright_schemas ORDER BY first_served_at, hash"
    }

    private static func record(_ row: [SQLValue]) -> SchemaVersionRecord {
        SchemaVersionRecord(hash: row[0].text ?? "", file: row[1].text ?? "", source: row[2].text ?? "",
                            firstServedAt: row[3].text ?? "", retiredAt: row[4].text)
    }

    /// Records `hash` as served from now on: a new version is added, a retired one is
    /// served again (its team deployed it on purpose).
    static func recordServed(hash: String, file: String, source: String, _ connection: any SQLConnection,
                             _ dialect: SQLDialect) async throws {
        let p: (Int) -> String = { dialect.placeholder($0) }
        let now = Self.now()
        let known = try await connection.query("SELECT retired_at FROM syncwright_schemas WHERE hash = \(p(1))", [.text(hash)])
        if known.isEmpty {
            try await connection.execute(
                "INSERT INTO syncwright_schemas (hash, file, source, first_served_at, retired_at) VALUES (\(p(1)), \(p(2)), \(p(3)), \(p(4)), NULL)",
                [.text(hash), .text(file), .text(source), .text(now)])
        } else if known.first?.first?.isNull == false {
            try await connection.execute("UPDATE syncwright_schemas SET retired_at = NULL WHERE hash = \(p(1))", [.text(hash)])
        }
    }

    /// Marks the versions whose hash starts with `prefix` (hex digits only) retired;
    /// returns the hashes.
    static func retire(prefix: String, _ connection: any SQLConnection, _ dialect: SQLDialect) async throws -> [String] {
        let p: (Int) -> String = { dialect.placeholder($0) }
        let matching = try await connection.query(
            "SELECT hash FROM syncwright_schemas WHERE retired_at IS NULL AND hash LIKE \(p(1))",
            [.text(prefix + "%")]).compactMap { $0.first?.text }
        for hash in matching {
            try await connection.execute("UPDATE syncwright_schemas SET retired_at = \(p(1)) WHERE hash = \(p(2))",
                                         [.text(now()), .text(hash)])
        }
        return matching
    }

    /// Now, to the millisecond: versions recorded within one second keep their order.
    static func now() -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return WireValueRules.canonicalTimestamp(formatter.string(from: Date()))!
    }
}
