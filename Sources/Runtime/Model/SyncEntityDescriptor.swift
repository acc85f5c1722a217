/// What a device may write to an entity.
public enum SyncAccess: String, Sendable, Hashable, Codable, CaseIterable {
    /// The device only reads.
    case readOnly = "read-only"
    /// The device inserts, updates and deletes.
    case readWrite = "read-write"
    /// The device inserts rows and never changes them.
    case insertOnly = "insert-only"

    /// Whether inserts are allowed.
    public var allowsInsert: Bool { self != .readOnly }
    /// Whether updates and deletes are allowed.
    public var allowsUpdate: Bool { self == .readWrite }
}

/// How a conflict between a device's change and a newer server version is resolved.
public enum SyncConflictPolicy: String, Sendable, Hashable, Codable, CaseIterable {
    /// The server's row is kept; the device's change is dropped.
    case serverWins = "server-wins"
    /// The device's whole row is written over the server's.
    case clientWins = "client-wins"
    /// Column by column, the last write the server receives wins: the device's changed
    /// columns are applied over the server's current row. Ordered by server-assigned
    /// versions, never by device clocks.
    case lastWriteWins = "last-write-wins"
    /// Both versions are kept for the app to resolve (``SyncStore/conflicts()``).
    case manual
}

/// A column of a synced entity's local table.
public struct SyncColumn: Sendable, Hashable {
    /// The column's name: the schema's field name (`customerId`).
    public var name: String
    /// The column's type.
    public var type: ColumnType
    /// Whether the column may hold null.
    public var isNullable: Bool
    /// Whether it is a denormalized include: read-only on the device, never pushed.
    public var isInclude: Bool

    /// Creates a column.
    public init(_ name: String, _ type: ColumnType, nullable: Bool = false, include: Bool = false) {
        self.name = name
        self.type = type
        self.isNullable = nullable
        self.isInclude = include
    }
}

/// Everything the runtime knows about one entity of a subset: its local table, its
/// columns and its sync settings.
public struct SyncEntityDescriptor: Sendable, Hashable {
    /// The entity's name in the schema (`WorkOrder`), also its name on the wire.
    public var name: String
    /// The local SQLite table.
    public var tableName: String
    /// The key column's name.
    public var keyColumn: String
    /// The selected columns then the includes, in schema order.
    public var columns: [SyncColumn]
    /// What the device may write.
    public var access: SyncAccess
    /// How conflicts are resolved.
    public var conflictPolicy: SyncConflictPolicy
    /// The sync unit.
    public var unit: String
    /// Lower syncs first.
    public var priority: Int

    /// Creates a descriptor.
    public init(
        name: String, tableName: String, keyColumn: String, columns: [SyncColumn],
        access: SyncAccess = .readOnly, conflictPolicy: SyncConflictPolicy = .serverWins,
        unit: String? = nil, priority: Int = 1
    ) {
        self.name = name
        self.tableName = tableName
        self.keyColumn = keyColumn
        self.columns = columns
        self.access = access
        self.conflictPolicy = conflictPolicy
        self.unit = unit ?? name
        self.priority = priority
    }

    /// The key column.
    public var key: SyncColumn { columns.first { $0.name == keyColumn }! }

    /// The columns a device writes and pushes: all but the includes.
    public var writableColumns: [SyncColumn] { columns.filter { !$0.isInclude } }

    /// The server-managed columns every local table also has.
    static let versionColumn = "version"
    static let updatedAtColumn = "updatedAt"

    /// `CREATE TABLE` for the local table: the columns, then `version` and `updatedAt`.
    public var createTableSQL: String {
        var definitions = columns.map { column in
            var definition = "\(column.name.quotedDatabaseIdentifier) \(column.type.sqlType)"
            if column.name == keyColumn {
                definition += " PRIMARY KEY NOT NULL"
            } else if !column.isNullable && !column.isInclude {
                definition += " NOT NULL"
            }
            return definition
        }
        definitions.append("\(Self.versionColumn.quotedDatabaseIdentifier) INTEGER")
        definitions.append("\(Self.updatedAtColumn.quotedDatabaseIdentifier) TEXT")
        return "CREATE TABLE IF NOT EXISTS \(tableName.quotedDatabaseIdentifier) (\(definitions.joined(separator: ", ")))"
    }
}

extension String {
    /// The string as an SQL identifier in double quotes.
    var quotedDatabaseIdentifier: String { "\"" + replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
