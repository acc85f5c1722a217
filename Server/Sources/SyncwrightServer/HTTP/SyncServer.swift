import Foundation
import Hummingbird
import Logging
import NIOCore
import SyncwrightSchema

/// Everything needed to start the reference server.
public struct SyncServerConfiguration: Sendable {
    /// The schema file.
    public var schemaPath: String
    /// `sqlite:PATH` or `postgres://…`.
    public var database: String
    /// The address to listen on.
    public var host: String
    /// The port to listen on; 0 picks a free one.
    public var port: Int
    /// How tokens are checked.
    public var verifier: TokenVerifier
    /// Request size limits.
    public var limits: ServerLimits
    /// How long tombstones are kept; devices that last synced before that resync.
    public var tombstoneRetention: Duration
    /// How often the running server drops the tombstones older than the retention (it
    /// also does at every start).
    public var compactionInterval: Duration

    /// Creates a configuration.
    public init(schemaPath: String, database: String = "sqlite:syncwright.sqlite", host: String = "127.0.0.1", port: Int = 8080,
                verifier: TokenVerifier, limits: ServerLimits = ServerLimits(), tombstoneRetention: Duration = .seconds(30 * 86_400),
                compactionInterval: Duration = .seconds(3_600)) {
        self.schemaPath = schemaPath
        self.database = database
        self.host = host
        self.port = port
        self.verifier = verifier
        self.limits = limits
        self.tombstoneRetention = tombstoneRetention
        self.compactionInterval = compactionInterval
    }
}

/// Why the server can't start.
public struct ServerStartError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// The reference server: loads the schema, opens and prepares the database, then
/// serves HTTP until cancelled or signalled.
public enum SyncServer {
    /// Loads and validates a schema; the error lists every problem with its position.
    public static func loadSchema(_ path: String) throws -> SchemaModel {
        let file: SchemaFile
        do {
            file = try SchemaFile(contentsOf: path)
        } catch {
            throw ServerStartError("\(error)")
        }
        let result = SchemaLoader.load(file)
        guard let model = result.model else {
            let errors = result.diagnostics.filter { $0.severity == .error }
            // The summary first: the caller prints it after "error: ", then each problem
            // on lines of its own, positions first.
            throw ServerStartError("\(path) has \(errors.count) error\(errors.count == 1 ? "" : "s") (`syncwright validate \(path)` shows them too):\n"
                + DiagnosticFormatter.format(errors, as: .text).trimmingCharacters(in: .newlines))
        }
        return model
    }

    /// Opens `sqlite:PATH` (or a plain path) or `postgres://…`.
    public static func openDatabase(_ url: String, logger: Logger) throws -> any ServerDatabase {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresServerDatabase(url: url, logger: logger)
        }
        let path = url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url
        guard !path.isEmpty else { throw ServerStartError("--database sqlite: needs a file path, such as sqlite:syncwright.sqlite") }
        return try SQLiteServerDatabase(path: path)
    }

    /// Builds the HTTP application for a prepared service.
    public static func application(
        service: SyncService, verifier: TokenVerifier, host: String, port: Int, limits: ServerLimits = ServerLimits(),
        logger: Logger, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        let responder = SyncHTTPResponder(service: service, verifier: verifier, limits: limits, logger: logger)
        return Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "syncwright-server"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
    }

    /// Drops the tombstones older than `retention` every `interval` until cancelled. A
    /// failed round is logged and the next one tries again.
    static func compactPeriodically(_ service: SyncService, retention: Duration, every interval: Duration, logger: Logger) async {
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return
            }
            do {
                let dropped = try await service.compactRemovals(before: Date().addingTimeInterval(-Double(retention.components.seconds)))
                if dropped > 0 { logger.info("tombstones dropped", metadata: ["tombstonesDropped": "\(dropped)"]) }
            } catch {
                logger.error("dropping old tombstones failed; the next round tries again", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Runs the server until SIGINT or SIGTERM, then shuts down cleanly.
    public static func run(_ configuration: SyncServerConfiguration, logger: Logger) async throws {
        let schema = try loadSchema(configuration.schemaPath)
        let database = try openDatabase(configuration.database, logger: logger)
        let service = SyncService(schema: schema, database: database, logger: logger)
        do {
            try await service.prepare()
            let retention = Double(configuration.tombstoneRetention.components.seconds)
            let dropped = try await service.compactRemovals(before: Date().addingTimeInterval(-retention))
            logger.info("database ready", metadata: [
                "database": "\(database.dialect.rawValue)", "schema": "\(schema.name)",
                "schemaHash": "\(schema.schemaHash.prefix(16))", "tombstonesDropped": "\(dropped)",
            ])
            let app = application(service: service, verifier: configuration.verifier, host: configuration.host,
                                  port: configuration.port, limits: configuration.limits, logger: logger) { port in
                logger.info("listening", metadata: ["address": "http://\(configuration.host):\(port)"])
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.runService() }
                group.addTask {
                    await compactPeriodically(service, retention: configuration.tombstoneRetention,
                                              every: configuration.compactionInterval, logger: logger)
                }
                // The server has stopped (a signal) or failed: stop compacting too.
                try await group.next()
                group.cancelAll()
            }
            logger.info("stopped")
        } catch {
            try? await database.close()
            throw error
        }
        try await database.close()
    }
}
