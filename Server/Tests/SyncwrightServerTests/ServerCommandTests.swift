import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// The `syncwright-server` executable as people run it.
@Suite("syncwright-server command")
struct ServerCommandTests {
    /// The built executable, beside the test bundle.
    static var executable: URL {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("syncwright-server").path),
              directory.pathComponents.count > 1 {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("syncwright-server")
    }

    static func run(_ arguments: [String], in directory: URL? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func tokenMintsAJWTWithTypedClaims() throws {
        let (status, output) = try Self.run(["token", "--secret", LiveServer.secret, "--claim", "sub=abc",
                                             "--claim", "regions=[\"north\"]", "--claim", "level=3", "--expires", "1h"])
        #expect(status == 0, "\(output)")
        let parts = output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".")
        #expect(parts.count == 3)
        var payload = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while payload.count % 4 != 0 { payload += "=" }
        let claims = try JSONSerialization.jsonObject(with: Data(base64Encoded: payload)!) as! [String: Any]
        #expect(claims["sub"] as? String == "abc")
        #expect(claims["regions"] as? [String] == ["north"])
        #expect(claims["level"] as? Int == 3)
        let exp = try #require(claims["exp"] as? Int)
        #expect(abs(Double(exp) - Date().timeIntervalSince1970 - 3600) < 60)

        let bad = try Self.run(["token", "--secret", "short", "--claim", "sub=abc"])
        #expect(bad.status != 0)
        #expect(bad.output.contains("at least 32 bytes"))
    }

    @Test func aBrokenSchemaStopsTheServerWithItsPositions() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("syncwright-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try "syncwright: 1\nname: Broken\nentities:\n  Thing:\n    fields:\n      id: uuidd\n".write(
            to: directory.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let (status, output) = try Self.run(["--schema", "broken.yaml", "--jwt-secret", LiveServer.secret], in: directory)
        #expect(status == 1)
        // A summary, then each problem on a line of its own, its position first.
        #expect(output.contains("error: broken.yaml has 1 error"), "\(output)")
        #expect(output.contains("\nbroken.yaml:6:"), "\(output)")
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("syncwright.sqlite").path))
        let noSecret = try Self.run(["--schema", "broken.yaml"], in: directory)
        #expect(noSecret.status != 0)
        #expect(noSecret.output.contains("--jwt-secret"))
    }

    @Test("a breaking deploy stops the start with the located changes; versions lists, retire retires, then it starts")
    func breakingDeployThroughTheCommands() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("syncwright-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try Chores.v1.write(to: directory.appendingPathComponent("v1.yaml"), atomically: true, encoding: .utf8)
        let v3 = Chores.v1.replacingOccurrences(of: "[id, owner, title, state]", with: "[id, owner, state]")
        try v3.write(to: directory.appendingPathComponent("v3.yaml"), atomically: true, encoding: .utf8)
        let database = "sqlite:" + directory.appendingPathComponent("server.sqlite").path
        // v1 served once.
        let v1 = try Chores.model(Chores.v1, file: "v1.yaml")
        let service = SyncService(schema: v1, database: try SyncServer.openDatabase(database, logger: TestDatabases.logger),
                                  logger: TestDatabases.logger)
        try await service.prepare()
        try await service.database.close()

        let refused = try Self.run(["serve", "--schema", "v3.yaml", "--database", database, "--port", "0",
                                    "--jwt-secret", LiveServer.secret], in: directory)
        #expect(refused.status == 1)
        #expect(refused.output.contains("error: v3.yaml can't be served next to the schema versions installed apps use"), "\(refused.output)")
        #expect(refused.output.contains("apps on schema \(v1.schemaHash.prefix(12)) (v1.yaml as served since "), "\(refused.output)")
        #expect(refused.output.contains("\nv1.yaml:16:7: breaking: subset 'mine' no longer selects 'Chore.title'"), "\(refused.output)")
        #expect(refused.output.contains("syncwright-server retire HASH --schema v3.yaml"), "\(refused.output)")

        let versions = try Self.run(["versions", "--schema", "v3.yaml", "--database", database], in: directory)
        #expect(versions.status == 0, "\(versions.output)")
        #expect(versions.output.hasPrefix(v1.schemaHash + "  "))
        #expect(versions.output.contains("  served  v1.yaml"))

        let retired = try Self.run(["retire", String(v1.schemaHash.prefix(10)), "--schema", "v3.yaml", "--database", database],
                                   in: directory)
        #expect(retired.status == 0, "\(retired.output)")
        #expect(retired.output == "retired \(v1.schemaHash)\n")
        let again = try Self.run(["retire", String(v1.schemaHash.prefix(10)), "--schema", "v3.yaml", "--database", database],
                                 in: directory)
        #expect(again.status == 1)
        #expect(again.output.contains("no served schema version has a hash starting with"))
        let listed = try Self.run(["versions", "--schema", "v3.yaml", "--database", database], in: directory)
        #expect(listed.output.contains("  retired "))
    }

    @Test("plan prints what a start of a new schema would file, per unit, and changes nothing")
    func planPrintsTheFilingWithoutChangingTheDatabase() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("syncwright-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try DeployFilingTests.addField.write(to: directory.appendingPathComponent("v1.yaml"), atomically: true, encoding: .utf8)
        try DeployFilingTests.changeShape.write(to: directory.appendingPathComponent("v2.yaml"), atomically: true, encoding: .utf8)
        let database = "sqlite:" + directory.appendingPathComponent("server.sqlite").path
        let v1 = try Chores.model(DeployFilingTests.addField, file: "v1.yaml")
        let opened = try SyncServer.openDatabase(database, logger: TestDatabases.logger)
        try await SyncService(schema: v1, database: opened, logger: TestDatabases.logger).prepare()
        for n in 1...3 {
            try await FieldService.sql(opened, "INSERT INTO chores (id, owner, title, state) VALUES ('\(Chores.id(n))', 'ann', 'c\(n)', '\(n == 1 ? "done" : "todo")')")
            try await FieldService.sql(opened, "INSERT INTO rooms (id, owner, name) VALUES ('\(Chores.id(n + 10))', 'ann', 'r\(n)')")
        }
        func snapshot() async throws -> [[SQLValue]] {
            try await opened.read("SELECT seq, bucket, key, removed FROM syncwright_log ORDER BY seq", [])
                + opened.read("SELECT name, value FROM syncwright_state ORDER BY name", [])
        }
        let before = try await snapshot()

        let plan = try Self.run(["plan", "--schema", "v2.yaml", "--database", database], in: directory)
        #expect(plan.status == 0, "\(plan.output)")
        #expect(plan.output == """
            a start files new and changed bucket definitions past the end of the log:
              mine.Chore: 1 entry; devices continue from their cursors
              mine.Room: 3 entries; devices continue from their cursors

            """, "\(plan.output)")
        #expect(try await snapshot() == before, "plan changed the database")
        try await opened.close()
    }

    @Test func serveCreatesTheSQLiteFileAndStopsCleanlyOnSIGTERM() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("syncwright-cli-\(UUID().uuidString)")
        let server = try ServerProcess(database: "sqlite:syncwright.sqlite", in: directory)
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("syncwright.sqlite").path))
        let (data, _) = try await URLSession(configuration: .ephemeral).data(from: server.baseURL.appendingPathComponent("health"))
        #expect(String(decoding: data, as: UTF8.self) == #"{"status":"ok"}"#)

        let status = server.stop()  // SIGTERM
        #expect(status == 0, "\(server.log)")
        #expect(server.log.contains("stopped"))
    }

    @Test func sigtermLetsWaitingPullsGoAtOnce() async throws {
        let server = try ServerProcess(database: "sqlite:server.sqlite")
        let token = try await LiveServer.token(FieldService.annClaims)
        let transport = HTTPSyncTransport(baseURL: server.baseURL, timeout: 5) { token }
        let first = try await transport.pull(PullRequest(subset: "technician", schemaHash: FieldService.schema.schemaHash,
                                                         units: ["jobs": nil], limit: 100))
        let cursor = try #require(first.units["jobs"] ?? nil)
        let clock = ContinuousClock()
        let started = clock.now
        let waiting = Task {
            try await transport.pull(PullRequest(subset: "technician", schemaHash: FieldService.schema.schemaHash,
                                                 units: ["jobs": cursor], limit: 100, wait: 50))
        }
        // The process counts the pull in progress while it waits (its /metrics).
        try await waitUntil("the server to hold the waiting pull") {
            let (body, _) = try await URLSession(configuration: .ephemeral).data(from: server.baseURL.appendingPathComponent("metrics"))
            let gauge = String(decoding: body, as: UTF8.self).split(separator: "\n")
                .first { $0.hasPrefix("syncwright_pulls_in_progress ") }?.split(separator: " ").last
            return gauge.flatMap { Double($0) } == 1
        }
        let status = server.stop()
        #expect(status == 0, "\(server.log)")
        let page = try await waiting.value
        // Answered by the shutdown, not by the end of the wait (50 s).
        #expect(clock.now - started < .seconds(20), "\(clock.now - started)")
        #expect(page.changes.isEmpty)
        #expect(page.units["jobs"] == cursor, "the same cursor: the device waits again after the restart")
    }
}
