/// The device's table of a synced entity, as one statement: the runtime creates it and
/// the generator prints it in the Sync action's documentation, from this one builder.
public struct LocalTableDefinition: Sendable, Hashable {
    /// A column of the table.
    public struct Column: Sendable, Hashable {
        /// The column's name: the schema's field name.
        public var name: String
        /// The column's type.
        public var type: ScalarType
        /// Whether it may hold null.
        public var isNullable: Bool
        /// Whether it is a denormalized include (always nullable on the device).
        public var isInclude: Bool

        /// Creates a column.
        public init(name: String, type: ScalarType, isNullable: Bool, isInclude: Bool = false) {
            self.name = name
            self.type = type
            self.isNullable = isNullable
            self.isInclude = isInclude
        }
    }

    /// The column every local table adds for the row's server version.
    public static let versionColumn = "version"
    /// The column every local table adds for the server time of the row's last change.
    public static let updatedAtColumn = "updatedAt"

    /// The table's name.
    public var tableName: String
    /// The key column's name.
    public var keyColumn: String
    /// The synced columns, includes last.
    public var columns: [Column]

    /// Creates a table definition.
    public init(tableName: String, keyColumn: String, columns: [Column]) {
        self.tableName = tableName
        self.keyColumn = keyColumn
        self.columns = columns
    }

    /// `CREATE TABLE IF NOT EXISTS …`: the key is the primary key, required fields are
    /// `NOT NULL`, includes and the version columns are nullable.
    public var createTableSQL: String {
        var definitions = columns.map { column in
            var definition = "\(Self.quoted(column.name)) \(column.type.localSQLType)"
            if column.name == keyColumn {
                definition += " PRIMARY KEY NOT NULL"
            } else if !column.isNullable && !column.isInclude {
                definition += " NOT NULL"
            }
            return definition
        }
        definitions.append("\(Self.quoted(Self.versionColumn)) INTEGER")
        definitions.append("\(Self.quoted(Self.updatedAtColumn)) TEXT")
        return "CREATE TABLE IF NOT EXISTS \(Self.quoted(tableName)) (\(definitions.joined(separator: ", ")))"
    }

    /// `name` as an SQL identifier in double quotes.
    public static func quoted(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
