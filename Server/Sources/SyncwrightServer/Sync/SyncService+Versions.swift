import Foundation
import Logging
import Syncwright
import SyncwrightSchema

extension SyncService {
    /// The subsets of `schema` in the shape apps built against `version` see them. The
    /// caller has checked that ``SchemaDiff`` finds nothing breaking from `version` to
    /// `schema`, so every subset and entity of `version` is in `schema`.
    static func servedSubsets(of version: SchemaModel, next schema: SchemaModel, dialect: SQLDialect) -> [String: ServedSubset] {
        var served: [String: ServedSubset] = [:]
        for old in version.subsets {
            guard let current = schema.subset(named: old.name) else { continue }
            var subset = current
            subset.entities = old.entities.compactMap { oldEntry in
                guard var entry = current.entity(named: oldEntry.entityName) else { return nil }
                entry.columns = oldEntry.columns
                entry.includes = entry.includes.filter { include in oldEntry.includes.contains { $0.name == include.name } }
                entry.unit = oldEntry.unit
                entry.priority = oldEntry.priority
                return entry
            }
            var plans: [String: EntityPlan] = [:]
            for entry in subset.entities {
                plans[entry.entityName] = EntityPlan(subsetEntity: entry, schema: schema, dialect: dialect)
            }
            served[old.name] = ServedSubset(subset: subset, plans: plans)
        }
        return served
    }

    /// The subset a request names, in the shape of the schema version it was built
    /// against: the current one, or an older one the server still serves.
    func servedSubset(named name: String, schemaHash: String) async throws -> ServedSubset {
        guard schema.subset(named: name) != nil else {
            let known = schema.subsets.map(\.name).joined(separator: ", ")
            throw ProtocolError.invalidRequest("unknown subset \"\(name)\"; the server serves \(known)")
        }
        if schemaHash == schema.schemaHash, let current = currentSubsets[name] {
            return current
        }
        guard let version = olderVersions.withValue({ $0[schemaHash] }) else {
            if try await isRetired(schemaHash) { throw ProtocolError.schemaRetired(schemaHash) }
            if try await upcomingHashes().contains(schemaHash) {
                throw ProtocolError.schemaUpcoming(schemaHash)
            }
            throw ProtocolError.schemaHashUnknown(schemaHash, expected: schema.schemaHash)
        }
        // Another server of the same database may have retired it since this one
        // started: looked up at most once per ``retirementCheckInterval`` per version.
        let now = ContinuousClock.now
        let due = retirementChecks.withValue { checks in
            guard let last = checks[schemaHash], now - last < Self.retirementCheckInterval else {
                checks[schemaHash] = now
                return true
            }
            return false
        }
        if due, try await isRetired(schemaHash) {
            olderVersions.withValue { $0[schemaHash] = nil }
            retirementChecks.withValue { $0[schemaHash] = nil }
            throw ProtocolError.schemaRetired(schemaHash)
        }
        guard let served = version[name] else {
            throw ProtocolError.invalidRequest("subset \"\(name)\" is not part of schema \(schemaHash.prefix(16))…")
        }
        return served
    }

    /// How long a server trusts that an older version it serves isn't retired before
    /// reading the database again: a retirement reaches every server within it.
    static let retirementCheckInterval = Duration.seconds(5)

    private func isRetired(_ schemaHash: String) async throws -> Bool {
        let recorded = try await database.read(
            "SELECT retired_at FROM syncwright_schemas WHERE hash = \(dialect.placeholder(1))", [.text(schemaHash)])
        return recorded.first?.first.map { !$0.isNull } ?? false
    }

    /// Reads the recorded versions, refuses the deploy when one still served can't be
    /// served next to ``schema``, and returns those that can, by hash.
    static func olderVersions(_ records: [SchemaVersionRecord], next schema: SchemaModel, dialect: SQLDialect,
                              logger: Logger) throws -> [String: [String: ServedSubset]] {
        var served: [String: [String: ServedSubset]] = [:]
        var refusals: [String] = []
        for record in records where !record.isRetired && record.hash != schema.schemaHash {
            let loaded = SchemaLoader.load(SchemaFile(path: record.file, text: record.source))
            guard let model = loaded.model, model.schemaHash == record.hash else {
                logger.error("a recorded schema version no longer loads; devices on it are told to update", metadata: [
                    "schemaHash": "\(record.hash.prefix(16))",
                ])
                continue
            }
            let changes = SchemaDiff.compare(old: model, new: schema)
            if changes.containsBreakingChanges {
                let lines = changes.filter { $0.impact == .breaking }.map { SchemaChangeFormatter.text($0) }
                refusals.append("apps on schema \(record.hash.prefix(12)) (\(record.file) as served since \(record.firstServedAt)) "
                                + "would stop syncing:\n" + lines.joined(separator: "\n"))
                continue
            }
            served[record.hash] = servedSubsets(of: model, next: schema, dialect: dialect)
        }
        guard refusals.isEmpty else {
            throw SchemaDeployError(message: "\(schema.file) can't be served next to the schema versions installed apps use:\n"
                + refusals.joined(separator: "\n")
                + "\nmake the change compatible (`syncwright diff OLD NEW` shows the same), or retire those versions first "
                + "(`syncwright-server retire HASH --schema \(schema.file) --database …`); their apps are then told to update")
        }
        return served
    }

    /// The hashes of the schema versions the server serves: the current one first, then
    /// the older ones it still serves, oldest first.
    public func servedHashes() async throws -> [String] {
        servedHashes(in: try await SchemaVersionRecord.states(database))
    }

    private func servedHashes(in records: [SchemaVersionRecord]) -> [String] {
        let older = olderVersions.withValue { Set($0.keys) }
        return [schema.schemaHash] + records.filter { !$0.isRetired && older.contains($0.hash) }.map(\.hash)
    }

    /// `GET /v1/schema`: the current hash, the subsets, every hash served and the
    /// upcoming ones, from one read of the recorded versions.
    public func schemaResponse() async throws -> SchemaResponse {
        let records = try await SchemaVersionRecord.states(database)
        return SchemaResponse(hash: schema.schemaHash, subsets: schema.subsets.map(\.name),
                              served: servedHashes(in: records), upcoming: upcomingHashes(in: records))
    }

    /// Every schema version `database` has served, oldest first.
    public static func recordedVersions(_ database: any ServerDatabase) async throws -> [SchemaVersionRecord] {
        try await database.maintain { connection in
            try await connection.execute(DatabaseLayout.schemaVersionsTable)
            return try await SchemaVersionRecord.all(connection)
        }
    }

    /// Hashes a newer deploy recorded (first served after this server's schema, not
    /// retired) that this server doesn't serve: during a rolling deploy, apps built
    /// against them are asked to retry rather than to update.
    public func upcomingHashes() async throws -> [String] {
        upcomingHashes(in: try await SchemaVersionRecord.states(database))
    }

    private func upcomingHashes(in records: [SchemaVersionRecord]) -> [String] {
        guard let own = records.first(where: { $0.hash == schema.schemaHash }) else { return [] }
        return records.filter { !$0.isRetired && $0.hash != own.hash && $0.firstServedAt >= own.firstServedAt }
            .filter { hash in olderVersions.withValue { $0[hash.hash] == nil } }
            .map(\.hash)
    }

    /// Retires the schema versions whose hash starts with `prefix` (at least 8 hex
    /// digits): devices on them are answered `409 schema_retired` from now on, by every
    /// server of the database (others that are running notice within
    /// ``retirementCheckInterval``). Returns the retired hashes. The current version can't be
    /// retired.
    public func retire(hashPrefix prefix: String) async throws -> [String] {
        let prefix = prefix.lowercased()
        guard prefix.count >= 8, prefix.allSatisfy(\.isHexDigit) else {
            throw SchemaDeployError(message: "name a schema hash by at least its first 8 hex digits")
        }
        guard !schema.schemaHash.hasPrefix(prefix) else {
            throw SchemaDeployError(message: "\(prefix) is the schema this server serves; deploy another schema before retiring it")
        }
        let dialect = self.dialect
        let retired = try await database.maintain { connection in
            try await connection.execute(DatabaseLayout.schemaVersionsTable)
            return try await SchemaVersionRecord.retire(prefix: prefix, connection, dialect)
        }
        olderVersions.withValue { versions in
            for hash in retired { versions[hash] = nil }
        }
        return retired
    }
}
