import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO
import ServiceLifecycle

/// PostgreSQL storage through PostgresNIO's connection pool. Many stateless server
/// processes may share one database, and their writers don't wait for each other: the
/// triggers announce each writing transaction with a shared advisory lock, and pulls
/// read the change log only up to the horizon below every running writer (see
/// ``DatabaseLayout``), so no pull steps over an entry that commits later. Concurrent
/// pushes to the same row wait for each other on the row's lock.
public final class PostgresServerDatabase: ServerDatabase {
    /// Who runs the connection pool.
    public enum ClientLifecycle: Sendable {
        /// The database runs it in a task of its own from `init` until ``close()``: for
        /// tools and tests that use the database alone.
        case ownTask
        /// ``run()`` runs it, as a service of the application's lifecycle (the server).
        case service
    }

    public let dialect = SQLDialect.postgres
    private let client: PostgresClient
    private let runner: Task<Void, Never>?
    private let logger: Logger

    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=disable|require`).
    public init(url: String, logger: Logger, lifecycle: ClientLifecycle = .ownTask) throws {
        self.logger = logger
        client = PostgresClient(configuration: try Self.configuration(url), backgroundLogger: logger)
        let client = client
        runner = lifecycle == .ownTask ? Task { await client.run() } : nil
    }

    /// Runs the connection pool until the application shuts down (``ClientLifecycle/service``).
    public func run() async throws {
        guard runner == nil else {
            // The pool already runs in the database's own task.
            try? await gracefulShutdown()
            return
        }
        let client = client
        await cancelWhenGracefulShutdown { await client.run() }
    }

    static func configuration(_ url: String) throws -> PostgresClient.Configuration {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty
        else {
            throw ServerDatabaseError("\(url) is not a PostgreSQL URL; expected postgres://user:password@host:port/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw ServerDatabaseError("sslmode=\(sslMode) is not supported; use disable, prefer or require")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
            password: components.password, database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.maximumConnections = 16
        return configuration
    }

    /// The advisory lock maintenance transactions hold (``maintain(_:)``); writers never
    /// take it.
    static let maintenanceLock = 0x5379_6E63

    /// How many times a transaction that failed transiently (``ServerDatabaseError/isTransient``)
    /// runs in all.
    static let transientAttempts = 4

    public func write<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await transaction(lock: nil, body)
            } catch let error as ServerDatabaseError where error.isTransient && attempt < Self.transientAttempts {
                attempt += 1
                logger.debug("a write transaction failed transiently; running it again", metadata: ["error": "\(error.message)"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...(10 * attempt))))
            }
        }
    }

    public func maintain<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await transaction(lock: Self.maintenanceLock, body)
    }

    /// Triggers notify every commit that wrote the synced tables (`pg_notify`).
    public var notifiesCommits: Bool { true }

    public func followCommits(_ onChange: @escaping @Sendable () async -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: DatabaseLayout.postgresChannel) { notifications in
                // Listening from here on: what committed before is read by the caller.
                await onChange()
                for try await _ in notifications {
                    await onChange()
                }
            }
        }
    }

    private func transaction<T: Sendable>(lock: Int?, _ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await client.withConnection { connection in
            let wrapped = Connection(connection: connection, logger: logger)
            try await wrapped.execute("BEGIN")
            do {
                if let lock {
                    try await wrapped.execute("SELECT pg_advisory_xact_lock(\(lock))")
                }
                let result = try await body(wrapped)
                try await wrapped.execute("COMMIT")
                return result
            } catch {
                try? await wrapped.execute("ROLLBACK")
                throw error
            }
        }
    }

    public func read(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRows {
        try await client.withConnection { connection in
            try await Connection(connection: connection, logger: logger).query(sql, arguments)
        }
    }

    public func close() async throws {
        runner?.cancel()
        await runner?.value
    }

    private struct Connection: SQLConnection {
        let connection: PostgresConnection
        let logger: Logger

        func execute(_ sql: String, _ arguments: [SQLValue]) async throws {
            _ = try await query(sql, arguments)
        }

        func query(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRows {
            var bindings = PostgresBindings(capacity: arguments.count)
            for argument in arguments {
                switch argument {
                case .null: bindings.appendNull()
                case .integer(let integer): bindings.append(integer)
                case .real(let number): bindings.append(number)
                case .text(let text): bindings.append(text)
                case .bool(let flag): bindings.append(flag)
                case .blob(let data): bindings.append(ByteBuffer(bytes: data))
                }
            }
            do {
                let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
                var result: SQLRows = []
                for try await row in rows {
                    var values: [SQLValue] = []
                    for cell in row {
                        values.append(try Self.value(cell))
                    }
                    result.append(values)
                }
                return result
            } catch let error as PSQLError {
                // 40P01: chosen to end a deadlock; 40001: a serialization failure.
                let state = error.serverInfo?[.sqlState]
                throw ServerDatabaseError(Self.describe(error, sql: sql), isTransient: state == "40P01" || state == "40001")
            }
        }

        static func value(_ cell: PostgresCell) throws -> SQLValue {
            guard cell.bytes != nil else { return .null }
            switch cell.dataType {
            case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
            case .float4, .float8: return .real(try cell.decode(Double.self))
            case .bool: return .bool(try cell.decode(Bool.self))
            case .bytea:
                var buffer = try cell.decode(ByteBuffer.self)
                return .blob(Data(buffer.readBytes(length: buffer.readableBytes) ?? []))
            default: return .text(try cell.decode(String.self))
            }
        }

        static func describe(_ error: PSQLError, sql: String) -> String {
            if let message = error.serverInfo?[.message] {
                let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
                return "PostgreSQL: \(message)\(detail)"
            }
            return "PostgreSQL: \(error.code)"
        }
    }
}
