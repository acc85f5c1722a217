import Foundation
import GRDB
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// Sends to whichever server is up now: the tests restart the server on a new port
/// between schema versions, as a deploy does behind a load balancer.
final class SwitchableTransport: SyncTransport {
    private let current: Locked<HTTPSyncTransport>

    init(_ server: LiveServer, claims: [String: JSONValue]) async throws {
        current = Locked(try await Self.transport(server, claims))
    }

    func switchTo(_ server: LiveServer, claims: [String: JSONValue]) async throws {
        let transport = try await Self.transport(server, claims)
        current.withValue { $0 = transport }
    }

    private static func transport(_ server: LiveServer, _ claims: [String: JSONValue]) async throws -> HTTPSyncTransport {
        let token = try await LiveServer.token(claims)
        return HTTPSyncTransport(baseURL: server.baseURL, timeout: 20) { token }
    }

    func push(_ request: PushRequest) async throws -> PushResponse { try await current.withValue { $0 }.push(request) }
    func pull(_ request: PullRequest) async throws -> PullResponse { try await current.withValue { $0 }.pull(request) }
    func schema() async throws -> SchemaResponse { try await current.withValue { $0 }.schema() }
}

extension LiveServer {
    /// A deploy of `schema` on `database`, as a new server process does it: the start
    /// prepares the database, then the server listens on a new port.
    static func deploy(_ schema: SchemaModel, on database: any ServerDatabase) async throws -> LiveServer {
        let service = SyncService(schema: schema, database: database, logger: TestDatabases.logger)
        try await service.prepare()
        return try await start(service: service)
    }
}

/// A device built against one schema version, with its own store file.
struct VersionedDevice {
    let path: String
    let store: SyncStore
    let engine: SyncEngine

    static let configuration = SyncConfiguration(
        delayedSync: true, syncOnStart: false, syncOnReconnect: false, pushBatchSize: 2, pullPageSize: 2,
        retry: RetryPolicy(maximumAttempts: 2, initialDelay: .milliseconds(10), maximumDelay: .milliseconds(20)))

    init(path: String? = nil, model: SchemaModel, transport: any SyncTransport) throws {
        let path = path ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("syncwright-device-\(UUID().uuidString).sqlite").path
        self.path = path
        store = try SyncStore(path: path, model: SyncModel(schema: model, subset: "mine"))
        engine = SyncEngine(store: store, transport: transport, configuration: Self.configuration)
    }

    func insertChore(_ number: Int, title: String, extra: [String: DatabaseValue] = [:]) async throws {
        var values: [String: DatabaseValue] = [
            "id": UUID(uuidString: Chores.id(number))!.databaseValue, "owner": "ann".databaseValue,
            "title": title.databaseValue, "state": "todo".databaseValue,
        ]
        values.merge(extra) { _, new in new }
        let change = LocalChange(entity: "Chore", kind: .insert, values: values)
        try await store.write { transaction in try transaction.apply(change) }
    }

    func titles() async throws -> [String] {
        try await store.read { db in try String.fetchAll(db, sql: "SELECT title FROM chores ORDER BY title") }
    }
}

@Suite("Schema deploys, end to end over HTTP")
struct SchemaDeployEndToEndTests {
    @Test("a v1 device with pending changes syncs across a v2 deploy, then upgrades to v2; a retired v1 is told to update",
          arguments: DatabaseKind.underTest)
    func deployAndUpgrade(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(Chores.v1)
        let v2 = try Chores.model(Chores.v2)
        let database = try await TestDatabases.make(kind)
        let serverV1 = try await LiveServer.deploy(v1, on: database)
        let transport = try await SwitchableTransport(serverV1, claims: Chores.ann)
        let device = try VersionedDevice(model: v1, transport: transport)
        try await device.insertChore(1, title: "dishes")
        try await device.engine.sync()
        // Queued while the deploy happens.
        try await device.insertChore(2, title: "floor")
        try await device.insertChore(3, title: "windows")
        #expect(try await device.store.pendingChangeCount() == 2)
        await serverV1.stop(closingDatabase: false)

        // The deploy: v2 on the same database, a new process on a new port.
        let serverV2 = try await LiveServer.deploy(v2, on: database)
        try await transport.switchTo(serverV2, claims: Chores.ann)

        let report = try await device.engine.sync()
        #expect(report.pushed == 2)
        #expect(try await device.store.pendingChangeCount() == 0)
        #expect(try await device.titles() == ["dishes", "floor", "windows"])
        #expect(device.engine.currentStatus.activity == .finished(report))
        let minutes = try await database.read("SELECT count(*) FROM chores WHERE minutes = 15", []).first?.first?.integer
        #expect(minutes == 3)

        // A v2 device sees the same rows with the new fields.
        let newTransport = try await SwitchableTransport(serverV2, claims: Chores.ann)
        let fresh = try VersionedDevice(model: v2, transport: newTransport)
        try await fresh.engine.sync()
        #expect(try await fresh.titles() == ["dishes", "floor", "windows"])
        #expect(try await fresh.store.read { try Int.fetchOne($0, sql: "SELECT sum(minutes) FROM chores") } == 45)

        // The v1 device queues a change, then the app is updated to the v2 model.
        try await device.insertChore(4, title: "attic")
        let upgraded = try VersionedDevice(path: device.path, model: v2, transport: transport)
        #expect(try await upgraded.store.pendingChangeCount() == 1)
        try await upgraded.insertChore(5, title: "garden", extra: ["minutes": 40.databaseValue, "fragile": true.databaseValue])
        let roomID = UUID()
        try await upgraded.store.write { transaction in
            try transaction.apply(LocalChange(entity: "Room", kind: .insert, values: [
                "id": roomID.databaseValue, "owner": "ann".databaseValue, "name": "kitchen".databaseValue,
            ]))
        }
        try await upgraded.engine.sync()
        let rejected = try upgraded.store.rejectedChanges()
        #expect(rejected.isEmpty, "\(rejected)")
        #expect(try await upgraded.store.pendingChangeCount() == 0)
        #expect(try await upgraded.titles() == ["attic", "dishes", "floor", "garden", "windows"])
        let filled = try await upgraded.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM chores WHERE minutes IS NOT NULL") }
        #expect(filled == 5)
        #expect(try await upgraded.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM rooms") } == 1)
        #expect(try await database.read("SELECT count(*) FROM chores", []).first?.first?.integer == 5)

        // v1 retired: a device still on v1 stops before pushing and keeps its change.
        let oldTransport = try await SwitchableTransport(serverV2, claims: Chores.ann)
        let straggler = try VersionedDevice(model: v1, transport: oldTransport)
        try await straggler.insertChore(6, title: "roof")
        _ = try await serverV2.service.retire(hashPrefix: String(v1.schemaHash.prefix(16)))
        let failure = await #expect(throws: SyncFailure.self) { try await straggler.engine.sync() }
        #expect(failure?.code == .outdated)
        #expect(failure?.serverCode == nil || failure?.serverCode == "schema_retired")
        guard case .outdated(let outdated) = straggler.engine.currentStatus.activity else {
            Issue.record("the status is \(straggler.engine.currentStatus.activity), not outdated")
            return
        }
        #expect(outdated.serverSchemaHash == v2.schemaHash)
        #expect(try await straggler.store.pendingChangeCount() == 1)
        #expect(try await database.read("SELECT count(*) FROM chores", []).first?.first?.integer == 5)
        await serverV2.stop()
    }

    @Test("a deploy adding an entity: the old app pulls nothing, the updated one only the new unit; a narrower filter sends both the difference",
          arguments: DatabaseKind.underTest)
    func deploysCostOnlyWhatChanged(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(DeployFilingTests.addField, file: "v1.yaml")
        let v2 = try Chores.model(DeployFilingTests.addEntity, file: "v2.yaml")
        let v3 = try Chores.model(DeployFilingTests.changeFilter, file: "v3.yaml")
        let database = try await TestDatabases.make(kind)
        let serverV1 = try await LiveServer.deploy(v1, on: database)
        let transport = try await SwitchableTransport(serverV1, claims: Chores.ann)
        let device = try VersionedDevice(model: v1, transport: transport)
        for n in 1...4 {
            try await FieldService.sql(database, "INSERT INTO chores (id, owner, title, state) VALUES ('\(Chores.id(n))', 'ann', 'c\(n)', '\(n == 4 ? "done" : "todo")')")
            try await FieldService.sql(database, "INSERT INTO rooms (id, owner, name) VALUES ('\(Chores.id(n + 10))', '\(n == 4 ? "bob" : "ann")', 'r\(n)')")
        }
        #expect(try await device.engine.sync().pulled == ["Chore": 4])
        await serverV1.stop(closingDatabase: false)

        let serverV2 = try await LiveServer.deploy(v2, on: database)
        try await transport.switchTo(serverV2, claims: Chores.ann)
        // The app still on v1 goes on from its cursor: nothing to pull.
        let old = try await device.engine.sync()
        #expect(old.pulled.values.reduce(0, +) == 0, "\(old.pulled)")
        // Updated to v2 (Chore's columns unchanged), it downloads the new unit only.
        let updated = try VersionedDevice(path: device.path, model: v2, transport: transport)
        let first = try await updated.engine.sync()
        #expect(first.pulled["Room"] == 3 && (first.pulled["Chore"] ?? 0) == 0, "\(first.pulled)")
        #expect(try await updated.store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM rooms") } == 3)
        await serverV2.stop(closingDatabase: false)

        // A narrower filter (done chores leave): the app receives the one remove, nothing else.
        let serverV3 = try await LiveServer.deploy(v3, on: database)
        try await transport.switchTo(serverV3, claims: Chores.ann)
        let narrowed = try await updated.engine.sync()
        #expect(narrowed.pulled.values.reduce(0, +) == 1, "\(narrowed.pulled)")
        #expect(try await updated.titles() == ["c1", "c2", "c3"])
        await serverV3.stop()
    }

    @Test("after a narrowed filter, an upgraded device keeps only the rows the new model selects", arguments: DatabaseKind.underTest)
    func narrowedFilter(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(Chores.v1)
        let narrowed = try Chores.model(Chores.v1.replacingOccurrences(of: "rows: owner == $me", with: "rows: owner == $me and state == \"todo\""),
                                        file: "narrowed.yaml")
        let database = try await TestDatabases.make(kind)
        let serverV1 = try await LiveServer.deploy(v1, on: database)
        let transport = try await SwitchableTransport(serverV1, claims: Chores.ann)
        let device = try VersionedDevice(model: v1, transport: transport)
        try await device.insertChore(1, title: "open")
        try await device.insertChore(2, title: "finished", extra: ["state": "done".databaseValue])
        try await device.engine.sync()
        #expect(try await device.titles() == ["finished", "open"])
        await serverV1.stop(closingDatabase: false)

        let serverV2 = try await LiveServer.deploy(narrowed, on: database)
        try await transport.switchTo(serverV2, claims: Chores.ann)
        let upgraded = try VersionedDevice(path: device.path, model: narrowed, transport: transport)
        try await upgraded.engine.sync()
        #expect(try await upgraded.titles() == ["open"])
        await serverV2.stop()
    }
}
