import Foundation
import Logging
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// The storage engines every server test runs against.
enum DatabaseKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite
    case postgres

    var description: String { rawValue }

    /// The databases this run tests: both, unless `SYNCWRIGHT_TEST_DATABASES` names fewer
    /// (`sqlite` in `scripts/test --quick`, which says so; the whole test command never
    /// sets it, so there a PostgreSQL test without a server fails, never skips).
    static let underTest: [DatabaseKind] = {
        guard let names = ProcessInfo.processInfo.environment["SYNCWRIGHT_TEST_DATABASES"], !names.isEmpty else { return allCases }
        let kinds = names.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return allCases.filter { kinds.contains($0.rawValue) }
    }()

    /// The condition of the tests that only PostgreSQL has (many server processes,
    /// its own text rules): false only in a run that left PostgreSQL out on purpose.
    static let postgresUnderTest = underTest.contains(.postgres)
}

struct TestSetupError: Error, CustomStringConvertible {
    var description: String
}

enum TestDatabases {
    static let logger: Logger = {
        var logger = Logger(label: "syncwright.tests")
        logger.logLevel = .warning
        return logger
    }()

    /// A fresh, empty database. PostgreSQL tests need `SYNCWRIGHT_TEST_POSTGRES_URL`
    /// (scripts/test starts a private cluster and sets it); without it they fail.
    static func make(_ kind: DatabaseKind) async throws -> any ServerDatabase {
        switch kind {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("syncwright-server-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            return try SQLiteServerDatabase(path: directory.appendingPathComponent("server.sqlite").path)
        case .postgres:
            let url = try postgresURL(database: "sw_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())
            return try PostgresServerDatabase(url: url, logger: logger)
        }
    }

    /// The URL of a new database on the test cluster (`database`), created here.
    static func postgresURL(database: String) throws -> String {
        guard let admin = ProcessInfo.processInfo.environment["SYNCWRIGHT_TEST_POSTGRES_URL"], !admin.isEmpty else {
            throw TestSetupError(description: """
                SYNCWRIGHT_TEST_POSTGRES_URL is not set: the PostgreSQL tests need a server. Run them through \
                scripts/test, which starts a private cluster, or point the variable at an empty cluster.
                """)
        }
        try createDatabase(database, admin: admin)
        var components = URLComponents(string: admin)!
        components.path = "/" + database
        return components.string!
    }

    /// `CREATE DATABASE` through psql, outside any transaction.
    private static func createDatabase(_ name: String, admin: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", admin, "-v", "ON_ERROR_STOP=1", "-q", "-c", "CREATE DATABASE \(name)"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw TestSetupError(description: "creating database \(name) failed: \(message)")
        }
    }
}

/// The FieldService example's schema, users and helpers.
enum FieldService {
    static let schemaPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Examples/FieldService/Sources/FieldServiceModel/syncwright.yaml").path

    static let schema: SchemaModel = try! SyncServer.loadSchema(schemaPath)

    static let ann = "a0000000-0000-4000-8000-000000000001"
    static let bob = "b0000000-0000-4000-8000-000000000002"
    static let annClaims: [String: JSONValue] = ["sub": .string(ann), "region": .string("north"), "role": .string("technician")]
    static let bobClaims: [String: JSONValue] = ["sub": .string(bob), "region": .string("south"), "role": .string("technician")]

    static func id(_ prefix: Character, _ number: Int) -> String {
        String(repeating: prefix, count: 8) + "-0000-4000-8000-" + String(format: "%012d", number)
    }

    /// A prepared service on a fresh database of `kind`.
    static func service(_ kind: DatabaseKind, maximumAttachmentSize: Int64 = 1 << 30) async throws -> SyncService {
        let service = SyncService(schema: schema, database: try await TestDatabases.make(kind), logger: TestDatabases.logger,
                                  attachments: try attachmentStorage(), maximumAttachmentSize: maximumAttachmentSize)
        try await service.prepare()
        return service
    }

    /// Attachment files in a fresh temporary folder.
    static func attachmentStorage() throws -> FileAttachmentStorage {
        try FileAttachmentStorage(directory: FileManager.default.temporaryDirectory
            .appending(path: "syncwright-attachments-\(UUID().uuidString)"))
    }

    /// Writes rows straight into the tables, as another system would: two technicians,
    /// a customer per region, a product, and one order with one line for each.
    static func seed(_ database: any ServerDatabase) async throws {
        let d = database.dialect
        let p: @Sendable (Int, ScalarType) -> String = { index, type in d.placeholder(index) + d.cast(for: type) }
        try await database.write { connection in
            for (tech, name, region) in [(ann, "Ann", "north"), (bob, "Bob", "south")] {
                try await connection.execute(
                    "INSERT INTO technicians (id, name, region) VALUES (\(p(1, .uuid)), \(p(2, .string)), \(p(3, .string)))",
                    [.text(tech), .text(name), .text(region)])
            }
            for (index, (name, region)) in [("Acme", "north"), ("Globex", "south")].enumerated() {
                try await connection.execute(
                    "INSERT INTO customers (id, name, region) VALUES (\(p(1, .uuid)), \(p(2, .string)), \(p(3, .string)))",
                    [.text(id("c", index + 1)), .text(name), .text(region)])
            }
            try await connection.execute(
                "INSERT INTO products (id, sku, name, unit_price) VALUES (\(p(1, .uuid)), 'B-1', 'Bolt', \(p(2, .decimal)))",
                [.text(id("d", 1)), .text("1.50")])
            for (index, tech) in [ann, bob].enumerated() {
                try await connection.execute(
                    "INSERT INTO work_orders (id, number, customer_id, assignee_id, status) VALUES (\(p(1, .uuid)), \(p(2, .int)), \(p(3, .uuid)), \(p(4, .uuid)), 'open')",
                    [.text(id("e", index + 1)), .integer(Int64(100 + index)), .text(id("c", index + 1)), .text(tech)])
                try await connection.execute(
                    "INSERT INTO work_order_lines (id, work_order_id, product_id, quantity) VALUES (\(p(1, .uuid)), \(p(2, .uuid)), \(p(3, .uuid)), 2)",
                    [.text(id("f", index + 1)), .text(id("e", index + 1)), .text(id("d", 1))])
            }
        }
    }

    /// Runs one SQL statement in its own transaction, as another system would.
    static func sql(_ database: any ServerDatabase, _ statement: String) async throws {
        try await database.write { connection in try await connection.execute(statement) }
    }
}

extension SyncService {
    /// Every page of `unit` after `cursor`.
    func pullAll(_ unit: String, claims: [String: JSONValue], cursor: String? = nil, limit: Int = 100)
        async throws -> (changes: [PullChange], cursor: String)
    {
        var cursor = cursor
        var changes: [PullChange] = []
        while true {
            let page = try await pull(PullRequest(subset: "technician", schemaHash: schema.schemaHash, units: [unit: cursor], limit: limit),
                                      claims: claims)
            changes += page.changes
            cursor = page.units[unit]
            if !page.more { return (changes, cursor!) }
        }
    }

    func push(_ ops: [PushOperation], claims: [String: JSONValue], client: String = "device-1") async throws -> [PushResult] {
        try await push(PushRequest(clientId: client, subset: "technician", schemaHash: schema.schemaHash, ops: ops), claims: claims).results
    }
}

extension [PullChange] {
    func keys(_ entity: String, _ op: PullChange.Operation) -> Set<String> {
        Set(filter { $0.entity == entity && $0.op == op }.compactMap(\.key.stringValue))
    }
}

/// The seeds a property test runs: `ciCount` from `first` on, or as many as
/// `SYNCWRIGHT_PROPERTY_SEEDS` asks for (the long run docs/testing.md gives).
func propertySeeds(from first: UInt64, ciCount: Int) -> [UInt64] {
    let count = ProcessInfo.processInfo.environment["SYNCWRIGHT_PROPERTY_SEEDS"].flatMap(Int.init) ?? ciCount
    return (0..<UInt64(count)).map { first + $0 }
}
