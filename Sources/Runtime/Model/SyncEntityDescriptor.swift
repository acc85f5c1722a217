/// What the device may write in an entity: the schema's `AccessMode` (module SyncwrightCore).
public typealias SyncAccess = AccessMode

/// How a conflict between a device's change and a newer server version is resolved:
/// the schema's `ConflictPolicy` (module SyncwrightCore).
public typealias SyncConflictPolicy = ConflictPolicy

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
    /// For a reference to another entity of the subset: that entity's name. A change
    /// pointing at a row whose insert the server refused is refused with it.
    public var references: String?
    /// For an `attachment` column: how the device gets the files it references.
    public var download: AttachmentDownload
    /// For an `attachment` column: the largest file it may reference, in bytes; nil for
    /// the server's own limit.
    public var maximumSize: Int64?
    /// For an enum field: its cases. A pulled value outside them doesn't fit the model,
    /// and its row is set aside rather than stored.
    public var cases: [String]?

    /// Creates a column.
    public init(
        _ name: String, _ type: ColumnType, nullable: Bool = false, cases: [String]? = nil, include: Bool = false,
        references: String? = nil, download: AttachmentDownload = .onDemand, maximumSize: Int64? = nil
    ) {
        self.name = name
        self.type = type
        self.isNullable = nullable
        self.cases = cases
        self.isInclude = include
        self.references = references
        self.download = download
        self.maximumSize = maximumSize
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
    static let versionColumn = LocalTableDefinition.versionColumn
    static let updatedAtColumn = LocalTableDefinition.updatedAtColumn

    /// The local table: the columns, then `version` and `updatedAt`.
    public var localTable: LocalTableDefinition {
        LocalTableDefinition(tableName: tableName, keyColumn: keyColumn, columns: columns.map {
            LocalTableDefinition.Column(name: $0.name, type: $0.type, isNullable: $0.isNullable, isInclude: $0.isInclude)
        })
    }

    /// `CREATE TABLE` for the local table (`LocalTableDefinition.createTableSQL`).
    public var createTableSQL: String { localTable.createTableSQL }
}

extension String {
    /// The string as an SQL identifier in double quotes.
    var quotedDatabaseIdentifier: String { LocalTableDefinition.quoted(self) }
}
