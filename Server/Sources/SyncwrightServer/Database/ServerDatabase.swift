import ServiceLifecycle

/// A statement runner inside a transaction or a read. Both storage engines implement
/// it, so the sync logic is written once.
public protocol SQLConnection: Sendable {
    /// Runs a statement that returns no rows.
    func execute(_ sql: String, _ arguments: [SQLValue]) async throws
    /// Runs a query and returns all its rows.
    func query(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRows
}

extension SQLConnection {
    /// Runs a statement without arguments.
    public func execute(_ sql: String) async throws { try await execute(sql, []) }
}

/// The database the server keeps the synced tables and its bookkeeping in.
///
/// It is a service of the server's lifecycle: `run()` keeps what the database needs
/// running (PostgreSQL's connection pool) until the server shuts down.
public protocol ServerDatabase: Service {
    /// The SQL spoken.
    var dialect: SQLDialect { get }
    /// Runs `body` in one transaction: it commits when `body` returns and rolls back when
    /// it throws. Writers of different rows don't wait for each other (SQLite has one
    /// writer at a time); the change log's horizon keeps pulls from stepping over an
    /// entry that commits later.
    func write<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T
    /// Runs `body` in one transaction serialized with every other maintenance
    /// transaction of the database, from any server process: preparing the tables,
    /// compacting the log, recording schema versions.
    func maintain<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T
    /// Whether the database tells of every commit that wrote the synced tables, from any
    /// process (``followCommits(_:)``): then the change log is read when told, and at
    /// intervals only as a backstop.
    var notifiesCommits: Bool { get }
    /// Calls `onChange` whenever a transaction that wrote the synced tables commits,
    /// through any server process or straight into the tables, until the task is
    /// cancelled. Returns at once when the database has no such notifications
    /// (``notifiesCommits`` is false; then the change log is read at intervals).
    func followCommits(_ onChange: @escaping @Sendable () async -> Void) async throws
    /// A value that changes whenever a transaction that wrote the database commits, from
    /// any process, cheap to read (SQLite: `PRAGMA data_version` on a connection of its own); nil when
    /// the database has none. The change log is read only when it differs.
    var commitStamp: String? { get }
    /// Runs one read-only query outside any write transaction.
    func read(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRows
    /// Releases connections.
    func close() async throws
}

/// A database error the server turns into a clear message.
public struct ServerDatabaseError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// The transaction failed only because of when it ran (PostgreSQL chose it to end a
    /// deadlock, or a serialization failure): run again, it may well succeed. Nothing is
    /// answered from such an error; ``ServerDatabase/write(_:)`` runs the transaction again.
    public var isTransient: Bool
    /// Creates an error.
    public init(_ message: String, isTransient: Bool = false) {
        self.message = message
        self.isTransient = isTransient
    }
    public var description: String { message }
}

extension ServerDatabase {
    /// One writer at a time: every write is serialized already.
    public func maintain<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await write(body)
    }

    /// No stamp: the log is read every round.
    public var commitStamp: String? { nil }

    /// No notifications.
    public var notifiesCommits: Bool { false }

    /// No notifications.
    public func followCommits(_ onChange: @escaping @Sendable () async -> Void) async throws {}

    /// The change log's horizon: the newest entry below every transaction still
    /// writing. Every entry up to it has committed, so none numbered lower appears later.
    func changeLogHorizon() async throws -> Int64 {
        try await read(DatabaseLayout.horizonQuery(dialect), []).first?.first?.integer ?? 0
    }

    /// Waits for the server to shut down: a database that needs nothing running.
    public func run() async throws {
        try? await gracefulShutdown()
    }
}
