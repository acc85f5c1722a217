import SyncwrightSchema

/// Values other systems write are checked where they are written: every column whose
/// database type doesn't refuse by itself what isn't a value of the field's type gets a
/// check in a trigger, which refuses the write with a message naming the table, the
/// column and what the column takes. On SQLite that is every type (its columns take any
/// value); on PostgreSQL the enum cases, attachment references, and the values its
/// types hold that JSON can't carry (`NaN`, `Infinity`, dates at infinity) or that are
/// longer than a decimal may be.
///
/// Rows that got in before a database had these checks are found at start
/// (``SyncService/invalidValues``) and are not sent to devices until they are repaired:
/// a pull reads only rows whose every checked column holds a valid value.
extension DatabaseLayout {
    /// A condition, over the expression `value` holding a non-null value of `field`,
    /// that is true when the value is not one of the field's type; nil when the column's
    /// database type already refuses every such value.
    func invalidValueCondition(_ field: Field, _ value: String) -> String? {
        Self.invalidValueCondition(field, value, dialect: dialect)
    }

    /// ``invalidValueCondition(_:_:)`` in `dialect`.
    static func invalidValueCondition(_ field: Field, _ value: String, dialect: SQLDialect) -> String? {
        switch dialect {
        case .sqlite: sqliteInvalid(field.type, value)
        case .postgres: postgresInvalid(field.type, value)
        }
    }

    /// A condition true when every column of `fields` of the row aliased `alias` holds
    /// a valid value (or null); nil when none of them is checked.
    static func validRowCondition(_ fields: [Field], alias: String, dialect: SQLDialect) -> String? {
        let checks = fields.compactMap { field -> String? in
            let column = "\(alias).\(dialect.quote(field.columnName))"
            return invalidValueCondition(field, column, dialect: dialect).map { "(\(column) IS NOT NULL AND \($0))" }
        }
        guard !checks.isEmpty else { return nil }
        return "NOT (" + checks.joined(separator: " OR ") + ")"
    }

    /// What a column takes, for messages: `an int`, `one of open, done`.
    static func takes(_ type: FieldType) -> String {
        switch type {
        case .enumeration(let cases): "one of " + cases.joined(separator: ", ")
        case .scalar(let scalar):
            switch scalar {
            case .int: "an int (a 64-bit integer)"
            case .attachment: "an attachment reference (sha256:<64 hex digits> <size> <type/subtype>)"
            case .double: "a finite double"
            case .decimal: "a decimal (digits, at most one point, at most \(WireValueRules.maximumDecimalLength) characters)"
            case .json: "JSON text"
            case .string: "text"
            case .blob: "bytes (a blob)"
            case .bool: "a bool (0 or 1)"
            default: "a \(scalar.rawValue)"
            }
        }
    }

    /// The checked fields of `entity`, each with its condition on `row.column`.
    func checkedFields(_ entity: Entity, row: String) -> [(field: Field, invalid: String)] {
        entity.fields.compactMap { field in
            invalidValueCondition(field, "\(row).\(dialect.quote(field.columnName))").map { (field, $0) }
        }
    }

    /// The triggers that refuse a write of a value that isn't one of its column's type.
    func valueCheckTriggers(_ entity: Entity) -> [String] {
        let table = dialect.quote(entity.tableName)
        let checks = checkedFields(entity, row: "NEW")
        switch dialect {
        case .sqlite:
            let names = [dialect.quote("syncwright_\(entity.tableName)_check_insert"),
                         dialect.quote("syncwright_\(entity.tableName)_check_update")]
            guard !checks.isEmpty else { return names.map { "DROP TRIGGER IF EXISTS \($0)" } }
            let any = checks.map { "(NEW.\(dialect.quote($0.field.columnName)) IS NOT NULL AND \($0.invalid))" }.joined(separator: " OR ")
            // RAISE takes a constant message: one statement a column.
            let body = checks.map { check in
                let column = "NEW.\(dialect.quote(check.field.columnName))"
                return "SELECT RAISE(ABORT, '\(Self.literal(message(entity, check.field)))') WHERE \(column) IS NOT NULL AND \(check.invalid);"
            }
            let columns = checks.map { dialect.quote($0.field.columnName) }.joined(separator: ", ")
            // BEFORE: the write is refused before the canonical form or the log is touched.
            return zip(names, ["INSERT", "UPDATE OF \(columns)"]).flatMap { name, event in
                [
                    "DROP TRIGGER IF EXISTS \(name)",
                    "CREATE TRIGGER \(name) BEFORE \(event) ON \(table) FOR EACH ROW WHEN \(any) BEGIN\n    "
                        + body.joined(separator: "\n    ") + "\nEND",
                ]
            }
        case .postgres:
            let trigger = dialect.quote("syncwright_\(entity.tableName)_check")
            let function = dialect.quote("syncwright_\(entity.tableName)_check")
            guard !checks.isEmpty else {
                return ["DROP TRIGGER IF EXISTS \(trigger) ON \(table)", "DROP FUNCTION IF EXISTS \(function)()"]
            }
            let body = checks.map { check in
                let column = "NEW.\(dialect.quote(check.field.columnName))"
                return "IF \(column) IS NOT NULL AND (\(check.invalid)) THEN\n"
                    + "        RAISE EXCEPTION '%', '\(Self.literal(message(entity, check.field))): ' || left(\(column)::text, 60) "
                    + "USING ERRCODE = 'check_violation';\n    END IF;"
            }
            return [
                "CREATE OR REPLACE FUNCTION \(function)() RETURNS trigger AS $$\nBEGIN\n    "
                    + body.joined(separator: "\n    ") + "\n    RETURN NEW;\nEND\n$$ LANGUAGE plpgsql",
                "DROP TRIGGER IF EXISTS \(trigger) ON \(table)",
                "CREATE TRIGGER \(trigger) BEFORE INSERT OR UPDATE ON \(table) FOR EACH ROW EXECUTE FUNCTION \(function)()",
            ]
        }
    }

    /// `syncwright: visits.status takes one of planned, done; the value written is not one`.
    func message(_ entity: Entity, _ field: Field) -> String {
        "syncwright: \(entity.tableName).\(field.columnName) takes \(Self.takes(field.type)); the value written is not one"
    }

    private static func literal(_ text: String) -> String {
        text.replacingOccurrences(of: "'", with: "''")
    }

    private static func list(_ cases: [String]) -> String {
        cases.map { "'" + literal($0) + "'" }.joined(separator: ", ")
    }

    // MARK: - SQLite: every type

    private static func sqliteInvalid(_ type: FieldType, _ v: String) -> String? {
        switch type {
        case .enumeration(let cases):
            return "(typeof(\(v)) <> 'text' OR \(v) NOT IN (\(list(cases))))"
        case .scalar(let scalar):
            switch scalar {
            case .string: return "typeof(\(v)) <> 'text'"
            case .int: return "typeof(\(v)) <> 'integer'"
            // ±9e999 is SQLite's infinity; NaN is stored as null.
            case .double: return "(typeof(\(v)) NOT IN ('real', 'integer') OR \(v) IN (9e999, -9e999))"
            case .bool: return "(typeof(\(v)) <> 'integer' OR \(v) NOT IN (0, 1))"
            case .blob: return "typeof(\(v)) <> 'blob'"
            case .json: return "(typeof(\(v)) <> 'text' OR NOT json_valid(\(v)))"
            case .decimal:
                // Optional '-', digits, at most one '.', at least one digit, ≤ 64 characters.
                return "(typeof(\(v)) <> 'text' OR length(\(v)) > 64 OR \(v) GLOB '*[^0-9.-]*' OR substr(\(v), 2) GLOB '*-*' "
                    + "OR \(v) GLOB '*.*.*' OR \(v) NOT GLOB '*[0-9]*')"
            case .attachment:
                let prefix = "sha256:" + String(repeating: "[0-9a-fA-F]", count: 64) + " "
                let rest = "substr(\(v), 73)"
                let size = "substr(\(rest), 1, instr(\(rest), ' ') - 1)"
                let media = "substr(\(rest), instr(\(rest), ' ') + 1)"
                return "(typeof(\(v)) <> 'text' OR substr(\(v), 1, 72) NOT GLOB '\(prefix)' OR instr(\(rest), ' ') < 2 "
                    + "OR \(size) GLOB '*[^0-9]*' OR length(\(size)) > 13 OR (length(\(size)) > 1 AND \(size) GLOB '0*') "
                    + "OR CAST(\(size) AS INTEGER) > \(1 << 40) OR length(\(media)) > 127 "
                    + "OR \(media) NOT GLOB '[a-zA-Z0-9]*/[a-zA-Z0-9]*' OR \(media) GLOB '*/*/*' "
                    + "OR \(media) GLOB '*[^a-zA-Z0-9!#$&^_.+/-]*')"
            // Brought to their canonical form, or refused, by the canonicalizing triggers.
            case .uuid, .date, .timestamp: return nil
            }
        }
    }

    // MARK: - PostgreSQL: what its types let through

    private static func postgresInvalid(_ type: FieldType, _ v: String) -> String? {
        switch type {
        case .enumeration(let cases):
            return "\(v) NOT IN (\(list(cases)))"
        case .scalar(let scalar):
            switch scalar {
            case .double: return "\(v) IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)"
            case .decimal: return "(\(v)::text IN ('NaN', 'Infinity', '-Infinity') OR length(\(v)::text) > 64)"
            case .date, .timestamp: return "\(v)::text IN ('infinity', '-infinity')"
            case .attachment:
                let media = "[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
                return "(\(v) !~ '^sha256:[0-9a-fA-F]{64} (0|[1-9][0-9]{0,12}) \(media)/\(media)$' "
                    + "OR length(split_part(\(v), ' ', 3)) > 127 "
                    + "OR (CASE WHEN \(v) ~ '^sha256:[0-9a-fA-F]{64} [0-9]{1,13} ' THEN split_part(\(v), ' ', 2)::bigint > \(1 << 40) ELSE FALSE END))"
            case .string, .int, .bool, .uuid, .blob, .json: return nil
            }
        }
    }
}
