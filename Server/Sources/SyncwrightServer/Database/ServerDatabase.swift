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
    /// Runs `body` in one transaction, serialized with every other writer of the synced
    /// tables: it commits when `body` returns and rolls back when it throws.
    func write<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T
    /// Runs one read-only query outside any write transaction.
    func read(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRows
    /// Releases connections.
    func close() async throws
}

/// A database error the server turns into a clear message.
public struct ServerDatabaseError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension ServerDatabase {
    /// Waits for the server to shut down: a database that needs nothing running.
    public func run() async throws {
        try? await gracefulShutdown()
    }
}
