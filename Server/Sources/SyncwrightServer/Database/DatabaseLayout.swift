import Crypto
import Foundation
import SyncwrightSchema

/// The server's tables, indexes and triggers for one schema, in one dialect.
///
/// Every entity gets a table with its declared fields (snake_case columns), `version`
/// and `updated_at`. Triggers — not the server's own code — assign versions and keep
/// the change log, so rows that other systems write straight into the tables sync too.
///
/// The change log, `syncwright_log`, is partitioned by bucket (see ``BucketDefinition``):
/// it holds one entry per (bucket, row), the row's latest change in that bucket — a
/// `put` while the row is in the bucket, a `remove` once it left or was deleted. The
/// log's `put`s are therefore also the index of which buckets each row is in now: when
/// a row changes, the trigger files it into the buckets its new values select (a new
/// `put` in each) and turns its `put`s in every other bucket into `remove`s. A change to
/// a row also files again the rows that read it through a reference in a subset's
/// filter or include (renaming a Customer refiles its WorkOrders; reassigning a
/// WorkOrder refiles its lines), so devices receive new includes and removals.
public struct DatabaseLayout: Sendable {
    /// The schema the tables come from.
    public let schema: SchemaModel
    /// The SQL dialect.
    public let dialect: SQLDialect
    /// Every subset entity's buckets, by entity name.
    let buckets: [String: [BucketDefinition]]

    /// PostgreSQL: the base of the shared advisory locks by which a transaction that
    /// writes the synced tables announces, before it takes its first sequence number,
    /// that its numbers will be above `base + n`, where `n` is the last number issued at
    /// that moment. No writer waits for another (all such locks are shared); a reader
    /// finds the readable horizon in `pg_locks` (see ``postgresHorizonFunction``).
    static let postgresWriterLockBase: Int64 = 0x5379_0000_0000_0000

    /// PostgreSQL's change notification channel: every transaction that writes the
    /// synced tables notifies it once, at commit.
    public static let postgresChannel = "syncwright_log"

    /// The newest log entry a reader may rely on: every entry numbered up to it has
    /// committed (or never will). SQLite has one writer at a time, so its entries
    /// become visible in order and the highest number issued is the horizon.
    static func horizonQuery(_ dialect: SQLDialect) -> String {
        switch dialect {
        // The highest number issued, not only the highest kept: a deploy that files a
        // subset entity from scratch may delete the newest entries.
        case .sqlite: "SELECT max((SELECT coalesce(max(seq), 0) FROM syncwright_log), "
            + "coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'syncwright_log'), 0))"
        case .postgres: "SELECT syncwright_horizon()"
        }
    }

    /// The readable horizon on PostgreSQL: the last sequence number issued, read first,
    /// lowered to the announcement of any writer still running. A writer announces
    /// before its first number, so one that announces after the issued number was read
    /// takes numbers above it; one that announced before is in `pg_locks` until it has
    /// committed and its entries are visible. Writers never wait for each other; a pull
    /// never steps over an entry that commits later.
    static let postgresHorizonFunction = """
        CREATE OR REPLACE FUNCTION syncwright_horizon() RETURNS bigint AS $$
        DECLARE
            issued bigint;
            oldest bigint;
        BEGIN
            issued := syncwright_issued();
            SELECT min(((l.classid::bigint << 32) | l.objid::bigint) - \(postgresWriterLockBase)) INTO oldest
            FROM pg_locks AS l
            WHERE l.locktype = 'advisory' AND l.objsubid = 1
                AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND l.classid::bigint >= \(postgresWriterLockBase >> 32) AND l.classid::bigint < \((postgresWriterLockBase >> 32) + 65536);
            RETURN greatest(0, least(issued, oldest));
        END
        $$ LANGUAGE plpgsql VOLATILE
        """

    /// Creates the layout.
    public init(schema: SchemaModel, dialect: SQLDialect) {
        self.schema = schema
        self.dialect = dialect
        self.buckets = BucketDefinition.all(schema: schema, dialect: dialect)
    }

    /// Every statement that brings a database up to this schema: idempotent, so it
    /// runs on every start. The log itself is filled by ``refileStatements``.
    public var statements: [String] {
        var statements = bookkeepingTables
        for entity in schema.entities {
            statements.append(createTable(entity))
            statements += indexes(entity)
        }
        for entity in schema.entities {
            statements += triggers(entity)
        }
        return statements
    }

    /// A digest of everything that decides which bucket a row is in: when it differs
    /// from the one a database was filed with, the log is filed again from the rows.
    var bucketFingerprint: String {
        Self.digest(definitionsInOrder.map(Self.definitionText).joined(separator: "\n"))
    }

    /// Each bucket definition's digest, by its prefix (subset, entity and branch): what
    /// decides which of its buckets a row is in. A definition whose digest a database was
    /// filed with keeps its log entries, and their sequence numbers, across a deploy.
    var bucketDefinitionFingerprints: [String: String] {
        Dictionary(definitionsInOrder.map { ($0.prefix, Self.digest(Self.definitionText($0))) }) { first, _ in first }
    }

    /// Each subset entity's bucket shape (``BucketDefinition/shape``, every branch), by
    /// its group (`subset/Entity`): while it stays the same, a changed filter is filed as
    /// the difference (``differenceStatements(prefixes:)``) and every cursor continues.
    var bucketShapes: [String: String] { Self.shapes(of: definitionsInOrder) }

    /// ``bucketShapes`` of `definitions`.
    static func shapes(of definitions: some Sequence<BucketDefinition>) -> [String: String] {
        Dictionary(grouping: definitions, by: \.group).mapValues { group in
            digest(group.sorted { $0.index < $1.index }.map(\.shape).joined(separator: "\n"))
        }
    }

    /// Every bucket definition, entity by entity in the schema's order.
    private var definitionsInOrder: [BucketDefinition] {
        schema.entities.flatMap { buckets[$0.name] ?? [] }
    }

    /// What a definition's digest covers: its prefix and the SQL that files a row.
    private static func definitionText(_ definition: BucketDefinition) -> String {
        "\(definition.prefix)\n\(definition.bucketRows(where: "1 = 1"))"
    }

    private static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Statements that put every row in its buckets of the definitions `prefixes` name,
    /// as new entries past the end of the log.
    func fileStatements(prefixes: Set<String>) -> [String] {
        schema.entities.compactMap { entity in
            let definitions = (buckets[entity.name] ?? []).filter { prefixes.contains($0.prefix) }
            guard !definitions.isEmpty else { return nil }
            return insertPuts(entity.name, from: definitions.map { $0.bucketRows(where: "1 = 1") }.joined(separator: " UNION ALL "))
        }
    }

    /// Statements that bring the entries of the definitions `prefixes` to the rows the
    /// definitions select now, past the end of the log: an entry whose row no longer is
    /// in its bucket becomes a `remove`, a row newly in a bucket gets a `put`, and an
    /// entry that stays as it was keeps its number. A device continuing from its cursor
    /// receives just that difference.
    ///
    /// The rows a definition selects are gathered first in a temporary table keyed by
    /// bucket and key, so each side of the comparison is an index lookup: `NOT IN` over
    /// the query itself grows with the square of the rows on both databases.
    func differenceStatements(prefixes: Set<String>) -> [String] {
        schema.entities.flatMap { entity in
            (buckets[entity.name] ?? []).filter { prefixes.contains($0.prefix) }.flatMap { definition -> [String] in
                let filing = dialect == .sqlite ? "temp.syncwright_filing" : "pg_temp.syncwright_filing"
                let table = dialect == .sqlite
                    ? "CREATE TEMP TABLE syncwright_filing (bucket TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (bucket, key)) WITHOUT ROWID"
                    : "CREATE TEMP TABLE syncwright_filing (bucket text COLLATE \"C\" NOT NULL, key text NOT NULL, PRIMARY KEY (bucket, key))"
                let fill = "INSERT INTO \(filing) (bucket, key) SELECT DISTINCT r.bucket, r.key FROM (\(definition.bucketRows(where: "1 = 1"))) AS r"
                let removes = "SELECT l.bucket, l.entity, l.key, \(dialect.boolean(true)) AS removed FROM syncwright_log AS l "
                    + "WHERE \(definition.holdsEntry("l")) AND l.removed = \(dialect.boolean(false)) "
                    + "AND NOT EXISTS (SELECT 1 FROM \(filing) AS f WHERE f.bucket = l.bucket AND f.key = l.key)"
                let puts = "SELECT f.bucket, f.key FROM \(filing) AS f WHERE NOT EXISTS (SELECT 1 FROM syncwright_log AS l "
                    + "WHERE l.bucket = f.bucket AND l.key = f.key AND l.removed = \(dialect.boolean(false)))"
                return ["DROP TABLE IF EXISTS \(filing)", table, fill, writeEntries(removes), insertPuts(entity.name, from: puts),
                        "DROP TABLE \(filing)"]
            }
        }
    }

    /// A statement deleting every log entry of the subset entities `groups`
    /// (`subset/Entity`), whose buckets are filed again from scratch.
    func deleteEntriesStatement(groups: Set<String>) -> String? {
        guard !groups.isEmpty else { return nil }
        return "DELETE FROM syncwright_log AS l WHERE "
            + groups.sorted().map { BucketDefinition.holdsEntry("l", under: $0) }.joined(separator: " OR ")
    }

    /// Statements that put every row in its buckets, for a log that was just emptied.
    var refileStatements: [String] {
        schema.entities.compactMap { entity in
            guard let select = bucketRows(entity, where: "1 = 1") else { return nil }
            return insertPuts(entity.name, from: select)
        }
    }

    private func q(_ name: String) -> String { dialect.quote(name) }

    // MARK: - Tables

    private var bookkeepingTables: [String] {
        switch dialect {
        case .sqlite:
            return [
                """
                CREATE TABLE IF NOT EXISTS syncwright_log (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    bucket TEXT NOT NULL,
                    entity TEXT NOT NULL,
                    key TEXT NOT NULL,
                    removed INTEGER NOT NULL,
                    changed_at TEXT NOT NULL,
                    origin_seq INTEGER DEFAULT 0,
                    versions TEXT,
                    pushed INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (bucket, key))
                """,
                "CREATE INDEX IF NOT EXISTS syncwright_log_bucket_seq ON syncwright_log (bucket, seq)",
                "CREATE INDEX IF NOT EXISTS syncwright_log_row ON syncwright_log (entity, key)",
                "CREATE TABLE IF NOT EXISTS syncwright_clock (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL)",
                "INSERT OR IGNORE INTO syncwright_clock (id, value) VALUES (1, 0)",
                """
                CREATE TABLE IF NOT EXISTS syncwright_push_results (
                    owner TEXT NOT NULL,
                    client_id TEXT NOT NULL,
                    op_id TEXT NOT NULL,
                    result TEXT NOT NULL,
                    applied_at TEXT NOT NULL,
                    PRIMARY KEY (owner, client_id, op_id))
                """,
                "CREATE TABLE IF NOT EXISTS syncwright_state (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
                Self.schemaVersionsTable,
            ]
        case .postgres:
            return [
                "CREATE SEQUENCE IF NOT EXISTS syncwright_seq",
                """
                CREATE TABLE IF NOT EXISTS syncwright_log (
                    seq bigint PRIMARY KEY,
                    bucket text COLLATE "C" NOT NULL,
                    entity text NOT NULL,
                    key text NOT NULL,
                    removed boolean NOT NULL,
                    changed_at timestamptz NOT NULL,
                    origin_seq bigint DEFAULT 0,
                    versions text,
                    pushed boolean NOT NULL DEFAULT false,
                    UNIQUE (bucket, key))
                """,
                "CREATE INDEX IF NOT EXISTS syncwright_log_bucket_seq ON syncwright_log (bucket, seq)",
                "CREATE INDEX IF NOT EXISTS syncwright_log_row ON syncwright_log (entity, key)",
                """
                CREATE TABLE IF NOT EXISTS syncwright_push_results (
                    owner text NOT NULL,
                    client_id text NOT NULL,
                    op_id text NOT NULL,
                    result text NOT NULL,
                    applied_at timestamptz NOT NULL,
                    PRIMARY KEY (owner, client_id, op_id))
                """,
                "CREATE TABLE IF NOT EXISTS syncwright_state (name text PRIMARY KEY, value text NOT NULL)",
                Self.schemaVersionsTable,
                // The last sequence number issued; the next is above it.
                """
                CREATE OR REPLACE FUNCTION syncwright_issued() RETURNS bigint AS $$
                    SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM syncwright_seq
                $$ LANGUAGE sql VOLATILE
                """,
                // Called before a transaction takes its first sequence number: a shared
                // lock (no one waits) that says "my numbers are above this", held to the
                // end of the transaction; a transaction-local setting makes it once.
                """
                CREATE OR REPLACE FUNCTION syncwright_announce() RETURNS void AS $$
                BEGIN
                    IF current_setting('syncwright.writer', true) IS DISTINCT FROM 'on' THEN
                        PERFORM pg_advisory_xact_lock_shared(\(Self.postgresWriterLockBase) + syncwright_issued());
                        PERFORM set_config('syncwright.writer', 'on', true);
                    END IF;
                END
                $$ LANGUAGE plpgsql VOLATILE
                """,
                Self.postgresHorizonFunction,
                """
                CREATE OR REPLACE FUNCTION syncwright_stamp() RETURNS trigger AS $$
                BEGIN
                    PERFORM syncwright_announce();
                    NEW.version := nextval('syncwright_seq');
                    NEW.updated_at := clock_timestamp();
                    RETURN NEW;
                END
                $$ LANGUAGE plpgsql
                """,
            ]
        }
    }

    private func createTable(_ entity: Entity) -> String {
        "CREATE TABLE IF NOT EXISTS \(q(entity.tableName)) (\(columnDefinitions(entity).joined(separator: ", ")))"
    }

    /// The column definitions of an entity's table: its fields, then `version` and
    /// `updated_at`.
    func columnDefinitions(_ entity: Entity) -> [String] {
        var definitions = entity.fields.map { "\(q($0.columnName)) \(columnDefinition($0, of: entity))" }
        switch dialect {
        case .sqlite:
            definitions.append("version INTEGER")
            definitions.append("updated_at TEXT")
        case .postgres:
            definitions.append("version bigint")
            definitions.append("updated_at timestamptz")
        }
        return definitions
    }

    /// A field's column type, constraints and default.
    func columnDefinition(_ field: Field, of entity: Entity) -> String {
        var definition = dialect.columnType(field.type.storage)
        if field.name == entity.keyFieldName {
            definition += " PRIMARY KEY NOT NULL"
        } else if !field.isNullable {
            definition += " NOT NULL"
        }
        if let value = defaultLiteral(field) {
            definition += " DEFAULT " + value
        }
        return definition
    }

    /// A field's default as an SQL literal; nil when it has none.
    func defaultLiteral(_ field: Field) -> String? {
        guard let value = field.defaultValue, value != .null else { return nil }
        return literal(value, field.type.storage)
    }

    /// A schema default as an SQL literal. Values come from the validated schema.
    func literal(_ value: SchemaValue, _ type: ScalarType) -> String {
        switch value {
        case .null: return "NULL"
        case .bool(let flag): return dialect.boolean(flag)
        case .int(let integer): return String(integer)
        case .number(let text): return text
        case .string(let text):
            var quoted = "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
            if type == .uuid { quoted = "'" + text.lowercased().replacingOccurrences(of: "'", with: "''") + "'" }
            return quoted + dialect.cast(for: type)
        }
    }

    /// Reference columns are indexed: triggers and filters join through them. Nothing
    /// reads rows by version (pulls read the change log), so it has no index to keep up.
    private func indexes(_ entity: Entity) -> [String] {
        let statements = entity.fields.filter { $0.reference != nil }.map { field in
            "CREATE INDEX IF NOT EXISTS \(q("\(entity.tableName)_\(field.columnName)_idx")) ON \(q(entity.tableName)) (\(q(field.columnName)))"
        }
        return statements
    }

    // MARK: - Dependents

    /// Rows of `entity` that read a row of `source` through `chain`: when the source row's
    /// `watchedColumns` change, those rows are re-logged.
    struct Dependent: Hashable {
        var entity: String
        var source: String
        /// The hops from `entity` up to and including the one that arrives at `source`.
        var chain: [FieldPath.Hop]
        var watchedColumns: Set<String>
    }

    /// Every (source, dependent) pair the subsets' filters and includes create.
    var dependents: [Dependent] {
        var merged: [String: Dependent] = [:]
        var order: [String] = []
        for subset in schema.subsets {
            for subsetEntity in subset.entities {
                let paths = (subsetEntity.rowFilter?.paths ?? []) + subsetEntity.includes.map(\.path)
                for path in paths where !path.hops.isEmpty {
                    for index in path.hops.indices {
                        let source = path.hops[index].targetEntity
                        guard let sourceEntity = schema.entity(named: source) else { continue }
                        let watchedName = index + 1 < path.hops.count ? path.hops[index + 1].fieldName : path.fieldName
                        guard let watched = sourceEntity.field(named: watchedName) else { continue }
                        let chain = Array(path.hops[...index])
                        let id = ([subsetEntity.entityName, source] + chain.map(\.fieldName)).joined(separator: "/")
                        if merged[id] == nil {
                            order.append(id)
                            merged[id] = Dependent(entity: subsetEntity.entityName, source: source, chain: chain, watchedColumns: [])
                        }
                        merged[id]!.watchedColumns.insert(watched.columnName)
                    }
                }
            }
        }
        return order.map { merged[$0]! }
    }

    /// The keys of the rows of `dependent.entity` that read the source row whose key is
    /// `sourceKey`: as text (the log's form) or as the key column's values.
    private func dependentKeys(_ dependent: Dependent, sourceKey: String, asText: Bool) -> String? {
        guard let root = schema.entity(named: dependent.entity) else { return nil }
        var joins = "\(q(root.tableName)) AS d0"
        var holder = root
        for (index, hop) in dependent.chain.dropLast().enumerated() {
            guard let field = holder.field(named: hop.fieldName), let target = schema.entity(named: hop.targetEntity) else { return nil }
            joins += " JOIN \(q(target.tableName)) AS d\(index + 1) ON d\(index + 1).\(q(target.keyField.columnName)) = d\(index).\(q(field.columnName))"
            holder = target
        }
        guard let last = dependent.chain.last, let reference = holder.field(named: last.fieldName) else { return nil }
        let alias = "d\(dependent.chain.count - 1)"
        let column = "d0.\(q(root.keyField.columnName))"
        let key = asText ? dialect.keyText(column, root.keyField.type.storage) : column
        return "SELECT \(key) FROM \(joins) WHERE \(alias).\(q(reference.columnName)) = \(sourceKey)"
    }

    // MARK: - Filing rows into buckets

    /// `SELECT bucket, key` of the rows of `entity` meeting `condition` (on alias `t`),
    /// over every branch of every subset; nil when no subset keeps the entity.
    private func bucketRows(_ entity: Entity, where condition: String, row: String? = nil) -> String? {
        guard let definitions = buckets[entity.name], !definitions.isEmpty else { return nil }
        return definitions.map { $0.bucketRows(where: condition, row: row) }.joined(separator: " UNION ALL ")
    }

    private func entityLiteral(_ name: String) -> String {
        "'" + name.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// Writes (or rewrites) log entries from `select`, a query of
    /// `bucket, entity, key, removed`, each with a new sequence number.
    /// With `when`, only when that condition holds.
    ///
    /// Each entry also keeps the sequence number it was made at, `origin_seq` (NULL: its
    /// own, the `put` that made it), through every rewrite, and in `versions` the positions
    /// it held before (``LogEntryVersions``): each rewrite appends the position it leaves
    /// and whether it was a `put` there, and `pushed` says whether the current one is a
    /// `put` a push wrote (``pushingFlag``): the device that pushed holds that row without
    /// pulling it. The column keeps the last ``keptVersionsLength`` characters' worth,
    /// dropping the oldest positions whole. A pull leaves out the
    /// `remove` of an entry the device can't have received a `put` of (``PullCursor``).
    /// Entries from before these columns hold `origin_seq = 0` and `versions` NULL, which
    /// never cancel.
    private func writeEntries(_ select: String, when condition: String? = nil) -> String {
        let filter = condition.map { " WHERE \($0)" } ?? ""
        switch dialect {
        case .sqlite:
            // o: the entry being replaced, if any.
            let versions = keptVersions("o.versions || o.seq || CASE WHEN o.removed THEN 'r' WHEN o.pushed THEN 'd' ELSE 'p' END || ','")
            return "INSERT OR REPLACE INTO syncwright_log (bucket, entity, key, removed, changed_at, origin_seq, versions, pushed) "
                + "SELECT e.bucket, e.entity, e.key, e.removed, \(dialect.now), CASE WHEN o.seq IS NULL THEN NULL ELSE coalesce(o.origin_seq, o.seq) END, "
                + "CASE WHEN o.seq IS NULL THEN '' ELSE \(versions) END, "
                + "CASE WHEN e.removed THEN 0 ELSE (SELECT count(*) FROM syncwright_state WHERE name = '\(Self.pushingFlag)') END "
                + "FROM (\(select)) AS e LEFT JOIN syncwright_log AS o ON o.bucket = e.bucket AND o.key = e.key\(filter);"
        case .postgres:
            let versions = keptVersions(
                "syncwright_log.versions || syncwright_log.seq::text || CASE WHEN syncwright_log.removed THEN 'r' WHEN syncwright_log.pushed THEN 'd' ELSE 'p' END || ','")
            return "INSERT INTO syncwright_log (seq, bucket, entity, key, removed, changed_at, origin_seq, versions, pushed) "
                + "SELECT nextval('syncwright_seq'), e.bucket, e.entity, e.key, e.removed, clock_timestamp(), NULL, '', "
                + "NOT e.removed AND coalesce(current_setting('\(Self.pushingSetting)', true), '') = 'on' FROM (\(select)) AS e\(filter) "
                + "ON CONFLICT (bucket, key) DO UPDATE SET seq = excluded.seq, entity = excluded.entity, "
                + "removed = excluded.removed, changed_at = excluded.changed_at, "
                + "origin_seq = coalesce(syncwright_log.origin_seq, syncwright_log.seq), versions = \(versions), pushed = excluded.pushed;"
        }
    }

    /// While a push writes, its transaction marks itself so the log entries its writes
    /// make are `pushed`: on SQLite a row of `syncwright_state` by this name, inserted and
    /// deleted within the transaction (one writer at a time, so no other transaction sees
    /// it); on PostgreSQL the transaction-local setting ``pushingSetting``.
    static let pushingFlag = "pushing"
    static let pushingSetting = "syncwright.pushing"

    /// The statements that mark a push's transaction while it writes, and unmark it.
    static func pushingStatements(_ dialect: SQLDialect) -> (begin: String, end: String?) {
        switch dialect {
        case .sqlite:
            return ("INSERT OR REPLACE INTO syncwright_state (name, value) VALUES ('\(pushingFlag)', '1')",
                    "DELETE FROM syncwright_state WHERE name = '\(pushingFlag)'")
        case .postgres:
            return ("SET LOCAL \(pushingSetting) = 'on'", nil)
        }
    }

    /// How much of an entry's earlier positions the log keeps, in characters: about twenty.
    static let keptVersionsLength = 240

    /// `versions`, cut to its last ``keptVersionsLength`` characters from the first whole
    /// position on. NULL stays NULL (versions not known).
    private func keptVersions(_ versions: String) -> String {
        let length = Self.keptVersionsLength
        let tail = dialect == .sqlite ? "substr(\(versions), -\(length))" : "right(\(versions), \(length))"
        let comma = dialect == .sqlite ? "instr(\(tail), ',')" : "strpos(\(tail), ',')"
        return "CASE WHEN length(\(versions)) <= \(length) THEN \(versions) ELSE substr(\(tail), \(comma) + 1) END"
    }

    /// The names of `table`'s columns; empty when there is no such table.
    static func columnNames(of table: String, _ connection: any SQLConnection, _ dialect: SQLDialect) async throws -> [String] {
        let query = dialect == .sqlite
            ? "SELECT name FROM pragma_table_info(?)"
            : "SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND table_schema = current_schema()"
        return try await connection.query(query, [.text(table)]).compactMap { $0.first?.text }
    }

    /// A database whose log was made before it kept `origin_seq`, `versions` or `pushed` gains them
    /// (its entries then never cancel: `origin_seq` is 0 and `versions` NULL).
    static func addLogOriginColumns(_ connection: any SQLConnection, _ dialect: SQLDialect) async throws {
        let names = try await columnNames(of: "syncwright_log", connection, dialect)
        guard !names.isEmpty else { return }
        if !names.contains("origin_seq") {
            try await connection.execute("ALTER TABLE syncwright_log ADD COLUMN origin_seq \(dialect == .sqlite ? "INTEGER" : "bigint") DEFAULT 0")
        }
        if !names.contains("versions") {
            try await connection.execute("ALTER TABLE syncwright_log ADD COLUMN versions \(dialect == .sqlite ? "TEXT" : "text")")
        }
        if !names.contains("pushed") {
            try await connection.execute(
                "ALTER TABLE syncwright_log ADD COLUMN pushed \(dialect == .sqlite ? "INTEGER NOT NULL DEFAULT 0" : "boolean NOT NULL DEFAULT false")")
        }
    }

    private func insertPuts(_ entity: String, from bucketRows: String, when condition: String? = nil) -> String {
        writeEntries("SELECT b.bucket, \(entityLiteral(entity)) AS entity, b.key, \(dialect.boolean(false)) AS removed FROM (\(bucketRows)) AS b",
                     when: condition)
    }

    /// Statements that file the rows of `entity` meeting `condition` (on alias `t`) again:
    /// their entries in buckets they are no longer in become `remove`s, and each bucket
    /// they are in gets a new `put`. `keys` lists the same rows' keys as text.
    /// `isNew`: the rows were just inserted, so none has a `put` to take back (a key
    /// used before holds only `remove`s).
    private func refile(_ entity: Entity, where condition: String, row: String? = nil, keys: String, when: String? = nil,
                        isNew: Bool = false) -> [String] {
        guard let rows = bucketRows(entity, where: condition, row: row) else { return [] }
        if isNew { return [insertPuts(entity.name, from: rows, when: when)] }
        let name = entityLiteral(entity.name)
        let left = "SELECT l.bucket, l.entity, l.key, \(dialect.boolean(true)) AS removed FROM syncwright_log AS l "
            + "WHERE l.entity = \(name) AND l.key IN (\(keys)) AND l.removed = \(dialect.boolean(false)) "
            + "AND NOT EXISTS (SELECT 1 FROM (\(rows)) AS b WHERE b.bucket = l.bucket AND b.key = l.key)"
        return [writeEntries(left, when: when), insertPuts(entity.name, from: rows, when: when)]
    }

    /// A statement turning every `put` of the row keyed `keyText` into a `remove`.
    private func removeEverywhere(_ entity: Entity, keyText: String, when: String? = nil) -> [String] {
        guard buckets[entity.name]?.isEmpty == false else { return [] }
        return [writeEntries(
            "SELECT l.bucket, l.entity, l.key, \(dialect.boolean(true)) AS removed FROM syncwright_log AS l "
                + "WHERE l.entity = \(entityLiteral(entity.name)) AND l.key = \(keyText) AND l.removed = \(dialect.boolean(false))",
            when: when)]
    }

    /// Statements refiling the rows that read `entity`'s row `row` (`NEW` or `OLD`); with
    /// `changedOnly`, only when a column they read changed; with `when`, only when that
    /// condition holds.
    private func refileDependents(of entity: Entity, _ row: String, changedOnly: Bool, when: String? = nil) -> [String] {
        refileDependents(of: entity, sourceKey: "\(row).\(q(entity.keyField.columnName))", changedOnly: changedOnly, when: when)
    }

    /// ``refileDependents(of:_:changedOnly:when:)`` for the source row whose key is the
    /// expression `sourceKey`.
    private func refileDependents(of entity: Entity, sourceKey: String, changedOnly: Bool, when: String? = nil) -> [String] {
        dependents.filter { $0.source == entity.name }.flatMap { dependent -> [String] in
            guard let dependentEntity = schema.entity(named: dependent.entity),
                  let raw = dependentKeys(dependent, sourceKey: sourceKey, asText: false),
                  let text = dependentKeys(dependent, sourceKey: sourceKey, asText: true) else { return [] }
            var conditions: [String] = when.map { [$0] } ?? []
            if changedOnly {
                conditions.append("(" + dependent.watchedColumns.sorted().map { column in
                    dialect == .sqlite ? "OLD.\(q(column)) IS NOT NEW.\(q(column))" : "OLD.\(q(column)) IS DISTINCT FROM NEW.\(q(column))"
                }.joined(separator: " OR ") + ")")
            }
            return refile(dependentEntity, where: "t.\(q(dependentEntity.keyField.columnName)) IN (\(raw))", keys: text,
                          when: conditions.isEmpty ? nil : conditions.joined(separator: " AND "))
        }
    }

    // MARK: - Triggers

    private func triggers(_ entity: Entity) -> [String] {
        switch dialect {
        case .sqlite: valueCheckTriggers(entity) + sqliteTriggers(entity)
        case .postgres: valueCheckTriggers(entity) + postgresTriggers(entity)
        }
    }

    private func sqliteTriggers(_ entity: Entity) -> [String] {
        let table = q(entity.tableName)
        let keyColumn = q(entity.keyField.columnName)
        let keyType = entity.keyField.type.storage
        let name = entity.tableName
        // Every value is read through its canonical form (a uuid another system wrote in
        // upper case files and compares as the lower-case text the row holds a moment
        // later; see `canonicalizingTriggers`).
        func canonical(_ row: String, _ field: Field) -> String {
            dialect.canonical("\(row).\(q(field.columnName))", field.type.storage)
        }
        let newKeyValue = canonical("NEW", entity.keyField)
        let oldKeyValue = canonical("OLD", entity.keyField)
        let stamp = [
            "UPDATE syncwright_clock SET value = value + 1 WHERE id = 1;",
            "UPDATE \(table) SET version = (SELECT value FROM syncwright_clock WHERE id = 1), updated_at = \(dialect.now) "
                + "WHERE \(keyColumn) IN (NEW.\(keyColumn), \(newKeyValue));",
        ]
        let newKey = dialect.keyText(newKeyValue, keyType)
        let oldKey = dialect.keyText(oldKeyValue, keyType)
        let refileNew = refile(entity, where: "1 = 1", row: "NEW", keys: newKey)
        let insertBody = stamp + refile(entity, where: "1 = 1", row: "NEW", keys: newKey, isNew: true)
            + refileDependents(of: entity, sourceKey: newKeyValue, changedOnly: false)
        // A changed key: the old key's entries become removes, and so do those of the rows
        // that referenced it (they now point at nothing).
        let changedKey = "\(oldKeyValue) IS NOT \(newKeyValue)"
        let keyChanged = removeEverywhere(entity, keyText: oldKey, when: changedKey)
        let oldDependents = refileDependents(of: entity, sourceKey: oldKeyValue, changedOnly: false, when: changedKey)
        let updateBody = stamp + keyChanged + refileNew + refileDependents(of: entity, sourceKey: newKeyValue, changedOnly: true) + oldDependents
        let deleteBody = removeEverywhere(entity, keyText: oldKey) + refileDependents(of: entity, sourceKey: oldKeyValue, changedOnly: false)
        let declared = entity.fields.map { q($0.columnName) }.joined(separator: ", ")
        func trigger(_ suffix: String, _ event: String, when condition: String? = nil, _ body: [String]) -> [String] {
            let triggerName = q("syncwright_\(name)_\(suffix)")
            // An entity no subset keeps and no filter reads logs nothing on delete.
            guard !body.isEmpty else { return ["DROP TRIGGER IF EXISTS \(triggerName)"] }
            return [
                "DROP TRIGGER IF EXISTS \(triggerName)",
                "CREATE TRIGGER \(triggerName) AFTER \(event) ON \(table) FOR EACH ROW\(condition.map { " WHEN \($0)" } ?? "") BEGIN\n    "
                    + body.joined(separator: "\n    ") + "\nEND",
            ]
        }
        let canonicalFields = entity.fields.filter { SQLDialect.hasCanonicalText($0.type.storage) }
        // An update that only brought values to their canonical form changes nothing a
        // device sees: it is not a new version.
        let onlyCanonicalized = canonicalFields.isEmpty ? nil : "NOT ((" + entity.fields.map { field in
            SQLDialect.hasCanonicalText(field.type.storage)
                ? "\(canonical("OLD", field)) IS \(canonical("NEW", field))"
                : "OLD.\(q(field.columnName)) IS NEW.\(q(field.columnName))"
        }.joined(separator: " AND ") + ") AND (" + canonicalFields.map { "OLD.\(q($0.columnName)) IS NOT NEW.\(q($0.columnName))" }
            .joined(separator: " OR ") + "))"
        return trigger("insert", "INSERT", insertBody)
            + trigger("update", "UPDATE OF \(declared)", when: onlyCanonicalized, updateBody)
            + trigger("delete", "DELETE", deleteBody)
            + canonicalizingTriggers(entity, canonicalFields)
    }

    /// SQLite's triggers that bring the values another system wrote to their canonical
    /// form (PostgreSQL's column types do it themselves), or refuse the write when a value
    /// can't be read as its type: `RAISE(ABORT)` rolls the statement back.
    private func canonicalizingTriggers(_ entity: Entity, _ fields: [Field]) -> [String] {
        let table = q(entity.tableName)
        let names = [q("syncwright_\(entity.tableName)_canonical_insert"), q("syncwright_\(entity.tableName)_canonical_update")]
        guard !fields.isEmpty else { return names.map { "DROP TRIGGER IF EXISTS \($0)" } }
        let keyColumn = q(entity.keyField.columnName)
        let needed = fields.map { "NEW.\(q($0.columnName)) IS NOT \(dialect.canonical("NEW.\(q($0.columnName))", $0.type.storage))" }
            .joined(separator: " OR ")
        let refusals = fields.map { field in
            let column = "NEW.\(q(field.columnName))"
            let message = "\(entity.tableName).\(field.columnName) holds a value that is not a \(field.type.storage.rawValue)"
                .replacingOccurrences(of: "'", with: "''")
            return "SELECT RAISE(ABORT, 'syncwright: \(message)') WHERE \(column) IS NOT NULL "
                + "AND \(dialect.canonical(column, field.type.storage)) IS NULL;"
        }
        let assignments = fields.map { "\(q($0.columnName)) = \(dialect.canonical(q($0.columnName), $0.type.storage))" }
            .joined(separator: ", ")
        let body = refusals + ["UPDATE \(table) SET \(assignments) WHERE \(keyColumn) = NEW.\(keyColumn);"]
        let columns = fields.map { q($0.columnName) }.joined(separator: ", ")
        return zip(names, ["INSERT", "UPDATE OF \(columns)"]).flatMap { name, event in
            [
                "DROP TRIGGER IF EXISTS \(name)",
                "CREATE TRIGGER \(name) AFTER \(event) ON \(table) FOR EACH ROW WHEN \(needed) BEGIN\n    "
                    + body.joined(separator: "\n    ") + "\nEND",
            ]
        }
    }

    // MARK: - PostgreSQL: filing by what committed

    // Writers don't take turns on PostgreSQL, so a row must never be filed by what another
    // transaction hasn't committed yet: a line added while the office reassigns its order
    // would otherwise land in the old assignee's bucket, with the reassignment's refiling
    // blind to it. Transaction-level advisory locks keyed by (table, key) order the two:
    // a row written holds a *shared* lock on every row its buckets and includes are read
    // through (``dependentRowLocks(_:)``), and a row whose change refiles other rows takes
    // the *exclusive* lock on itself first (``sourceRowLock(_:_:)``). Whichever comes
    // second waits for the first to commit, then reads what it committed. Only changes
    // to columns that dependents read take the exclusive lock, so a rule that takes stock
    // off a product every line includes by name waits for nobody.

    /// The advisory lock key of the row of `table` whose key is the expression `key`: the
    /// two-integer form, which the horizon (the `bigint` form) never reads.
    private func rowLockArguments(_ table: String, _ key: String) -> String {
        "hashtext('\(table.replacingOccurrences(of: "'", with: "''"))'), hashtext((\(key))::text)"
    }

    /// Statements that take a shared lock on every row `entity`'s row `row` (`NEW` or
    /// `OLD`) reads through a reference chain of a filter or include, hop by hop: each
    /// hop's key is read after the lock on the row before it is held.
    private func dependentRowLocks(_ entity: Entity) -> [(String) -> String] {
        var chains: [[FieldPath.Hop]] = []
        for dependent in dependents where dependent.entity == entity.name && !chains.contains(dependent.chain) {
            chains.append(dependent.chain)
        }
        var seen: Set<String> = []
        var locks: [(String) -> String] = []
        for chain in chains {
            // Each hop: the table it arrives at and how to compute its key from the row.
            var holder = entity
            var keyOf: (String) -> String = { _ in "" }
            for (index, hop) in chain.enumerated() {
                guard let field = holder.field(named: hop.fieldName), let target = schema.entity(named: hop.targetEntity) else { break }
                let previous = keyOf, previousHolder = holder, column = q(field.columnName)
                keyOf = index == 0
                    ? { row in "\(row).\(column)" }
                    : { row in
                        "(SELECT s.\(column) FROM \(self.q(previousHolder.tableName)) AS s "
                            + "WHERE s.\(self.q(previousHolder.keyField.columnName)) = \(previous(row)))"
                    }
                let id = chain.prefix(index + 1).map(\.fieldName).joined(separator: ".")
                if seen.insert(id).inserted {
                    let key = keyOf, table = target.tableName
                    locks.append { row in "PERFORM pg_advisory_xact_lock_shared(\(self.rowLockArguments(table, key(row))));" }
                }
                holder = target
            }
        }
        return locks
    }

    /// The statement taking the exclusive lock on `entity`'s row `row` before its change
    /// refiles the rows that read it; nil when no filter or include reads it.
    private func sourceRowLock(_ entity: Entity, _ row: String) -> String? {
        guard dependents.contains(where: { $0.source == entity.name }) else { return nil }
        return "PERFORM pg_advisory_xact_lock(\(rowLockArguments(entity.tableName, "\(row).\(q(entity.keyField.columnName))")));"
    }

    /// The condition under which an update of `entity` refiles the rows that read it.
    private func watchedColumnsChanged(_ entity: Entity) -> String? {
        let columns = Set(dependents.filter { $0.source == entity.name }.flatMap(\.watchedColumns))
        guard !columns.isEmpty else { return nil }
        return columns.sorted().map { "OLD.\(q($0)) IS DISTINCT FROM NEW.\(q($0))" }.joined(separator: " OR ")
    }

    private func postgresTriggers(_ entity: Entity) -> [String] {
        let table = q(entity.tableName)
        let keyColumn = q(entity.keyField.columnName)
        let keyType = entity.keyField.type.storage
        let name = entity.tableName
        let newKey = dialect.keyText("NEW.\(keyColumn)", keyType)
        let oldKey = dialect.keyText("OLD.\(keyColumn)", keyType)
        func indented(_ lines: [String]) -> [String] { lines.map { "    " + $0 } }
        let function = q("syncwright_\(name)_log")
        let locks = dependentRowLocks(entity)
        let body = [
            "PERFORM syncwright_announce();",
        ] + (locks.isEmpty ? [] : [
            "IF TG_OP <> 'DELETE' THEN",
        ] + indented(locks.map { $0("NEW") }) + [
            "END IF;",
            "IF TG_OP <> 'INSERT' THEN",
        ] + indented(locks.map { $0("OLD") }) + [
            "END IF;",
        ]) + [
            // Delivered once per transaction, at commit, to every server process.
            "PERFORM pg_notify('\(Self.postgresChannel)', '');",
            "IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.\(keyColumn) IS DISTINCT FROM NEW.\(keyColumn)) THEN",
            "    NULL;",
        ] + indented([sourceRowLock(entity, "OLD")].compactMap { $0 } + removeEverywhere(entity, keyText: oldKey)
            + refileDependents(of: entity, "OLD", changedOnly: false)) + [
            "END IF;",
            "IF TG_OP = 'DELETE' THEN",
            "    RETURN NULL;",
            "END IF;",
        ] + refile(entity, where: "1 = 1", row: "NEW", keys: newKey) + [
            "IF TG_OP = 'INSERT' THEN",
            "    NULL;",
        ] + indented([sourceRowLock(entity, "NEW")].compactMap { $0 } + refileDependents(of: entity, "NEW", changedOnly: false)) + [
            "ELSE",
            "    NULL;",
        ] + indented((sourceRowLock(entity, "NEW").flatMap { lock in
            watchedColumnsChanged(entity).map { ["IF \($0) THEN", "    " + lock, "END IF;"] } } ?? [])
            + refileDependents(of: entity, "NEW", changedOnly: true)) + [
            "END IF;",
            "RETURN NULL;",
        ]
        return [
            "CREATE OR REPLACE FUNCTION \(function)() RETURNS trigger AS $$\nBEGIN\n    "
                + body.joined(separator: "\n    ") + "\nEND\n$$ LANGUAGE plpgsql",
            "DROP TRIGGER IF EXISTS \(q("syncwright_\(name)_stamp")) ON \(table)",
            "CREATE TRIGGER \(q("syncwright_\(name)_stamp")) BEFORE INSERT OR UPDATE ON \(table) FOR EACH ROW EXECUTE FUNCTION syncwright_stamp()",
            "DROP TRIGGER IF EXISTS \(q("syncwright_\(name)_log")) ON \(table)",
            "CREATE TRIGGER \(q("syncwright_\(name)_log")) AFTER INSERT OR UPDATE OR DELETE ON \(table) FOR EACH ROW EXECUTE FUNCTION \(function)()",
        ]
    }
}
