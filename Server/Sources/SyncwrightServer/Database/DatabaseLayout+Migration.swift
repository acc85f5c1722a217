import Foundation
import SyncwrightCore
import SyncwrightSchema

/// What ``DatabaseLayout/migrate(_:)`` changed in the existing tables.
struct MigrationReport: Sendable {
    /// `table.column` of every column added.
    var addedColumns: [String] = []
    /// Every column whose values were converted to a new type, with its entity; their
    /// rows are logged again once the triggers exist, so devices receive the new values.
    var convertedColumns: [(entity: Entity, column: String)] = []
    /// The tables rebuilt (SQLite can't change a column's type, constraint or default in place).
    var rebuiltTables: [String] = []
    /// Entities some of whose stored values were brought to their canonical form
    /// (SQLite); the rows' keys wait in `temp.syncwright_canonicalized` until the
    /// triggers exist, then ``DatabaseLayout/refileCanonicalizedStatements(_:)`` files
    /// them again.
    var canonicalizedEntities: [Entity] = []
}

extension DatabaseLayout {
    /// The table of every schema version the server has served (``SchemaVersionRecord``).
    static let schemaVersionsTable = """
        CREATE TABLE IF NOT EXISTS syncwright_schemas (
            hash TEXT PRIMARY KEY NOT NULL,
            file TEXT NOT NULL,
            source TEXT NOT NULL,
            first_served_at TEXT NOT NULL,
            retired_at TEXT)
        """

    /// One column as the database's catalog describes it.
    struct ExistingColumn: Sendable {
        var name: String
        /// SQLite's declared type, or PostgreSQL's `udt_name`.
        var type: String
        var isNotNull: Bool
        /// The default as the catalog spells it (SQLite: as written; PostgreSQL: as
        /// `pg_get_expr` prints it).
        var defaultText: String?
    }

    /// Brings the existing tables up to the schema, before ``statements`` run: adds
    /// missing columns with their defaults, converts columns whose type changed when
    /// every value converts, relaxes or tightens `NOT NULL` and defaults, and lets
    /// columns no field names any more take nulls. Never drops a column or a table.
    ///
    /// Every trigger the server made is dropped first; ``statements`` makes them again.
    /// Throws ``SchemaMigrationError`` for what it can't do, inside the caller's
    /// transaction, so nothing changes.
    func migrate(_ connection: any SQLConnection) async throws -> MigrationReport {
        try await dropServerTriggers(connection)
        var report = MigrationReport()
        let canonical = try await knownCanonicalColumns(connection)
        for entity in schema.entities {
            guard let existing = try await columns(of: entity.tableName, connection), !existing.isEmpty else { continue }
            try await migrate(entity, existing: existing, connection, &report)
            try await canonicalizeStoredValues(entity, connection, &report, skipping: canonical)
        }
        return report
    }

    /// The `syncwright_state` entry listing the columns whose stored values are known to
    /// be canonical (SQLite): the server's triggers have kept them so since a start
    /// canonicalized them, so later starts don't scan them again.
    static let canonicalColumnsState = "canonical_columns"

    /// Every column of the schema the SQLite triggers keep canonical, as
    /// `table.column:type`, one per line: the value of ``canonicalColumnsState`` once the
    /// triggers exist.
    var canonicalColumns: String {
        schema.entities.flatMap { entity in
            entity.fields.filter { SQLDialect.hasCanonicalText($0.type.storage) }.map(\.self).map {
                "\(entity.tableName).\($0.columnName):\($0.type.storage.rawValue)"
            }
        }.sorted().joined(separator: "\n")
    }

    private func knownCanonicalColumns(_ connection: any SQLConnection) async throws -> Set<String> {
        guard dialect == .sqlite,
              try await !connection.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'syncwright_state'", []).isEmpty
        else { return [] }
        let rows = try await connection.query("SELECT value FROM syncwright_state WHERE name = ?", [.text(Self.canonicalColumnsState)])
        return Set((rows.first?.first?.text ?? "").split(separator: "\n").map(String.init))
    }

    /// Brings the uuids, timestamps and dates another system wrote before this server
    /// canonicalized them to their canonical form (SQLite only; a value that can't be
    /// read stays as it is). Their log entries under a non-canonical key become removes,
    /// so a device that received the row under that key drops it, and the rows are filed
    /// again once the triggers exist.
    private func canonicalizeStoredValues(_ entity: Entity, _ connection: any SQLConnection,
                                          _ report: inout MigrationReport, skipping known: Set<String>) async throws {
        let fields = entity.fields.filter {
            SQLDialect.hasCanonicalText($0.type.storage)
                && !known.contains("\(entity.tableName).\($0.columnName):\($0.type.storage.rawValue)")
        }
        guard dialect == .sqlite, !fields.isEmpty else { return }
        func canonical(_ field: Field) -> String {
            let column = dialect.quote(field.columnName)
            return "coalesce(\(dialect.canonical(column, field.type.storage)), \(column))"
        }
        let table = dialect.quote(entity.tableName)
        let needed = fields.map { "\(dialect.quote($0.columnName)) IS NOT \(canonical($0))" }.joined(separator: " OR ")
        let count = try await connection.query("SELECT count(*) FROM \(table) WHERE \(needed)", [])
        guard let rows = count.first?.first?.integer, rows > 0 else { return }
        let name = "'" + entity.name.replacingOccurrences(of: "'", with: "''") + "'"
        let keyType = entity.keyField.type.storage
        try await connection.execute("CREATE TEMP TABLE IF NOT EXISTS syncwright_canonicalized (entity TEXT NOT NULL, key TEXT NOT NULL)")
        try await connection.execute(
            "INSERT INTO temp.syncwright_canonicalized (entity, key) SELECT \(name), \(canonical(entity.keyField)) FROM \(table) WHERE \(needed)")
        if SQLDialect.hasCanonicalText(keyType) {
            let canonicalKey = "coalesce(\(dialect.canonical("key", keyType)), key)"
            try await connection.execute(
                // The entry moves without a record of where it was: its versions are no
                // longer known, and it keeps where it was made.
                "UPDATE syncwright_log SET removed = 1, changed_at = \(dialect.now), "
                    + "origin_seq = coalesce(origin_seq, seq), versions = NULL, "
                    + "seq = (SELECT coalesce(max(seq), 0) FROM syncwright_log) + rowid "
                    + "WHERE entity = \(name) AND removed = 0 AND key IS NOT \(canonicalKey)")
        }
        try await connection.execute(
            "UPDATE \(table) SET " + fields.map { "\(dialect.quote($0.columnName)) = \(canonical($0))" }.joined(separator: ", ")
                + " WHERE \(needed)")
        report.canonicalizedEntities.append(entity)
    }

    /// Statements, once the triggers exist, filing again the rows whose stored values
    /// were canonicalized: an update that changes nothing still logs the row.
    func refileCanonicalizedStatements(_ report: MigrationReport) -> [String] {
        guard !report.canonicalizedEntities.isEmpty else { return [] }
        return report.canonicalizedEntities.map { entity in
            let key = dialect.quote(entity.keyField.columnName)
            let name = "'" + entity.name.replacingOccurrences(of: "'", with: "''") + "'"
            return "UPDATE \(dialect.quote(entity.tableName)) SET \(key) = \(key) "
                + "WHERE \(key) IN (SELECT key FROM temp.syncwright_canonicalized WHERE entity = \(name))"
        } + ["DROP TABLE temp.syncwright_canonicalized"]
    }

    /// The columns of `table`, or nil when there is no such table.
    func columns(of table: String, _ connection: any SQLConnection) async throws -> [ExistingColumn]? {
        let rows: SQLRows
        switch dialect {
        case .sqlite:
            rows = try await connection.query(
                "SELECT name, upper(type), \"notnull\", dflt_value FROM pragma_table_info(?)", [.text(table)])
        case .postgres:
            rows = try await connection.query(
                "SELECT column_name::text, udt_name::text, (is_nullable = 'NO'), column_default::text FROM information_schema.columns "
                    + "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position", [.text(table)])
        }
        guard !rows.isEmpty else { return nil }
        return rows.map { row in
            ExistingColumn(name: row[0].text ?? "", type: row[1].text ?? "", isNotNull: row[2].bool ?? false,
                           defaultText: row[3].text)
        }
    }

    private func dropServerTriggers(_ connection: any SQLConnection) async throws {
        switch dialect {
        case .sqlite:
            let names = try await connection.query(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'syncwright\\_%' ESCAPE '\\'", [])
            for name in names.compactMap({ $0.first?.text }) {
                try await connection.execute("DROP TRIGGER IF EXISTS \(dialect.quote(name))")
            }
        case .postgres:
            let rows = try await connection.query("""
                SELECT t.tgname::text, c.relname::text FROM pg_trigger t
                JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE NOT t.tgisinternal AND n.nspname = current_schema() AND t.tgname LIKE 'syncwright\\_%'
                """, [])
            for row in rows {
                guard let name = row[0].text, let table = row[1].text else { continue }
                try await connection.execute("DROP TRIGGER IF EXISTS \(dialect.quote(name)) ON \(dialect.quote(table))")
            }
        }
    }

    /// The catalog type the layout gives a scalar type.
    func catalogType(_ type: ScalarType) -> String {
        switch dialect {
        case .sqlite: return dialect.columnType(type)
        case .postgres:
            switch type {
            case .string, .attachment: return "text"
            case .int: return "int8"
            case .double: return "float8"
            case .decimal: return "numeric"
            case .bool: return "bool"
            case .uuid: return "uuid"
            case .date: return "date"
            case .timestamp: return "timestamptz"
            case .blob: return "bytea"
            case .json: return "jsonb"
            }
        }
    }

    private func migrate(_ entity: Entity, existing: [ExistingColumn], _ connection: any SQLConnection,
                         _ report: inout MigrationReport) async throws {
        let table = dialect.quote(entity.tableName)
        let byName = Dictionary(existing.map { ($0.name.lowercased(), $0) }, uniquingKeysWith: { first, _ in first })
        var needsRebuild = false
        var conversions: [(Field, [(key: SQLValue, value: SQLValue)])] = []
        for field in entity.fields {
            let isKey = field.name == entity.keyFieldName
            guard let column = byName[field.columnName.lowercased()] else {
                if isKey {
                    throw SchemaMigrationError(
                        location: entity.location,
                        message: "table '\(entity.tableName)' has no column '\(field.columnName)' for the key of '\(entity.name)'; "
                            + "a key can't change on a table that exists: keep the old key, or use a new table (`table:`)")
                }
                // SQLite adds a required column without a default only as nullable: the
                // rebuild (of a table with no rows) gives it its constraint.
                if try await addColumn(field, of: entity, connection) { needsRebuild = true }
                report.addedColumns.append("\(entity.tableName).\(field.columnName)")
                continue
            }
            let wanted = catalogType(field.type.storage)
            if column.type != wanted {
                if isKey {
                    throw SchemaMigrationError(
                        location: field.location,
                        message: "the key '\(entity.name).\(field.name)' is stored as \(column.type.lowercased()), not \(field.type); "
                            + "a key's type can't change on a table that exists: keep the type, or use a new table (`table:`)")
                }
                conversions.append((field, try await convertedValues(field, of: entity, connection)))
            }
            let wantsNotNull = isKey || !field.isNullable
            if wantsNotNull, !column.isNotNull, !isKey {
                let nulls = try await connection.query(
                    "SELECT count(*) FROM \(table) WHERE \(dialect.quote(field.columnName)) IS NULL", []).first?.first?.integer ?? 0
                if nulls > 0 {
                    throw SchemaMigrationError(
                        location: field.location,
                        message: "'\(entity.name).\(field.name)' may not be null, but \(nulls) \(nulls == 1 ? "row" : "rows") of "
                            + "'\(entity.tableName)' hold null; fill them in first, or keep the field optional (`\(field.type)?`)")
                }
            }
            switch dialect {
            case .sqlite:
                if column.isNotNull != wantsNotNull || column.defaultText != defaultLiteral(field) || column.type != wanted {
                    needsRebuild = true
                }
            case .postgres:
                // Each ALTER takes the table's lock: only what differs is altered.
                let name = dialect.quote(field.columnName)
                if !isKey, column.isNotNull != wantsNotNull {
                    try await connection.execute("ALTER TABLE \(table) ALTER COLUMN \(name) \(wantsNotNull ? "SET" : "DROP") NOT NULL")
                }
                if column.type != wanted {
                    // The conversion below sets the default once the type has changed.
                } else if let value = defaultLiteral(field) {
                    if column.defaultText?.lowercased() != value.lowercased() {
                        try await connection.execute("ALTER TABLE \(table) ALTER COLUMN \(name) SET DEFAULT \(value)")
                    }
                } else if !isKey, column.defaultText != nil {
                    try await connection.execute("ALTER TABLE \(table) ALTER COLUMN \(name) DROP DEFAULT")
                }
            }
        }
        // Columns no field names any more stay, and take nulls so inserts keep working.
        for column in existing where !isLayoutColumn(column, of: entity) && column.isNotNull && column.defaultText == nil {
            switch dialect {
            case .sqlite: needsRebuild = true
            case .postgres:
                try await connection.execute("ALTER TABLE \(table) ALTER COLUMN \(dialect.quote(column.name)) DROP NOT NULL")
            }
        }
        if dialect == .sqlite, needsRebuild {
            try await rebuildSQLiteTable(entity, existing: existing, connection)
            report.rebuiltTables.append(entity.tableName)
        }
        for (field, values) in conversions {
            try await store(values, of: field, in: entity, connection)
            report.convertedColumns.append((entity, field.columnName))
        }
    }

    /// Whether the layout names the column: one of the entity's fields, `version` or
    /// `updated_at`. Others were left by fields a schema no longer has.
    private func isLayoutColumn(_ column: ExistingColumn, of entity: Entity) -> Bool {
        let name = column.name.lowercased()
        return name == "version" || name == "updated_at" || entity.fields.contains { $0.columnName.lowercased() == name }
    }

    /// Adds the column; returns whether SQLite must still rebuild the table for its constraint.
    private func addColumn(_ field: Field, of entity: Entity, _ connection: any SQLConnection) async throws -> Bool {
        var needsConstraint = false
        var definition = dialect.columnType(field.type.storage)
        if !field.isNullable, defaultLiteral(field) == nil {
            // Counted only here: a start doesn't scan tables it has nothing to add to.
            let rowCount = try await connection.query(
                "SELECT count(*) FROM \(dialect.quote(entity.tableName))", []).first?.first?.integer ?? 0
            guard rowCount == 0 else {
                throw SchemaMigrationError(
                    location: field.location,
                    message: "'\(entity.name).\(field.name)' is new and may not be null, but '\(entity.tableName)' has \(rowCount) "
                        + "\(rowCount == 1 ? "row" : "rows") without a value for it; give it a default "
                        + "(`{ type: \(field.type), default: … }`) or make it optional (`\(field.type)?`)")
            }
            if dialect == .postgres { definition += " NOT NULL" } else { needsConstraint = true }
        } else if !field.isNullable {
            definition += " NOT NULL"
        }
        if let value = defaultLiteral(field) { definition += " DEFAULT \(value)" }
        try await connection.execute(
            "ALTER TABLE \(dialect.quote(entity.tableName)) ADD COLUMN \(dialect.quote(field.columnName)) \(definition)")
        return needsConstraint
    }

    /// Every non-null value of the field's column in the field's new type, by key; throws
    /// when one doesn't convert.
    private func convertedValues(_ field: Field, of entity: Entity, _ connection: any SQLConnection) async throws
        -> [(key: SQLValue, value: SQLValue)]
    {
        let column = dialect.quote(field.columnName)
        let key = dialect.quote(entity.keyField.columnName)
        let text = dialect == .sqlite ? "CAST(\(column) AS TEXT)" : "\(column)::text"
        let rows = try await connection.query(
            "SELECT \(dialect.keyText(key, entity.keyField.type.storage)), \(text) FROM \(dialect.quote(entity.tableName)) "
                + "WHERE \(column) IS NOT NULL", [])
        var converted: [(key: SQLValue, value: SQLValue)] = []
        var failures = 0
        var example: String?
        for row in rows {
            guard let value = row[1].text else { continue }
            if let new = Self.convert(value, to: field.type) {
                converted.append((row[0], new))
            } else {
                failures += 1
                if example == nil { example = value }
            }
        }
        if failures > 0 {
            let shown = example.map { $0.count > 40 ? String($0.prefix(40)) + "…" : $0 } ?? ""
            throw SchemaMigrationError(
                location: field.location,
                message: "'\(entity.name).\(field.name)' can't become \(field.type): \(failures) "
                    + "\(failures == 1 ? "row" : "rows") of '\(entity.tableName)' hold values that don't convert, such as \"\(shown)\"; "
                    + "change or clear those values first, or keep the old type and add a new field")
        }
        return converted
    }

    /// `text` (a column's value read as text) as a value of `type`, or nil when it isn't one.
    static func convert(_ text: String, to type: FieldType) -> SQLValue? {
        switch type {
        case .enumeration(let cases):
            return cases.contains(text) ? .text(text) : nil
        case .scalar(let scalar):
            switch scalar {
            case .string: return .text(text)
            case .int:
                return WireValueRules.exactInteger(ofNumberText: text).map(SQLValue.integer)
            case .double: return Double(text).map { .real($0) }
            case .bool:
                switch text.lowercased() {
                case "true", "t", "1": return .bool(true)
                case "false", "f", "0": return .bool(false)
                default: return nil
                }
            case .decimal: return WireValueRules.isDecimal(text) ? .text(text) : nil
            case .uuid: return WireValueRules.canonicalUUID(text).map { .text($0) }
            case .date: return WireValueRules.isDate(text) ? .text(text) : nil
            case .timestamp: return WireValueRules.canonicalTimestamp(text).map { .text($0) }
            case .json: return (try? JSONValue(jsonText: text)).map { _ in .text(text) }
            case .blob: return nil
            case .attachment: return WireValueRules.canonicalAttachment(text).map { .text($0) }
            }
        }
    }

    /// Writes converted values: PostgreSQL changes the column's type in place; SQLite's
    /// table was rebuilt with the new type, and the values are stored again.
    private func store(_ values: [(key: SQLValue, value: SQLValue)], of field: Field, in entity: Entity,
                       _ connection: any SQLConnection) async throws {
        let table = dialect.quote(entity.tableName)
        let column = dialect.quote(field.columnName)
        let key = dialect.quote(entity.keyField.columnName)
        let keyType = entity.keyField.type.storage
        switch dialect {
        case .postgres:
            let type = dialect.columnType(field.type.storage)
            do {
                try await connection.execute("ALTER TABLE \(table) ALTER COLUMN \(column) DROP DEFAULT")
                try await connection.execute("ALTER TABLE \(table) ALTER COLUMN \(column) TYPE \(type) USING (\(column)::text)::\(type)")
                if let value = defaultLiteral(field) {
                    try await connection.execute("ALTER TABLE \(table) ALTER COLUMN \(column) SET DEFAULT \(value)")
                }
            } catch {
                throw SchemaMigrationError(
                    location: field.location,
                    message: "'\(entity.name).\(field.name)' can't become \(field.type): PostgreSQL refused to convert the column "
                        + "'\(entity.tableName).\(field.columnName)'; convert it yourself, or keep the old type and add a new field")
            }
        case .sqlite:
            for (rowKey, value) in values {
                let stored: SQLValue = if case .bool(let flag) = value { .integer(flag ? 1 : 0) } else { value }
                try await connection.execute(
                    "UPDATE \(table) SET \(column) = ? WHERE \(key) = \(dialect.keyFromText("?", keyType))",
                    [stored, .text(rowKey.keyText)])
            }
        }
    }

    /// SQLite's documented way to change a column: a new table with the wanted
    /// definitions (and every column no field names any more, nullable), the rows copied,
    /// the old table dropped and the new one renamed. Indexes and triggers are made again
    /// by ``statements``.
    private func rebuildSQLiteTable(_ entity: Entity, existing: [ExistingColumn], _ connection: any SQLConnection) async throws {
        let table = entity.tableName
        let temporary = "syncwright_rebuild_\(table)"
        var definitions = columnDefinitions(entity)
        for column in existing where !isLayoutColumn(column, of: entity) {
            definitions.append("\(dialect.quote(column.name)) \(column.type)"
                               + (column.defaultText.map { " DEFAULT \($0)" } ?? ""))
        }
        let copied = existing.map { dialect.quote($0.name) }.joined(separator: ", ")
        try await connection.execute("DROP TABLE IF EXISTS \(dialect.quote(temporary))")
        try await connection.execute("CREATE TABLE \(dialect.quote(temporary)) (\(definitions.joined(separator: ", ")))")
        try await connection.execute("INSERT INTO \(dialect.quote(temporary)) (\(copied)) SELECT \(copied) FROM \(dialect.quote(table))")
        try await connection.execute("DROP TABLE \(dialect.quote(table))")
        try await connection.execute("ALTER TABLE \(dialect.quote(temporary)) RENAME TO \(dialect.quote(table))")
    }
}
