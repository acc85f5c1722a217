import Foundation
import Hummingbird
import Prometheus
import Logging
import NIOCore
import ServiceLifecycle
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
    /// The team's checks on pushed changes (``PushRules``).
    public var rules: PushRules
    /// The folder attachment files are kept in; nil puts it beside the SQLite database
    /// (`PATH.attachments`), or `syncwright-attachments` with PostgreSQL.
    public var attachmentsDirectory: String?
    /// The largest attachment taken, in bytes.
    public var maximumAttachmentSize: Int64
    /// How long a file no row references is kept (and an upload nobody finished); the
    /// compaction removes older ones every interval.
    public var attachmentGracePeriod: Duration

    /// Creates a configuration.
    public init(schemaPath: String, database: String = "sqlite:syncwright.sqlite", host: String = "127.0.0.1", port: Int = 8080,
                verifier: TokenVerifier, limits: ServerLimits = ServerLimits(), tombstoneRetention: Duration = .seconds(30 * 86_400),
                compactionInterval: Duration = .seconds(3_600), rules: PushRules = PushRules(),
                attachmentsDirectory: String? = nil, maximumAttachmentSize: Int64 = 1 << 30,
                attachmentGracePeriod: Duration = .seconds(86_400)) {
        self.attachmentsDirectory = attachmentsDirectory
        self.maximumAttachmentSize = maximumAttachmentSize
        self.attachmentGracePeriod = attachmentGracePeriod
        self.schemaPath = schemaPath
        self.database = database
        self.host = host
        self.port = port
        self.verifier = verifier
        self.limits = limits
        self.tombstoneRetention = tombstoneRetention
        self.compactionInterval = compactionInterval
        self.rules = rules
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

    /// Opens `sqlite:PATH` (or a plain path) or `postgres://…`. A PostgreSQL database
    /// opened for the server runs its connection pool as a service (`run()`).
    public static func openDatabase(
        _ url: String, logger: Logger, lifecycle: PostgresServerDatabase.ClientLifecycle = .ownTask
    ) throws -> any ServerDatabase {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            return try PostgresServerDatabase(url: url, logger: logger, lifecycle: lifecycle)
        }
        let path = url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url
        guard !path.isEmpty else { throw ServerStartError("--database sqlite: needs a file path, such as sqlite:syncwright.sqlite") }
        return try SQLiteServerDatabase(path: path)
    }

    /// Builds the HTTP application for a service: Hummingbird's router with the
    /// protocol's routes (``SyncRoutes``), the request middleware (request id, log line,
    /// timing, error bodies) and swift-metrics' metrics (``SyncMetrics``, and
    /// Hummingbird's requests by route and status with their latency), which report to
    /// whatever metrics backend the process bootstraps; with `metrics`, `GET /metrics`
    /// renders that Prometheus registry (see ``bootstrapPrometheus()``). `services` run
    /// in the application's lifecycle; `beforeServerStarts` runs once they have started,
    /// before the port opens.
    public static func application(
        service: SyncService, verifier: TokenVerifier, host: String, port: Int, limits: ServerLimits = ServerLimits(),
        services: [any Service] = [], logger: Logger, metrics: PrometheusCollectorRegistry? = nil,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in },
        beforeServerStarts: @escaping @Sendable () async throws -> Void = {}
    ) -> some ApplicationProtocol {
        let router = Router(context: SyncRequestContext.self)
        // Outermost, so it counts the status each answer went out with, errors included.
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: SyncRequestMiddleware(logger: logger, routes: SyncRoutes.routes.map(\.path)))
        SyncRoutes(service: service, verifier: verifier, limits: limits, metricsRegistry: metrics).add(to: router)
        var application = Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "syncwright-server"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? port) },
            logger: logger)
        application.beforeServerStarts(perform: beforeServerStarts)
        return application
    }

    /// Runs the server until SIGINT or SIGTERM, then shuts down cleanly. The database
    /// (PostgreSQL's connection pool), the change log's watcher for waiting pulls and the
    /// tombstone compaction run as services of the application; the database is prepared
    /// before the port opens.
    public static func run(_ configuration: SyncServerConfiguration, logger: Logger,
                           metrics: PrometheusCollectorRegistry? = nil) async throws {
        let schema = try loadSchema(configuration.schemaPath)
        let database = try openDatabase(configuration.database, logger: logger, lifecycle: .service)
        let attachments: FileAttachmentStorage
        do {
            attachments = try FileAttachmentStorage(directory: URL(fileURLWithPath: attachmentsDirectory(configuration)))
        } catch {
            throw ServerStartError("can't use the attachments folder \(attachmentsDirectory(configuration)): \(error.localizedDescription)")
        }
        let service = SyncService(schema: schema, database: database, logger: logger, rules: configuration.rules,
                                  attachments: attachments, maximumAttachmentSize: configuration.maximumAttachmentSize)
        let compaction = TombstoneCompactionService(service: service, retention: configuration.tombstoneRetention,
                                                    interval: configuration.compactionInterval,
                                                    attachmentGracePeriod: configuration.attachmentGracePeriod, logger: logger)
        let app = application(
            service: service, verifier: configuration.verifier, host: configuration.host, port: configuration.port,
            limits: configuration.limits, services: [database, service.changeLogWatcher, compaction], logger: logger, metrics: metrics,
            onServerRunning: { port in
                logger.info("listening", metadata: ["address": "http://\(configuration.host):\(port)"])
            },
            beforeServerStarts: {
                do {
                    try await service.prepare()
                } catch let error as SchemaDeployError {
                    throw ServerStartError(error.message)
                }
                let dropped = try await compaction.compactOnce()
                logger.info("database ready", metadata: [
                    "database": "\(database.dialect.rawValue)", "schema": "\(schema.name)",
                    "schemaHash": "\(schema.schemaHash.prefix(16))", "tombstonesDropped": "\(dropped)",
                ])
            })
        do {
            try await app.runService()
            logger.info("stopped")
        } catch {
            try? await database.close()
            throw error
        }
        try await database.close()
    }

    /// The folder attachments are kept in when the configuration names none.
    static func attachmentsDirectory(_ configuration: SyncServerConfiguration) -> String {
        if let directory = configuration.attachmentsDirectory { return directory }
        let url = configuration.database
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") { return "syncwright-attachments" }
        return (url.hasPrefix("sqlite:") ? String(url.dropFirst("sqlite:".count)) : url) + ".attachments"
    }
}
