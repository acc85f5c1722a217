import SyncwrightSchema

/// The SQL differences between the two storage engines: placeholders, column types,
/// casts, and the canonical text the server reads uuid, numeric, date and timestamp
/// columns back as. Identifiers only ever come from the validated schema and are
/// quoted; values only ever travel as bound arguments.
public enum SQLDialect: String, Sendable, Hashable {
    case sqlite
    case postgres

    /// A double-quoted identifier.
    public func quote(_ identifier: String) -> String {
        guard identifier.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + identifier + "\"" }
        return "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The placeholder for the argument at 1-based `index`.
    public func placeholder(_ index: Int) -> String {
        self == .sqlite ? "?" : "$\(index)"
    }

    /// The placeholder with the cast a value of `type` needs.
    public func placeholder(_ index: Int, for type: FieldType) -> String {
        placeholder(index) + cast(for: type.storage)
    }

    /// The cast from the bound text form to the column type (PostgreSQL only).
    public func cast(for type: ScalarType) -> String {
        guard self == .postgres else { return "" }
        switch type {
        case .uuid: return "::uuid"
        case .decimal: return "::numeric"
        case .date: return "::date"
        case .timestamp: return "::timestamptz"
        case .json: return "::jsonb"
        case .string, .attachment: return "::text"
        case .int: return "::bigint"
        case .double: return "::double precision"
        case .bool: return "::boolean"
        case .blob: return "::bytea"
        }
    }

    /// The column type in `CREATE TABLE`.
    public func columnType(_ type: ScalarType) -> String {
        switch self {
        case .sqlite:
            switch type {
            case .int, .bool: "INTEGER"
            case .double: "REAL"
            case .blob: "BLOB"
            case .string, .decimal, .uuid, .date, .timestamp, .json, .attachment: "TEXT"
            }
        case .postgres:
            switch type {
            case .string, .attachment: "text"
            case .int: "bigint"
            case .double: "double precision"
            case .decimal: "numeric"
            case .bool: "boolean"
            case .uuid: "uuid"
            case .date: "date"
            case .timestamp: "timestamptz"
            case .blob: "bytea"
            case .json: "jsonb"
            }
        }
    }

    /// An expression reading `column` in its canonical form: uuid, numeric, date and
    /// json as text, timestamps as `YYYY-MM-DDTHH:MM:SS.sssZ`, attachment references in
    /// lower case (another system may write the hash or the media type in upper case).
    public func read(_ column: String, _ type: ScalarType) -> String {
        if type == .attachment { return "lower(\(column))" }
        guard self == .postgres else { return column }
        switch type {
        case .uuid, .decimal, .date, .json: return "\(column)::text"
        case .timestamp: return Self.postgresTimestampText(column)
        default: return column
        }
    }

    static func postgresTimestampText(_ column: String) -> String {
        "to_char(\(column) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    }

    /// An expression for the current time as a timestamp column stores it.
    public var now: String {
        self == .sqlite ? "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" : "clock_timestamp()"
    }

    /// `expression` (a trigger's `NEW` or `OLD` column, or a stored column) in the
    /// canonical form the server stores, compares and answers: on SQLite a uuid in lower
    /// case, a timestamp as `YYYY-MM-DDTHH:MM:SS.sssZ` in UTC, a date as `YYYY-MM-DD`; NULL
    /// when the value can't be read as its type. PostgreSQL's own types are canonical
    /// already, so there it is `expression` itself.
    public func canonical(_ expression: String, _ type: ScalarType) -> String {
        guard self == .sqlite else { return expression }
        switch type {
        case .uuid: return "(CASE WHEN lower(\(expression)) GLOB '\(Self.uuidPattern)' THEN lower(\(expression)) END)"
        case .timestamp: return "strftime('%Y-%m-%dT%H:%M:%fZ', \(expression))"
        case .date: return "date(\(expression))"
        default: return expression
        }
    }

    /// Whether a value of `type` has a canonical text other forms are brought to.
    public static func hasCanonicalText(_ type: ScalarType) -> Bool {
        type == .uuid || type == .timestamp || type == .date
    }

    /// A GLOB pattern matching a lower-case 8-4-4-4-12 uuid.
    static let uuidPattern: String = [8, 4, 4, 4, 12]
        .map { String(repeating: "[0-9a-f]", count: $0) }
        .joined(separator: "-")

    /// A key column as text (the change log keys rows by text).
    public func keyText(_ column: String, _ type: ScalarType) -> String {
        switch self {
        case .sqlite: type == .int ? "CAST(\(column) AS TEXT)" : column
        case .postgres: "\(column)::text"
        }
    }

    /// The change log's text key compared with a table's key column.
    public func keyFromText(_ expression: String, _ type: ScalarType) -> String {
        switch self {
        case .sqlite: type == .int ? "CAST(\(expression) AS INTEGER)" : expression
        case .postgres: type == .string ? expression : "\(expression)\(cast(for: type))"
        }
    }

    /// Boolean literal.
    public func boolean(_ value: Bool) -> String {
        switch self {
        case .sqlite: value ? "1" : "0"
        case .postgres: value ? "TRUE" : "FALSE"
        }
    }
}
