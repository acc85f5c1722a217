import SyncwrightSchema

/// The server's tables, indexes and triggers for one schema, in one dialect.
///
/// Every entity gets a table with its declared fields (snake_case columns), `version`
/// and `updated_at`. Triggers — not the server's own code — assign versions and keep
/// the change log, so rows that other systems write straight into the tables sync too:
///
/// - `syncwright_changes` holds one entry per row: the latest change's sequence number,
///   and whether the row was deleted (the tombstone). Sequence numbers only grow.
/// - A change to a row also re-logs the rows that read it through a reference in a
///   subset's filter or include (renaming a Customer re-logs its WorkOrders; reassigning
///   a WorkOrder re-logs its lines), so devices receive new includes and removals.
public struct DatabaseLayout: Sendable {
    /// The schema the tables come from.
    public let schema: SchemaModel
    /// The SQL dialect.
    public let dialect: SQLDialect

    /// The advisory lock every writer of the synced tables holds until it commits
    /// (PostgreSQL), so change-log sequence numbers become visible in order.
    static let postgresWriteLock = 0x5379_6E63

    /// Creates the layout.
    public init(schema: SchemaModel, dialect: SQLDialect) {
        self.schema = schema
        self.dialect = dialect
    }

    /// Every statement that brings a database up to this schema: idempotent, so it
    /// runs on every start.
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

    private func q(_ name: String) -> String { dialect.quote(name) }

    // MARK: - Tables

    private var bookkeepingTables: [String] {
        switch dialect {
        case .sqlite:
            return [
                """
                CREATE TABLE IF NOT EXISTS syncwright_changes (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    entity TEXT NOT NULL,
                    key TEXT NOT NULL,
                    removed INTEGER NOT NULL,
                    changed_at TEXT NOT NULL,
                    UNIQUE (entity, key))
                """,
                "CREATE INDEX IF NOT EXISTS syncwright_changes_entity_seq ON syncwright_changes (entity, seq)",
                """
                CREATE TABLE IF NOT EXISTS syncwright_push_results (
                    client_id TEXT NOT NULL,
                    op_id TEXT NOT NULL,
                    result TEXT NOT NULL,
                    applied_at TEXT NOT NULL,
                    PRIMARY KEY (client_id, op_id))
                """,
                "CREATE TABLE IF NOT EXISTS syncwright_state (name TEXT PRIMARY KEY NOT NULL, value TEXT NOT NULL)",
            ]
        case .postgres:
            return [
                "CREATE SEQUENCE IF NOT EXISTS syncwright_seq",
                """
                CREATE TABLE IF NOT EXISTS syncwright_changes (
                    seq bigint PRIMARY KEY,
                    entity text NOT NULL,
                    key text NOT NULL,
                    removed boolean NOT NULL,
                    changed_at timestamptz NOT NULL,
                    UNIQUE (entity, key))
                """,
                "CREATE INDEX IF NOT EXISTS syncwright_changes_entity_seq ON syncwright_changes (entity, seq)",
                """
                CREATE TABLE IF NOT EXISTS syncwright_push_results (
                    client_id text NOT NULL,
                    op_id text NOT NULL,
                    result text NOT NULL,
                    applied_at timestamptz NOT NULL,
                    PRIMARY KEY (client_id, op_id))
                """,
                "CREATE TABLE IF NOT EXISTS syncwright_state (name text PRIMARY KEY, value text NOT NULL)",
                """
                CREATE OR REPLACE FUNCTION syncwright_stamp() RETURNS trigger AS $$
                BEGIN
                    PERFORM pg_advisory_xact_lock(\(Self.postgresWriteLock));
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
        var definitions = entity.fields.map { field -> String in
            var definition = "\(q(field.columnName)) \(dialect.columnType(field.type.storage))"
            if field.name == entity.keyFieldName {
                definition += " PRIMARY KEY NOT NULL"
            } else if !field.isNullable {
                definition += " NOT NULL"
            }
            if let value = field.defaultValue, value != .null {
                definition += " DEFAULT " + literal(value, field.type.storage)
            }
            return definition
        }
        switch dialect {
        case .sqlite:
            definitions.append("version INTEGER")
            definitions.append("updated_at TEXT")
        case .postgres:
            definitions.append("version bigint")
            definitions.append("updated_at timestamptz")
        }
        return "CREATE TABLE IF NOT EXISTS \(q(entity.tableName)) (\(definitions.joined(separator: ", ")))"
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

    /// `SELECT <dependent key as text> FROM … WHERE <last hop's reference> = <row>.<key>`.
    private func dependentKeys(_ dependent: Dependent, sourceKey: String) -> String? {
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
        let key = dialect.keyText("d0.\(q(root.keyField.columnName))", root.keyField.type.storage)
        return "SELECT \(key) AS dependent_key FROM \(joins) WHERE \(alias).\(q(reference.columnName)) = \(sourceKey)"
    }

    // MARK: - Triggers

    private func triggers(_ entity: Entity) -> [String] {
        switch dialect {
        case .sqlite: sqliteTriggers(entity)
        case .postgres: postgresTriggers(entity)
        }
    }

    private func sqliteTriggers(_ entity: Entity) -> [String] {
        let table = q(entity.tableName)
        let keyColumn = q(entity.keyField.columnName)
        let keyType = entity.keyField.type.storage
        let name = entity.tableName
        let entityLiteral = "'" + entity.name.replacingOccurrences(of: "'", with: "''") + "'"
        let now = dialect.now

        func logRow(_ row: String, removed: Bool) -> [String] {
            let key = dialect.keyText("\(row).\(keyColumn)", keyType)
            return [
                "DELETE FROM syncwright_changes WHERE entity = \(entityLiteral) AND key = \(key);",
                "INSERT INTO syncwright_changes (entity, key, removed, changed_at) VALUES (\(entityLiteral), \(key), \(removed ? 1 : 0), \(now));",
            ]
        }
        func stamp(_ row: String) -> String {
            "UPDATE \(table) SET version = last_insert_rowid(), updated_at = \(now) WHERE \(keyColumn) = \(row).\(keyColumn);"
        }
        func relogDependents(_ row: String, onlyWhenChanged: Bool) -> [String] {
            dependents.filter { $0.source == entity.name }.flatMap { dependent -> [String] in
                guard let select = dependentKeys(dependent, sourceKey: "\(row).\(keyColumn)") else { return [] }
                let change = onlyWhenChanged
                    ? " AND (" + dependent.watchedColumns.sorted().map { "OLD.\(q($0)) IS NOT NEW.\(q($0))" }.joined(separator: " OR ") + ")"
                    : ""
                let literal = "'" + dependent.entity.replacingOccurrences(of: "'", with: "''") + "'"
                return [
                    "DELETE FROM syncwright_changes WHERE entity = \(literal) AND key IN (\(select)\(change));",
                    "INSERT INTO syncwright_changes (entity, key, removed, changed_at) SELECT \(literal), dependent_key, 0, \(now) FROM (\(select)\(change)) AS dependents;",
                ]
            }
        }
        let declared = entity.fields.map { q($0.columnName) }.joined(separator: ", ")
        let insertBody = logRow("NEW", removed: false) + [stamp("NEW")] + relogDependents("NEW", onlyWhenChanged: false)
        let keyChanged = "OLD.\(keyColumn) IS NOT NEW.\(keyColumn)"
        let updateBody = [
            "DELETE FROM syncwright_changes WHERE entity = \(entityLiteral) AND key = \(dialect.keyText("OLD.\(keyColumn)", keyType)) AND \(keyChanged);",
            "INSERT INTO syncwright_changes (entity, key, removed, changed_at) SELECT \(entityLiteral), \(dialect.keyText("OLD.\(keyColumn)", keyType)), 1, \(now) WHERE \(keyChanged);",
        ] + logRow("NEW", removed: false) + [stamp("NEW")] + relogDependents("NEW", onlyWhenChanged: true)
        let deleteBody = logRow("OLD", removed: true) + relogDependents("OLD", onlyWhenChanged: false)
        func trigger(_ suffix: String, _ event: String, _ body: [String]) -> [String] {
            let triggerName = q("syncwright_\(name)_\(suffix)")
            return [
                "DROP TRIGGER IF EXISTS \(triggerName)",
                "CREATE TRIGGER \(triggerName) AFTER \(event) ON \(table) FOR EACH ROW BEGIN\n    "
                    + body.joined(separator: "\n    ") + "\nEND",
            ]
        }
        return trigger("insert", "INSERT", insertBody)
            + trigger("update", "UPDATE OF \(declared)", updateBody)
            + trigger("delete", "DELETE", deleteBody)
    }

    private func postgresTriggers(_ entity: Entity) -> [String] {
        let table = q(entity.tableName)
        let keyColumn = q(entity.keyField.columnName)
        let name = entity.tableName
        let entityLiteral = "'" + entity.name.replacingOccurrences(of: "'", with: "''") + "'"
        let upsert = "ON CONFLICT (entity, key) DO UPDATE SET seq = excluded.seq, removed = excluded.removed, changed_at = excluded.changed_at"
        func relogDependents(_ row: String, onlyWhenChanged: Bool) -> [String] {
            dependents.filter { $0.source == entity.name }.flatMap { dependent -> [String] in
                guard let select = dependentKeys(dependent, sourceKey: "\(row).\(keyColumn)") else { return [] }
                let literal = "'" + dependent.entity.replacingOccurrences(of: "'", with: "''") + "'"
                let insert = "INSERT INTO syncwright_changes (seq, entity, key, removed, changed_at) "
                    + "SELECT nextval('syncwright_seq'), \(literal), dependent_key, FALSE, clock_timestamp() FROM (\(select)) AS dependents \(upsert);"
                guard onlyWhenChanged else { return [insert] }
                let change = dependent.watchedColumns.sorted().map { "OLD.\(q($0)) IS DISTINCT FROM NEW.\(q($0))" }.joined(separator: " OR ")
                return ["IF \(change) THEN", "    " + insert, "END IF;"]
            }
        }
        let function = q("syncwright_\(name)_log")
        let body = [
            "PERFORM pg_advisory_xact_lock(\(Self.postgresWriteLock));",
            "IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.\(keyColumn) IS DISTINCT FROM NEW.\(keyColumn)) THEN",
            "    INSERT INTO syncwright_changes (seq, entity, key, removed, changed_at) VALUES (nextval('syncwright_seq'), \(entityLiteral), OLD.\(keyColumn)::text, TRUE, clock_timestamp()) \(upsert);",
            "END IF;",
            "IF TG_OP = 'DELETE' THEN",
            "    NULL;",
        ] + relogDependents("OLD", onlyWhenChanged: false).map { "    " + $0 } + [
            "    RETURN NULL;",
            "END IF;",
            "INSERT INTO syncwright_changes (seq, entity, key, removed, changed_at) VALUES (NEW.version, \(entityLiteral), NEW.\(keyColumn)::text, FALSE, NEW.updated_at) \(upsert);",
            "IF TG_OP = 'INSERT' THEN",
            "    NULL;",
        ] + relogDependents("NEW", onlyWhenChanged: false).map { "    " + $0 } + [
            "ELSE",
            "    NULL;",
        ] + relogDependents("NEW", onlyWhenChanged: true).map { "    " + $0 } + [
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
