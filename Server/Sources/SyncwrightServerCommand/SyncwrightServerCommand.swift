import ArgumentParser
import Foundation
import Logging
import Syncwright
import SyncwrightServer

/// The `syncwright-server` command line: `serve`, `versions`, `retire` and `token`.
///
/// A team's own server executable runs it with its ``PushRules``, and gets the same
/// flags, subcommands and behaviour as the reference server:
///
/// ```swift
/// @main struct MyServer {
///     static func main() async {
///         var rules = PushRules()
///         rules.on("Order", .insert) { change in ... }
///         await SyncwrightServerCommand.main(rules: rules)
///     }
/// }
/// ```
public struct SyncwrightServerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "syncwright-server",
        abstract: "The Syncwright reference sync server.",
        subcommands: [Serve.self, Versions.self, Plan.self, Retire.self, Token.self],
        defaultSubcommand: Serve.self
    )

    /// The rules `serve` runs pushes with.
    @TaskLocal static var rules = PushRules()

    public init() {}

    /// Parses the process's arguments and runs the command, serving with `rules`.
    public static func main(rules: PushRules) async {
        await $rules.withValue(rules) {
            do {
                var command = try parseAsRoot()
                if var command = command as? any AsyncParsableCommand {
                    try await command.run()
                } else {
                    try command.run()
                }
            } catch {
                exit(withError: error)
            }
        }
    }
}

/// `syncwright-server [serve] --schema FILE …`
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the schema's subsets over HTTP.",
        discussion: """
            Creates the entities' tables, triggers and change log on first start. Stops cleanly \
            on SIGINT or SIGTERM. The JWT secret may also come from SYNCWRIGHT_JWT_SECRET.
            """
    )

    @Option(help: "The schema file.", completion: .file(extensions: ["yaml", "yml"]))
    var schema: String

    @Option(help: "sqlite:PATH or postgres://user:password@host:port/database.")
    var database = "sqlite:syncwright.sqlite"

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on (0 picks a free one).")
    var port = 8080

    @Option(name: .customLong("jwt-secret"), help: "The HS256 secret tokens are signed with (at least 32 bytes).")
    var jwtSecret: String?

    @Option(name: .customLong("jwt-public-key"), help: "A PEM file with the RS256 or ES256 public key tokens are signed with.",
            completion: .file(extensions: ["pem"]))
    var jwtPublicKey: String?

    @Option(help: "Days to keep tombstones of deleted rows (older ones are dropped at start and every hour); devices that last synced earlier resync.")
    var tombstoneDays = 30

    @Option(help: "The folder attachment files are kept in; by default beside the SQLite database (PATH.attachments), or syncwright-attachments with PostgreSQL.",
            completion: .directory)
    var attachments: String?

    @Option(help: "The largest attachment taken, in megabytes.")
    var maxAttachmentMB = 1024

    @Option(help: "Hours an attachment no row references is kept before it is removed (uploads a device hasn't referenced yet included).")
    var attachmentGraceHours = 24

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    func validate() throws {
        let secret = jwtSecret ?? ProcessInfo.processInfo.environment["SYNCWRIGHT_JWT_SECRET"]
        if secret != nil && jwtPublicKey != nil {
            throw ValidationError("give --jwt-secret or --jwt-public-key, not both")
        }
        if secret == nil && jwtPublicKey == nil {
            throw ValidationError("give --jwt-secret S (HS256) or --jwt-public-key PEM (RS256/ES256), or set SYNCWRIGHT_JWT_SECRET")
        }
        if !(0...65535).contains(port) { throw ValidationError("--port must be between 0 and 65535") }
        if tombstoneDays < 1 { throw ValidationError("--tombstone-days must be at least 1") }
        if maxAttachmentMB < 1 { throw ValidationError("--max-attachment-mb must be at least 1") }
        if attachmentGraceHours < 1 { throw ValidationError("--attachment-grace-hours must be at least 1") }
        if Logger.Level(rawValue: logLevel) == nil { throw ValidationError("--log-level \(logLevel) is not a log level") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = Logger.Level(rawValue: logLevel) ?? .info
            return handler
        }
        let logger = Logger(label: "syncwright.server")
        let verifier: TokenVerifier
        if let path = jwtPublicKey {
            guard let pem = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ValidationError("can't read the public key file \(path)")
            }
            verifier = try await TokenVerifier.publicKey(pem: pem)
        } else {
            verifier = try await TokenVerifier.hmac(secret: jwtSecret ?? ProcessInfo.processInfo.environment["SYNCWRIGHT_JWT_SECRET"]!)
        }
        try await reportingStartErrors {
            try await SyncServer.run(
                SyncServerConfiguration(schemaPath: schema, database: database, host: host, port: port, verifier: verifier,
                                        tombstoneRetention: .seconds(tombstoneDays * 86_400),
                                        rules: SyncwrightServerCommand.rules, attachmentsDirectory: attachments,
                                        maximumAttachmentSize: Int64(maxAttachmentMB) << 20,
                                        attachmentGracePeriod: .seconds(attachmentGraceHours * 3_600)),
                logger: logger, metrics: SyncServer.bootstrapPrometheus())
        }
    }
}

/// `syncwright-server versions --schema FILE --database URL`
struct Versions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the schema versions the database has served, and which are still served.",
        discussion: """
            A version is served until it is retired: apps built against it keep syncing in its \
            shape. Retire a version with `syncwright-server retire HASH` once its apps are updated.
            """
    )

    @OptionGroup var deployment: DeploymentOptions

    func run() async throws {
        try await reportingStartErrors {
            let (model, records) = try await deployment.withService { service in
                (service.schema, try await SyncService.recordedVersions(service.database))
            }
            for record in records {
                let state = record.hash == model.schemaHash ? "current" : record.isRetired ? "retired \(record.retiredAt!)" : "served"
                print("\(record.hash)  \(record.firstServedAt)  \(state)  \(record.file)")
            }
        }
    }
}

/// `syncwright-server plan --schema FILE --database URL`
struct Plan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Say what starting a server of the schema would file into buckets, and what devices would download again.",
        discussion: """
            Runs what a start of the server does to the database in a transaction that is rolled \
            back, and prints, per subset unit, the log entries the start would file (one per row and \
            bucket) and whether devices holding the unit would download it again. Nothing changes; \
            on PostgreSQL, writers wait while it runs. Exits with 1 when the deploy would be refused.
            """
    )

    @OptionGroup var deployment: DeploymentOptions

    func run() async throws {
        try await reportingStartErrors {
            let filing = try await deployment.withService { service in try await service.plannedFiling() }
            switch filing.extent {
            case .nothing:
                print("a start files nothing: every device continues from its cursors")
            case .definitions:
                print("a start files new and changed bucket definitions past the end of the log:")
            case .everything:
                print("a start files every row again: every device downloads every unit again")
            }
            for unit in filing.units {
                print("  \(unit.subset).\(unit.unit): \(unit.entries) \(unit.entries == 1 ? "entry" : "entries"); "
                      + (unit.downloadsAgain ? "devices holding it download it again" : "devices continue from their cursors"))
            }
        }
    }
}

/// `syncwright-server retire HASH --schema FILE --database URL`
struct Retire: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stop serving an older schema version: its apps are told to update.",
        discussion: """
            Devices on the retired version get `409 schema_retired` from every server of the \
            database (running ones notice within five seconds), and their apps show that they are out of date; their queued \
            changes stay on the device. Name the version by at least the first 8 hex digits of \
            its hash (`syncwright-server versions` lists them). The current schema can't be retired.
            """
    )

    @Argument(help: "The schema hash, or at least its first 8 hex digits.")
    var hash: String

    @OptionGroup var deployment: DeploymentOptions

    func run() async throws {
        try await reportingStartErrors {
            let retired = try await deployment.withService { service in try await service.retire(hashPrefix: hash) }
            guard !retired.isEmpty else {
                throw SchemaDeployError(message: "no served schema version has a hash starting with \(hash)")
            }
            for hash in retired { print("retired \(hash)") }
        }
    }
}

/// The schema a server serves and its database, for the commands that look after schema
/// versions.
struct DeploymentOptions: ParsableArguments {
    @Option(help: "The schema file the server serves.", completion: .file(extensions: ["yaml", "yml"]))
    var schema: String

    @Option(help: "sqlite:PATH or postgres://user:password@host:port/database.")
    var database = "sqlite:syncwright.sqlite"

    /// Runs `body` with a service of the schema on the database, closed on every path.
    func withService<T: Sendable>(_ body: (SyncService) async throws -> T) async throws -> T {
        let logger = Logger(label: "syncwright.server")
        let model = try SyncServer.loadSchema(schema)
        let database = try SyncServer.openDatabase(database, logger: logger)
        let result: T
        do {
            result = try await body(SyncService(schema: model, database: database, logger: logger))
        } catch {
            try? await database.close()
            throw error
        }
        try await database.close()
        return result
    }
}

/// Runs `body`, printing a start or deploy error as `error: …` and exiting with 1.
func reportingStartErrors(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as ServerStartError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    } catch let error as SchemaDeployError {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        throw ExitCode(1)
    }
}

/// `syncwright-server token --secret S --claim sub=… [--expires 1h]`
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mint a development token (HS256).",
        discussion: """
            Claim values are JSON when they parse as JSON (numbers, true/false, ["a","b"]) and \
            strings otherwise. Prints the token and nothing else.
            """
    )

    @Option(help: "The HS256 secret; the server must use the same one.")
    var secret: String?

    @Option(name: .customLong("claim"), help: "A claim as name=value; repeat for more.")
    var claims: [String] = []

    @Option(help: "How long the token is valid: 30s, 15m, 1h, 7d; never when omitted.")
    var expires: String?

    func run() async throws {
        guard let secret = secret ?? ProcessInfo.processInfo.environment["SYNCWRIGHT_JWT_SECRET"] else {
            throw ValidationError("give --secret S or set SYNCWRIGHT_JWT_SECRET")
        }
        guard secret.utf8.count >= 32 else { throw ValidationError("the secret must be at least 32 bytes") }
        var values: [String: JSONValue] = [:]
        for claim in claims {
            guard let equals = claim.firstIndex(of: "="), equals != claim.startIndex else {
                throw ValidationError("--claim \(claim) is not name=value")
            }
            let name = String(claim[..<equals])
            let text = String(claim[claim.index(after: equals)...])
            values[name] = (try? JSONValue(jsonText: text)).flatMap { value in
                if case .string = value { return nil }
                return value
            } ?? .string(text)
        }
        var lifetime: TimeInterval?
        if let expires {
            guard let seconds = Self.seconds(expires) else {
                throw ValidationError("--expires \(expires) is not a duration like 30s, 15m, 1h or 7d")
            }
            lifetime = seconds
        }
        print(try await TokenMinter.mint(secret: secret, claims: values, lifetime: lifetime))
    }

    static func seconds(_ text: String) -> TimeInterval? {
        guard let unit = text.last, let amount = Double(text.dropLast()), amount > 0 else { return nil }
        switch unit {
        case "s": return amount
        case "m": return amount * 60
        case "h": return amount * 3600
        case "d": return amount * 86_400
        default: return nil
        }
    }
}
