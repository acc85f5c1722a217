import Foundation
import GRDB
import Logging
import Syncwright
import SyncwrightServer

/// Syncing with the reference server over loopback: the server runs in a child process
/// (this executable with `--serve`), so the figures and the memory are the client's.
enum SyncBenchmarks {
    static let schema = """
        syncwright: 1
        name: Bench
        entities:
          Item:
            table: items
            fields:
              id: uuid
              name: string
              quantity: int
              price: decimal
              done: bool
              note: string?
              seenAt: timestamp
        subsets:
          all:
            entities:
              Item: { access: read-write, conflict: last-write-wins, unit: items }
        """

    static let secret = "benchmark-secret-0123456789abcdef0123"

    /// The child process: serves `schema` from the SQLite file `database` (or the
    /// PostgreSQL database at a `postgres://` URL), prints the port, and runs until SIGTERM.
    static func serve(schema: String, database: String) async throws {
        var logger = Logger(label: "syncwright.bench.server")
        // SYNCWRIGHT_BENCH_SERVER_LOG=info shows each request and its time.
        logger.logLevel = ProcessInfo.processInfo.environment["SYNCWRIGHT_BENCH_SERVER_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .error
        let model = try SyncServer.loadSchema(schema)
        let storage: any ServerDatabase = database.hasPrefix("postgres")
            ? try PostgresServerDatabase(url: database, logger: logger)
            : try SQLiteServerDatabase(path: database)
        let attachments = database.hasPrefix("postgres") ? nil
            : try FileAttachmentStorage(directory: URL(fileURLWithPath: database + ".attachments"))
        let service = SyncService(schema: model, database: storage, logger: logger, attachments: attachments)
        try await service.prepare()
        let app = SyncServer.application(service: service, verifier: try await TokenVerifier.hmac(secret: secret),
                                         host: "127.0.0.1", port: 0, logger: logger) { port in
            FileHandle.standardOutput.write(Data("port \(port)\n".utf8))
        }
        try await app.runService()
    }

    /// Fills the server's database with `rows` items, written by SQL (the triggers log them).
    static func seed(_ path: String, schemaPath: String, rows: Int) async throws {
        let database = try SQLiteServerDatabase(path: path)
        let service = SyncService(schema: try SyncServer.loadSchema(schemaPath), database: database)
        try await service.prepare()
        try await database.close()
        let pool = try DatabasePool(path: path)
        try await pool.write { db in
            let statement = try db.makeStatement(sql: """
                INSERT INTO items (id, name, quantity, price, done, note, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for index in 0..<rows {
                try statement.execute(arguments: [
                    ApplyBenchmarks.uuid(index), "Item \(index)", index % 1000, "\(index % 100).\(index % 10)5", index % 3 == 0,
                    index % 2 == 0 ? nil : "note \(index)", "2024-05-01T10:\(String(format: "%02d", index % 60)):00.000Z",
                ])
            }
        }
        try pool.close()
    }

    /// Inserts new items with `keys` into the server's database file with one prepared
    /// statement in one transaction, as the push's baseline.
    static func rawInserts(_ keys: [String], into path: String) async throws {
        // The connection settings the server uses, so the baseline isn't slowed by a
        // statement journal on disk.
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
            try db.execute(sql: "PRAGMA cache_size = -65536")
        }
        let pool = try DatabasePool(path: path, configuration: configuration)
        try await pool.write { db in
            let statement = try db.makeStatement(sql: """
                INSERT INTO items (id, name, quantity, price, done, note, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)
                """)
            for (index, key) in keys.enumerated() {
                try statement.execute(arguments: [
                    key, "Raw \(index)", index, "1.00", false, nil, "2024-05-01T10:00:00.000Z",
                ])
            }
        }
        try pool.close()
    }

    struct ServerProcess {
        let process: Process
        let port: Int

        static func start(schema: String, database: String) throws -> ServerProcess {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0])
            process.arguments = ["--serve", schema, database]
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            var text = ""
            while !text.contains("\n") {
                let chunk = output.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            guard text.hasPrefix("port "), let port = Int(text.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                process.terminate()
                throw BenchmarkFailure("the server process did not start: \(text)")
            }
            return ServerProcess(process: process, port: port)
        }

        func stop() {
            process.terminate()
            process.waitUntilExit()
        }
    }

    static func model(_ schemaPath: String) throws -> SyncModel {
        let schema = try SyncServer.loadSchema(schemaPath)
        return SyncModel(schemaName: schema.name, subset: "all", schemaHash: schema.schemaHash, entities: [
            SyncEntityDescriptor(name: "Item", tableName: "item", keyColumn: "id", columns: ApplyBenchmarks.descriptor.columns,
                                 access: .readWrite, conflictPolicy: .lastWriteWins, unit: "items"),
        ])
    }

    static func seconds(_ body: () async throws -> Void) async rethrows -> Double {
        let start = DispatchTime.now().uptimeNanoseconds
        try await body()
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    static func run(_ runner: inout BenchmarkRunner, rows: Int, changed: Int, pushes: Int, pageSize: Int, checkTargets: Bool) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-sync-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let schemaPath = folder.appending(path: "bench.yaml").path()
        try schema.write(toFile: schemaPath, atomically: true, encoding: .utf8)
        let serverPath = folder.appending(path: "server.sqlite").path()
        try await seed(serverPath, schemaPath: schemaPath, rows: rows)

        let server = try ServerProcess.start(schema: schemaPath, database: serverPath)
        defer { server.stop() }
        let token = try await TokenMinter.mint(secret: secret, claims: ["sub": .string("bench")], lifetime: 3600)
        let transport = HTTPSyncTransport(baseURL: URL(string: "http://127.0.0.1:\(server.port)")!) { token }
        let store = try SyncStore(path: folder.appending(path: "device.sqlite").path(), model: try model(schemaPath))
        let engine = SyncEngine(store: store, transport: transport, configuration: SyncConfiguration(
            syncOnStart: false, pushBatchSize: 1_000, pullPageSize: pageSize))

        // Initial sync, end to end.
        PeakMemory.reset()
        let initial = try await seconds { _ = try await engine.sync() }
        let initialPeak = PeakMemory.residentBytes()
        let held = try await store.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM item") ?? 0 }
        guard held == rows else { throw BenchmarkFailure("the device holds \(held) rows after the initial sync, not \(rows)") }

        // The baseline: raw GRDB prepared upserts of the same rows, in the same pages.
        let raw = try ApplyBenchmarks.rawUpserts(rows: rows, pageSize: pageSize, path: folder.appending(path: "raw.sqlite").path())
        runner.record(.init(
            name: "initial sync of \(rows) rows (UUID key + 6 columns) from a local server, pages of \(pageSize)",
            seconds: initial, baselineName: "raw GRDB prepared upserts of the same rows", baselineSeconds: raw,
            target: "speed ≥ 50% of baseline (ratio ≤ 2.00×)", meetsTarget: checkTargets ? raw / initial >= 0.5 : nil))
        runner.record(.init(
            name: String(format: "peak client memory during the initial sync: %.1f MB", Double(initialPeak) / 1_048_576),
            seconds: 0, target: "< 150 MB", meetsTarget: checkTargets ? Double(initialPeak) / 1_048_576 < 150 : nil))

        // Incremental sync of `changed` rows changed on the server.
        let pool = try DatabasePool(path: serverPath)
        try await pool.write { db in
            let step = max(1, rows / changed)
            for index in stride(from: 0, to: rows, by: step).prefix(changed) {
                try db.execute(sql: "UPDATE items SET quantity = quantity + 1 WHERE id = ?", arguments: [ApplyBenchmarks.uuid(index)])
            }
        }
        try pool.close()
        PeakMemory.reset()
        var report = SyncReport()
        let incremental = try await seconds { report = try await engine.sync() }
        let incrementalPeak = PeakMemory.residentBytes()
        guard report.pulled["items"] == changed else {
            throw BenchmarkFailure("the incremental sync pulled \(report.pulled["items"] ?? 0) changes, not \(changed)")
        }
        runner.record(.init(
            name: String(format: "incremental sync of \(changed) changed rows over a \(rows)-row table, peak client memory %.1f MB",
                         Double(incrementalPeak) / 1_048_576),
            seconds: incremental, baselineName: "the initial sync", baselineSeconds: initial,
            target: "≤ 1% of the initial sync", meetsTarget: checkTargets ? incremental <= initial * 0.01 : nil))

        // Push of `pushes` local inserts.
        let writes = (0..<pushes).map { index in
            LocalChange(entity: "Item", kind: .insert, values: [
                "id": UUID().databaseValue, "name": "New \(index)".databaseValue, "quantity": index.databaseValue,
                "price": "1.00".databaseValue, "done": false.databaseValue, "note": DatabaseValue.null,
                "seenAt": "2024-05-01 10:00:00.000".databaseValue,
            ])
        }
        try await store.write { transaction in for change in writes { try transaction.apply(change) } }
        // The push alone: a sync that pulls no unit. The pull that brings the pushed rows'
        // versions back is measured after it, on its own.
        PeakMemory.reset()
        let push = try await seconds { report = try await engine.sync(units: []) }
        let pushPeak = PeakMemory.residentBytes()
        guard report.pushed == pushes else { throw BenchmarkFailure("the push applied \(report.pushed) ops, not \(pushes)") }
        let echo = try await seconds { report = try await engine.sync() }
        guard report.pulled["items"] == pushes else {
            throw BenchmarkFailure("the pull after the push brought \(report.pulled["items"] ?? 0) changes, not \(pushes)")
        }
        let rate = Double(pushes) / push
        // The baseline: the same number of rows written into the server's table with raw
        // GRDB prepared inserts in one transaction, its triggers (versions, change log) included.
        let rawKeys = (0..<pushes).map { _ in UUID().uuidString.lowercased() }
        let rawPush = try await seconds { try await rawInserts(rawKeys, into: serverPath) }
        runner.record(.init(
            name: String(format: "push of \(pushes) inserts, batches of 1000: %.0f ops/s, peak client memory %.1f MB",
                         rate, Double(pushPeak) / 1_048_576),
            seconds: push, baselineName: "raw GRDB inserts of as many rows into the server's table", baselineSeconds: rawPush,
            target: "≥ 10,000 ops/s", meetsTarget: checkTargets ? rate >= 10_000 : nil))
        runner.record(.init(
            name: "the next sync, which pulls those \(pushes) rows back from the change log",
            seconds: echo, baselineName: "the push", baselineSeconds: push))
    }
}
