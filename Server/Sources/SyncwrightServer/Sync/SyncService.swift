import Crypto
import Foundation
import Logging
import Syncwright
import SyncwrightSchema

/// The protocol's logic, independent of HTTP: it answers pulls with the caller's rows
/// only and applies pushes op by op, enforcing the subset's columns, filters and access
/// rules. The device is never trusted.
public final class SyncService: Sendable {
    /// The schema served.
    public let schema: SchemaModel
    /// Where rows live.
    public let database: any ServerDatabase
    let plans: [String: [String: EntityPlan]]
    let logger: Logger

    /// The most changes one pull page may hold.
    public static let maximumPullLimit = 10_000
    /// The most operations one push may hold.
    public static let maximumPushOperations = 1_000

    /// Creates the service; call ``prepare()`` before serving.
    public init(schema: SchemaModel, database: any ServerDatabase, logger: Logger = Logger(label: "syncwright.server")) {
        self.schema = schema
        self.database = database
        self.logger = logger
        var plans: [String: [String: EntityPlan]] = [:]
        for subset in schema.subsets {
            for entity in subset.entities {
                plans[subset.name, default: [:]][entity.entityName] = EntityPlan(
                    subsetEntity: entity, schema: schema, dialect: database.dialect)
            }
        }
        self.plans = plans
    }

    var dialect: SQLDialect { database.dialect }

    /// Creates or updates the tables, indexes and triggers; safe on every start.
    public func prepare() async throws {
        let statements = DatabaseLayout(schema: schema, dialect: dialect).statements
        try await database.write { connection in
            for statement in statements {
                do {
                    try await connection.execute(statement)
                } catch {
                    throw ServerDatabaseError("preparing the database failed at:\n\(statement)\n\(error)")
                }
            }
        }
    }

    /// `GET /v1/schema`.
    public var schemaResponse: SchemaResponse {
        SchemaResponse(hash: schema.schemaHash, subsets: schema.subsets.map(\.name))
    }

    // MARK: - Requests

    func subset(named name: String, schemaHash: String) throws(ProtocolError) -> Subset {
        guard let subset = schema.subset(named: name) else {
            let known = schema.subsets.map(\.name).joined(separator: ", ")
            throw .invalidRequest("unknown subset \"\(name)\"; the server serves \(known)")
        }
        guard schemaHash == schema.schemaHash else {
            throw .schemaHashUnknown(schemaHash, expected: schema.schemaHash)
        }
        return subset
    }

    func parameters(_ subset: Subset, claims: [String: JSONValue]) throws(ProtocolError) -> SubsetParameters {
        do {
            return try SubsetParameters(subset: subset, claims: claims)
        } catch {
            throw .claimMissing(error.message)
        }
    }

    /// A short digest of the caller's parameter values, carried in cursors.
    func fingerprint(_ subset: Subset, _ parameters: SubsetParameters) -> String {
        let digest = SHA256.hash(data: Data((subset.name + "\n" + parameters.fingerprint).utf8))
        return digest.prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// The key as it travels on the wire, from the change log's text.
    func wireKey(_ text: String, _ entity: Entity) -> JSONValue {
        if entity.keyField.type.storage == .int, let integer = Int64(text) { return .integer(integer) }
        return .string(text)
    }

    // MARK: - Maintenance

    /// Drops tombstones (removal entries) older than `date`. A cursor from before the
    /// newest dropped one then answers `resync_required`, so no device silently misses
    /// a delete.
    @discardableResult
    public func compactRemovals(before date: Date) async throws -> Int {
        let cutoff = WireValueCodec.canonicalTimestamp(ISO8601DateFormatter().string(from: date))!
        let dialect = self.dialect
        return try await database.write { connection in
            var builder = SQLBuilder(dialect)
            builder.append("SELECT coalesce(max(seq), 0), count(*) FROM syncwright_changes WHERE removed = \(dialect.boolean(true)) AND changed_at < ")
            builder.bind(.text(cutoff), .timestamp)
            let row = try await connection.query(builder.sql, builder.arguments).first ?? []
            let through = row.first?.integer ?? 0
            let count = Int(row.last?.integer ?? 0)
            guard count > 0 else { return 0 }
            try await connection.execute(
                "DELETE FROM syncwright_changes WHERE removed = \(dialect.boolean(true)) AND seq <= \(dialect.placeholder(1))",
                [.integer(through)])
            let previous = try await Self.compactedThrough(connection, dialect)
            try await connection.execute("DELETE FROM syncwright_state WHERE name = 'compacted_through'")
            try await connection.execute(
                "INSERT INTO syncwright_state (name, value) VALUES ('compacted_through', \(dialect.placeholder(1)))",
                [.text(String(max(previous, through)))])
            return count
        }
    }

    static func compactedThrough(_ connection: any SQLConnection, _ dialect: SQLDialect) async throws -> Int64 {
        let rows = try await connection.query("SELECT value FROM syncwright_state WHERE name = 'compacted_through'", [])
        return rows.first?.first?.text.flatMap { Int64($0) } ?? 0
    }
}
