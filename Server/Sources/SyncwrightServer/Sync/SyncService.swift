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
    /// How the database writes the sync queries' rows as wire JSON.
    let rowReader: any WireRowReader
    /// The current schema's subsets, by name.
    let currentSubsets: [String: ServedSubset]
    /// The older schema versions still served, by hash, then subset name; read from the
    /// database by ``prepare()``.
    let olderVersions = Locked<[String: [String: ServedSubset]]>([:])
    /// When each older version was last checked for retirement by another server.
    let retirementChecks = Locked<[String: ContinuousClock.Instant]>([:])
    /// Every subset entity's buckets, by subset and entity name.
    let bucketDefinitions: [String: [String: [BucketDefinition]]]
    /// Every subset entity's bucket shape, by `subset/Entity` (``DatabaseLayout/bucketShapes``).
    let bucketShapes: [String: String]
    /// The last `filing_resets` text a pull read, decoded.
    let filingResets = Locked<(text: String?, resets: FilingResets)>((nil, FilingResets()))
    let logger: Logger
    /// The team's checks on pushed changes, run inside each push.
    public let rules: PushRules
    /// What a push's dependent refusals look at: the schema's entities by name, each
    /// entity's reference fields, and the entities some reference points at.
    let entitiesByName: [String: Entity]
    let referenceFields: [String: [Field]]
    let referencedEntities: Set<String>
    /// Where attachment files are kept; nil when the server keeps none.
    public let attachments: (any AttachmentStorage)?
    /// The largest attachment the server takes, whatever a subset allows.
    public let maximumAttachmentSize: Int64
    /// Uploads a request of this process is appending to.
    let uploadsInProgress = Locked<Set<String>>([])
    /// What ``prepare()`` found in the tables that isn't a value of its column's type.
    let invalidValuesFound = Locked<[InvalidStoredValue]>([])
    /// What the last ``prepare()`` filed into buckets.
    let lastFiling = Locked(BucketFiling(extent: .nothing, units: []))

    /// What the last ``prepare()`` filed into buckets, by subset unit: what the deploy
    /// costs the devices (``BucketFiling``).
    public var bucketFiling: BucketFiling { lastFiling.withValue { $0 } }
    /// Pulls waiting for a change (`wait`), by bucket.
    let bucketSignals = BucketSignals()
    /// Follows the change log for waiting pulls, once one waits.
    let changeLogWatcher: ChangeLogWatcher

    /// The most changes one pull page may hold.
    public static let maximumPullLimit = 10_000
    /// The most operations one push may hold.
    public static let maximumPushOperations = 1_000

    /// Creates the service; call ``prepare()`` before serving.
    ///
    /// - Parameter rules: The team's checks on pushed changes (``PushRules``); every
    ///   entity they name must be in the schema, or ``prepare()`` stops.
    /// - Parameter attachments: Where attachment files are kept; without one, uploads and
    ///   downloads answer `404 attachments_unavailable` and changes that reference a file
    ///   are refused.
    /// - Parameter maximumAttachmentSize: The largest attachment taken, in bytes.
    /// - Parameter changeLogInterval: How often the log is read while pulls wait
    ///   (`wait`); nil for the dialect's default. On SQLite (default 5 ms) it is the
    ///   longest a row another system wrote takes to wake them; on PostgreSQL (default
    ///   1 s) commits notify every server process at once and the interval is only a
    ///   backstop. Pushes through this service wake them at once.
    public init(schema: SchemaModel, database: any ServerDatabase, logger: Logger = Logger(label: "syncwright.server"),
                rules: PushRules = PushRules(), attachments: (any AttachmentStorage)? = nil,
                maximumAttachmentSize: Int64 = 1 << 30, changeLogInterval: Duration? = nil) {
        self.schema = schema
        self.changeLogWatcher = ChangeLogWatcher(
            database: database, signals: bucketSignals,
            interval: changeLogInterval ?? (database.notifiesCommits ? .seconds(1) : .milliseconds(5)),
                                                 logger: logger)
        self.attachments = attachments
        self.maximumAttachmentSize = maximumAttachmentSize
        self.database = database
        self.rules = rules
        self.rowReader = database.wireRowReader
        self.logger = logger
        var current: [String: ServedSubset] = [:]
        var definitions: [String: [String: [BucketDefinition]]] = [:]
        for subset in schema.subsets {
            var plans: [String: EntityPlan] = [:]
            for entity in subset.entities {
                let plan = EntityPlan(subsetEntity: entity, schema: schema, dialect: database.dialect)
                plans[entity.entityName] = plan
                definitions[subset.name, default: [:]][entity.entityName] = BucketDefinition.branches(of: plan, in: subset.name)
            }
            current[subset.name] = ServedSubset(subset: subset, plans: plans)
        }
        self.currentSubsets = current
        self.bucketDefinitions = definitions
        self.bucketShapes = DatabaseLayout.shapes(of: definitions.values.flatMap(\.values).joined())
        let entities = Dictionary(uniqueKeysWithValues: schema.entities.map { ($0.name, $0) })
        let references = entities.mapValues { $0.fields.filter { $0.reference != nil } }
        self.entitiesByName = entities
        self.referenceFields = references
        self.referencedEntities = Set(references.values.joined().compactMap(\.reference?.targetEntity))
    }

    var dialect: SQLDialect { database.dialect }

    /// Creates or updates the tables, indexes and triggers; safe on every start.
    ///
    /// On a database that served another schema, the existing tables are migrated in
    /// place first (``DatabaseLayout``'s migration: new columns with their defaults,
    /// converted types; never a dropped column or table), and every schema version the
    /// database served and nobody retired must be servable next to the new one
    /// (``SchemaDiff`` finds nothing breaking), or the start stops with
    /// ``SchemaDeployError`` and nothing changes. The schema is recorded as served.
    ///
    /// Then only what changed in the buckets rows are filed by is filed, past the end of
    /// the log (new definitions, a changed filter's difference, or a subset entity whose
    /// bucket ids change shape from scratch): see ``BucketFiling`` and
    /// ``plannedFiling()``. A new database, or one with no record of its filing, is filed
    /// whole, and cursors from before answer `410 resync_required`.
    ///
    /// When a newer schema is recorded as served (this server is the older one of a
    /// rolling deploy), the start leaves the tables, triggers and buckets as they are.
    public func prepare() async throws {
        let (older, invalid, filing) = try await database.maintain(preparation(logger: logger))
        olderVersions.withValue { $0 = older }
        invalidValuesFound.withValue { $0 = invalid }
        lastFiling.withValue { $0 = filing }
        for problem in invalid {
            logger.warning("a stored value is not one of its column's type; devices don't receive its row until it is repaired",
                           metadata: ["table": "\(problem.table)", "column": "\(problem.column)", "key": "\(problem.key)",
                                      "value": "\(problem.value)", "takes": "\(problem.takes)"])
        }
        if !older.isEmpty {
            logger.info("serving older schema versions too", metadata: ["schemaHashes": "\(older.keys.map { String($0.prefix(16)) }.sorted())"])
        }
    }

    /// What ``prepare()`` would file into buckets, without changing the database: the
    /// same work in a transaction that is rolled back. What a deploy will cost the
    /// devices, per subset unit, before it is made (`syncwright-server plan`). On
    /// PostgreSQL, writers wait while it runs, as during a start that files.
    public func plannedFiling() async throws -> BucketFiling {
        struct DryRun: Error { var filing: BucketFiling }
        let work = try preparation(logger: Logger(label: "syncwright.plan", factory: { _ in SwiftLogNoOpLogHandler() }))
        do {
            _ = try await database.maintain { connection in
                throw DryRun(filing: try await work(connection).filing)
            }
        } catch let dryRun as DryRun {
            return dryRun.filing
        }
        return BucketFiling(extent: .nothing, units: [])
    }

    /// The work of ``prepare()`` on one connection, inside the maintenance transaction.
    private func preparation(logger: Logger) throws -> @Sendable (any SQLConnection) async throws
        -> (older: [String: [String: ServedSubset]], invalid: [InvalidStoredValue], filing: BucketFiling)
    {
        let unknown = rules.unknownEntities(in: Set(schema.entities.map(\.name)))
        guard unknown.isEmpty else {
            throw SchemaDeployError(message: "push rules name \(unknown.joined(separator: ", ")), which the schema \(schema.name) has no entity of")
        }
        let layout = DatabaseLayout(schema: schema, dialect: dialect)
        let statements = layout.statements
        let dialect = self.dialect
        let schema = self.schema
        return { connection in
            let unowned = try await Self.setAsideUnownedPushResults(connection, dialect)
            try await connection.execute(DatabaseLayout.schemaVersionsTable)
            let records = try await SchemaVersionRecord.all(connection)
            if let newer = Self.newerDeploy(records, than: schema) {
                // A rolling deploy: a newer server laid the database out already. This one
                // serves it as it is, with the versions recorded before its own; the units
                // a newer deploy filed by other bucket ids are answered 503 (FilingResets).
                let own = records.first { $0.hash == schema.schemaHash }!
                let older = try Self.olderVersions(records.filter { $0.firstServedAt < own.firstServedAt }, next: schema,
                                                   dialect: dialect, logger: logger)
                logger.notice("a newer deploy of the schema serves this database; this server leaves its tables, triggers and buckets as they are",
                              metadata: ["newer": "\(newer.hash.prefix(16)) (\(newer.file))"])
                return (older, [InvalidStoredValue](), BucketFiling(extent: .nothing, units: []))
            }
            let older = try Self.olderVersions(records, next: schema, dialect: dialect, logger: logger)
            let report: MigrationReport
            do {
                report = try await layout.migrate(connection)
            } catch let error as SchemaMigrationError {
                throw SchemaDeployError(message: "\(error)\nthe database is unchanged")
            }
            try await DatabaseLayout.addLogOriginColumns(connection, dialect)
            for statement in statements {
                do {
                    try await connection.execute(statement)
                } catch {
                    throw ServerDatabaseError("preparing the database failed at:\n\(statement)\n\(error)")
                }
            }
            if unowned {
                // Kept under the owner "", which no caller has, so nobody's replay reads them.
                try await connection.execute(
                    "INSERT INTO syncwright_push_results (owner, client_id, op_id, result, applied_at) "
                        + "SELECT '', client_id, op_id, result, applied_at FROM syncwright_push_results_unowned")
                try await connection.execute("DROP TABLE syncwright_push_results_unowned")
            }
            for statement in layout.refileCanonicalizedStatements(report) {
                try await connection.execute(statement)
            }
            if dialect == .sqlite {
                // The triggers now keep every such column canonical: later starts skip them.
                try await Self.setState(DatabaseLayout.canonicalColumnsState, layout.canonicalColumns, connection, dialect)
            }
            // Converted values reach devices as changes: the triggers log the rows again.
            for (entity, column) in report.convertedColumns {
                let quoted = dialect.quote(column)
                try await connection.execute(
                    "UPDATE \(dialect.quote(entity.tableName)) SET \(quoted) = \(quoted) WHERE \(quoted) IS NOT NULL")
            }
            if !report.addedColumns.isEmpty || !report.convertedColumns.isEmpty || !report.rebuiltTables.isEmpty {
                logger.notice("migrated the tables to the schema", metadata: [
                    "addedColumns": "\(report.addedColumns)",
                    "convertedColumns": "\(report.convertedColumns.map { "\($0.entity.tableName).\($0.column)" })",
                    "rebuiltTables": "\(report.rebuiltTables)",
                ])
            }
            try await SchemaVersionRecord.recordServed(hash: schema.schemaHash, file: schema.file, source: schema.sourceText,
                                                       connection, dialect)
            let filing = try await Self.fileBuckets(layout, connection, dialect, logger: logger)
            return (older, try await Self.findInvalidValues(layout, connection), filing)
        }
    }

    /// A version first served after `schema` and not retired, when `schema` itself was
    /// served before: this server is the older one of a rolling deploy. (To go back to
    /// an older schema for good, retire the newer one first.)
    static func newerDeploy(_ records: [SchemaVersionRecord], than schema: SchemaModel) -> SchemaVersionRecord? {
        guard let own = records.first(where: { $0.hash == schema.schemaHash && !$0.isRetired }) else { return nil }
        return records.last { !$0.isRetired && $0.hash != own.hash && $0.firstServedAt > own.firstServedAt }
    }

    /// A database made before stored push results had an owner: its table is renamed so
    /// the layout creates the current one; ``prepare()`` then copies the old results in.
    /// Returns whether it renamed the table.
    private static func setAsideUnownedPushResults(_ connection: any SQLConnection, _ dialect: SQLDialect) async throws -> Bool {
        let names = try await DatabaseLayout.columnNames(of: "syncwright_push_results", connection, dialect)
        guard !names.isEmpty, !names.contains("owner") else { return false }
        try await connection.execute("ALTER TABLE syncwright_push_results RENAME TO syncwright_push_results_unowned")
        return true
    }

    /// Files the rows into buckets the database wasn't filed by. The database records,
    /// in `bucket_layout`, each bucket definition's digest
    /// (``DatabaseLayout/bucketDefinitionFingerprints``) and, in `bucket_shapes`, each
    /// subset entity's bucket shape (``DatabaseLayout/bucketShapes``); the start files
    /// only what differs (``BucketFilingPlan``), past the end of the log, so entries of
    /// unchanged definitions keep their numbers and every cursor continues:
    ///
    /// - a new definition in a subset entity that had none: its rows;
    /// - a changed filter whose bucket ids keep their form: the difference, removes and
    ///   puts (``DatabaseLayout/differenceStatements(prefixes:)``);
    /// - any other change to a subset entity (a branch added or dropped, ids of another
    ///   form, the entity taken out of the subset): its entries are filed from scratch,
    ///   and `filing_resets` records from where, so cursors of units holding it from
    ///   before answer `410 resync_required` while every other unit's continue.
    ///
    /// A database with no record of its filing is filed whole (``refile``).
    private static func fileBuckets(_ layout: DatabaseLayout, _ connection: any SQLConnection, _ dialect: SQLDialect,
                                    logger: Logger) async throws -> BucketFiling {
        let definitions = layout.bucketDefinitionFingerprints
        let shapes = layout.bucketShapes
        let recorded = try await state("bucket_layout", connection, dialect)
        // A server that kept one digest of the whole layout recorded that.
        let previous = recorded.flatMap { text in
            text == layout.bucketFingerprint ? definitions : try? JSONDecoder().decode([String: String].self, from: Data(text.utf8))
        }
        let recordedShapes = try await state("bucket_shapes", connection, dialect)
        var filing = BucketFiling(extent: .nothing, units: [])
        if let previous {
            let previousShapes = recorded == layout.bucketFingerprint
                ? shapes
                : recordedShapes.flatMap { try? JSONDecoder().decode([String: String].self, from: Data($0.utf8)) } ?? [:]
            let plan = BucketFilingPlan(previous: previous, previousShapes: previousShapes, current: definitions, shapes: shapes)
            if !plan.isEmpty {
                filing = try await file(plan, layout, definitions: definitions, shapes: shapes, connection, dialect)
                logger.info(filing.keepsEveryCursor
                                ? "filed the new and changed bucket definitions past the end of the log; every cursor continues"
                                : "filed the new and changed bucket definitions past the end of the log; devices download the units marked again",
                            metadata: ["added": "\(plan.added.sorted())", "changed": "\(plan.changed.sorted())",
                                       "filedAgain": "\(plan.resetGroups.sorted())", "units": "\(filing)"])
            }
        } else {
            let start = try await refile(layout, connection, dialect)
            filing = BucketFiling(extent: .everything,
                                  units: try await filedUnits(layout, prefixes: Set(definitions.keys), from: start, downloadsAgain: { _ in true },
                                                              connection, dialect))
            try await setState(FilingResets.stateName, FilingResets().text, connection, dialect)
            logger.info("filed every row into its buckets; cursors from before answer resync_required",
                        metadata: ["reason": "no record of the layout filed", "units": "\(filing)"])
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let record = String(decoding: try encoder.encode(definitions), as: UTF8.self)
        if recorded != record {
            try await setState("bucket_layout", record, connection, dialect)
        }
        let shapeRecord = String(decoding: try encoder.encode(shapes), as: UTF8.self)
        if recordedShapes != shapeRecord {
            try await setState("bucket_shapes", shapeRecord, connection, dialect)
        }
        return filing
    }

    /// Files what `plan` names, past the end of the log, and records the subset entities
    /// filed from scratch in `filing_resets`. `definitions` and `shapes` are the layout's
    /// (``DatabaseLayout/bucketDefinitionFingerprints``, ``DatabaseLayout/bucketShapes``).
    private static func file(_ plan: BucketFilingPlan, _ layout: DatabaseLayout, definitions: [String: String],
                             shapes: [String: String], _ connection: any SQLConnection, _ dialect: SQLDialect) async throws -> BucketFiling {
        try await lockLogForFiling(connection, dialect)
        // Every cursor made before continues after a position at or below the highest
        // number the log ever issued (on PostgreSQL the sequence's, which no writer holds
        // back now: they wait on the lock).
        let issued = dialect == .sqlite ? DatabaseLayout.horizonQuery(dialect) : "SELECT last_value FROM syncwright_seq"
        let high = max(try await compactedThrough(connection, dialect),
                       try await connection.query(issued, []).first?.first?.integer ?? 0)
        let start = high + 1
        let resetPrefixes = Set(definitions.keys.filter { plan.resetGroups.contains(BucketDefinition.group(ofPrefix: $0)) })
        var statements: [String] = []
        if let delete = layout.deleteEntriesStatement(groups: plan.resetGroups) { statements.append(delete) }
        statements += layout.differenceStatements(prefixes: plan.changed)
        statements += layout.fileStatements(prefixes: plan.added.union(resetPrefixes))
        for statement in statements {
            try await connection.execute(statement)
        }
        if !plan.resetGroups.isEmpty {
            var resets = try await FilingResets.read(connection, dialect)
            for group in plan.resetGroups {
                resets.groups[group] = .init(from: start, shape: shapes[group] ?? "")
            }
            try await setState(FilingResets.stateName, resets.text, connection, dialect)
        }
        let units = try await filedUnits(layout, prefixes: plan.added.union(plan.changed).union(resetPrefixes), from: start,
                                         downloadsAgain: { plan.resetGroups.contains($0) }, connection, dialect)
        return BucketFiling(extent: .definitions, units: units)
    }

    static func state(_ name: String, _ connection: any SQLConnection, _ dialect: SQLDialect) async throws -> String? {
        try await connection.query("SELECT value FROM syncwright_state WHERE name = \(dialect.placeholder(1))", [.text(name)])
            .first?.first?.text
    }

    /// How many log entries the definitions `prefixes` name hold from `start` on, by
    /// subset unit; `downloadsAgain` says it of a subset entity (`subset/Entity`).
    private static func filedUnits(
        _ layout: DatabaseLayout, prefixes: Set<String>, from start: Int64, downloadsAgain: (String) -> Bool,
        _ connection: any SQLConnection, _ dialect: SQLDialect
    ) async throws -> [BucketFiling.Unit] {
        var entries: [String: [String: (entries: Int, again: Bool)]] = [:]
        for definition in layout.buckets.values.joined() where prefixes.contains(definition.prefix) {
            guard let unit = layout.schema.subset(named: definition.subset)?.entity(named: definition.plan.entity.name)?.unit else { continue }
            let rows = try await connection.query(
                "SELECT count(*) FROM syncwright_log AS l WHERE \(definition.holdsEntry("l")) AND l.seq >= \(dialect.placeholder(1))",
                [.integer(start)])
            var tally = entries[definition.subset, default: [:]][unit] ?? (0, false)
            tally.entries += Int(rows.first?.first?.integer ?? 0)
            tally.again = tally.again || downloadsAgain(definition.group)
            entries[definition.subset, default: [:]][unit] = tally
        }
        return entries.sorted { $0.key < $1.key }.flatMap { subset, units in
            units.sorted { $0.key < $1.key }.map {
                BucketFiling.Unit(subset: subset, unit: $0.key, entries: $0.value.entries, downloadsAgain: $0.value.again)
            }
        }
    }

    /// On PostgreSQL, writers of other server processes wait until the filing is done;
    /// the numbers it takes are announced like any writer's.
    private static func lockLogForFiling(_ connection: any SQLConnection, _ dialect: SQLDialect) async throws {
        guard dialect == .postgres else { return }
        try await connection.execute("LOCK TABLE syncwright_log IN SHARE ROW EXCLUSIVE MODE")
        try await connection.execute("SELECT syncwright_announce()")
    }

    /// Empties the log and files every row again, past every sequence number and
    /// version used before.
    /// Returns the first number it filed from.
    @discardableResult
    private static func refile(_ layout: DatabaseLayout, _ connection: any SQLConnection, _ dialect: SQLDialect) async throws -> Int64 {
        func integer(_ sql: String) async throws -> Int64 {
            try await connection.query(sql, []).first?.first?.integer ?? 0
        }
        try await lockLogForFiling(connection, dialect)
        var high = max(try await integer("SELECT coalesce(max(seq), 0) FROM syncwright_log"),
                       try await compactedThrough(connection, dialect))
        let oldLogExists = dialect == .sqlite
            ? "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'syncwright_changes'"
            : "SELECT count(*) FROM information_schema.tables WHERE table_name = 'syncwright_changes' AND table_schema = current_schema()"
        if try await integer(oldLogExists) > 0 {
            high = max(high, try await integer("SELECT coalesce(max(seq), 0) FROM syncwright_changes"))
            try await connection.execute("DROP TABLE syncwright_changes")
        }
        for entity in layout.schema.entities {
            high = max(high, try await integer("SELECT coalesce(max(version), 0) FROM \(dialect.quote(entity.tableName))"))
        }
        try await connection.execute("DELETE FROM syncwright_log")
        let start = high + 1
        switch dialect {
        case .sqlite:
            try await connection.execute("DELETE FROM sqlite_sequence WHERE name = 'syncwright_log'")
            try await connection.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('syncwright_log', ?)", [.integer(start)])
            try await connection.execute("UPDATE syncwright_clock SET value = max(value, ?) WHERE id = 1", [.integer(start)])
        case .postgres:
            try await connection.execute(
                "SELECT setval('syncwright_seq', greatest($1::bigint, (SELECT last_value FROM syncwright_seq)))", [.integer(start)])
        }
        for statement in layout.refileStatements {
            try await connection.execute(statement)
        }
        try await setState("compacted_through", String(start), connection, dialect)
        return start
    }

    static func setState(_ name: String, _ value: String, _ connection: any SQLConnection, _ dialect: SQLDialect) async throws {
        try await connection.execute("DELETE FROM syncwright_state WHERE name = \(dialect.placeholder(1))", [.text(name)])
        try await connection.execute(
            "INSERT INTO syncwright_state (name, value) VALUES (\(dialect.placeholder(1)), \(dialect.placeholder(2)))",
            [.text(name), .text(value)])
    }


    // MARK: - Requests

    /// The caller's parameter values, once the token may use the subset at all: its
    /// claims hold every parameter and pass the subset's `allow:` condition.
    func parameters(_ subset: Subset, claims: [String: JSONValue]) throws(ProtocolError) -> SubsetParameters {
        let parameters: SubsetParameters
        do {
            parameters = try SubsetParameters(subset: subset, claims: claims)
        } catch {
            throw .claimMissing(error.message)
        }
        if dialect == .postgres {
            for (name, value) in parameters.values {
                let texts: [SQLValue] = switch value {
                case .single(let single): [single]
                case .list(let items): items
                }
                if texts.contains(where: { $0.text?.utf8.contains(0) == true }) {
                    throw .claimMissing("the token's claim for $\(name) holds U+0000, which this server's database can't compare")
                }
            }
        }
        if let allow = subset.allow, !parameters.allow(allow, in: subset) {
            throw .subsetForbidden("the token may not use subset \(subset.name): its claims don't meet `allow: \(allow)`")
        }
        return parameters
    }

    /// A short digest of the caller's parameter values, carried in cursors.
    func fingerprint(_ subset: Subset, _ parameters: SubsetParameters) -> String {
        Self.shortDigest(subset.name + "\n" + parameters.fingerprint)
    }

    /// The first 8 bytes of `text`'s SHA-256, in hex: the form of every cursor fingerprint.
    static func shortDigest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
    }

    /// Who a push's stored results belong to: a digest of the token's `sub` claim and the
    /// caller's subset parameters. A replay answers only to the same owner.
    func owner(_ subset: Subset, _ parameters: SubsetParameters, claims: [String: JSONValue]) -> String {
        let text = "sub=\(claims["sub"]?.jsonText ?? "")\n\(subset.name)\n\(parameters.fingerprint)"
        return SHA256.hash(data: Data(text.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    // MARK: - Maintenance

    /// Drops tombstones (removal entries) older than `date`. A cursor from before the
    /// newest one dropped then answers `resync_required`, so no device silently misses a
    /// delete. A row's tombstones go only once all its entries are: while the row is in
    /// another bucket, or left one later, they stay, since a pull that held back such a
    /// remove (the row was in another of the caller's buckets) reads them to know the
    /// device may still hold the row (see ``PullCursor``).
    @discardableResult
    public func compactRemovals(before date: Date) async throws -> Int {
        let cutoff = WireValueRules.canonicalTimestamp(ISO8601DateFormatter().string(from: date))!
        let dialect = self.dialect
        return try await database.maintain { connection in
            var builder = SQLBuilder(dialect)
            builder.append("SELECT coalesce(max(seq), 0) FROM syncwright_log WHERE removed = \(dialect.boolean(true)) AND changed_at < ")
            builder.bind(.text(cutoff), .timestamp)
            let through = try await connection.query(builder.sql, builder.arguments).first?.first?.integer ?? 0
            guard through > 0 else { return 0 }
            let dropped = "FROM syncwright_log WHERE removed = \(dialect.boolean(true)) AND seq <= \(dialect.placeholder(1)) "
                + "AND NOT EXISTS (SELECT 1 FROM syncwright_log AS o WHERE o.entity = syncwright_log.entity AND o.key = syncwright_log.key "
                + "AND (o.removed = \(dialect.boolean(false)) OR o.seq > \(dialect.placeholder(2))))"
            let counted = try await connection.query("SELECT coalesce(max(seq), 0), count(*) \(dropped)", [.integer(through), .integer(through)])
            let newestDropped = counted.first?.first?.integer ?? 0
            let count = Int(counted.first?.last?.integer ?? 0)
            guard count > 0 else { return 0 }
            try await connection.execute("DELETE \(dropped)", [.integer(through), .integer(through)])
            let previous = try await Self.compactedThrough(connection, dialect)
            try await connection.execute("DELETE FROM syncwright_state WHERE name = 'compacted_through'")
            try await connection.execute(
                "INSERT INTO syncwright_state (name, value) VALUES ('compacted_through', \(dialect.placeholder(1)))",
                [.text(String(max(previous, newestDropped)))])
            return count
        }
    }

    static func compactedThrough(_ connection: any SQLConnection, _ dialect: SQLDialect) async throws -> Int64 {
        try await state("compacted_through", connection, dialect).flatMap { Int64($0) } ?? 0
    }
}
