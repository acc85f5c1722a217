import Foundation
import Hummingbird
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer

/// The real server on a loopback port, for end-to-end tests.
final class LiveServer: Sendable {
    static let secret = "end-to-end-secret-0123456789abcdef"

    let service: SyncService
    let port: Int
    private let task: Task<Void, any Error>

    private init(service: SyncService, port: Int, task: Task<Void, any Error>) {
        self.service = service
        self.port = port
        self.task = task
    }

    var baseURL: URL { URL(string: "http://127.0.0.1:\(port)")! }
    var database: any ServerDatabase { service.database }

    static func start(_ kind: DatabaseKind) async throws -> LiveServer {
        try await start(service: try await FieldService.service(kind))
    }

    /// Serves a prepared service.
    static func start(service: SyncService, limits: ServerLimits = ServerLimits()) async throws -> LiveServer {
        let verifier = try await TokenVerifier.hmac(secret: secret)
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = SyncServer.application(service: service, verifier: verifier, host: "127.0.0.1", port: 0, limits: limits,
                                         logger: TestDatabases.logger) { port in continuation.yield(port) }
        let task = Task { try await app.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw TestSetupError(description: "the server did not start") }
        return LiveServer(service: service, port: port, task: task)
    }

    func stop(closingDatabase: Bool = true) async {
        task.cancel()
        _ = await task.result
        if closingDatabase { try? await service.database.close() }
    }

    static func token(_ claims: [String: JSONValue], secret: String = LiveServer.secret) async throws -> String {
        try await TokenMinter.mint(secret: secret, claims: claims, lifetime: 3600)
    }
}

/// A device: its own store and engine, syncing with a live server over HTTP.
struct Device {
    let store: SyncStore
    let engine: SyncEngine
    let transport: any SyncTransport

    /// A device of the FieldService technician subset. `conflictPolicy` replaces the
    /// schema's policy of every entity on this device (the device applies the policy;
    /// the server only reports the conflict), to try each against the real server.
    init(server: LiveServer, claims: [String: JSONValue], transport wrap: ((any SyncTransport) -> any SyncTransport)? = nil,
         attachmentPieceSize: Int = 1 << 20, liveWait: Duration? = nil, conflictPolicy: SyncConflictPolicy? = nil) async throws {
        try await self.init(baseURL: server.baseURL, claims: claims, transport: wrap, attachmentPieceSize: attachmentPieceSize,
                            liveWait: liveWait, conflictPolicy: conflictPolicy)
    }

    init(baseURL: URL, claims: [String: JSONValue], transport wrap: ((any SyncTransport) -> any SyncTransport)? = nil,
         attachmentPieceSize: Int = 1 << 20, liveWait: Duration? = nil, conflictPolicy: SyncConflictPolicy? = nil) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("syncwright-device-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var model = SyncModel(schema: FieldService.schema, subset: "technician")
        if let conflictPolicy {
            model.entities = model.entities.map { entity in
                var entity = entity
                entity.conflictPolicy = conflictPolicy
                return entity
            }
        }
        store = try SyncStore(path: directory.appendingPathComponent("device.sqlite").path, model: model)
        let token = try await LiveServer.token(claims)
        let http = HTTPSyncTransport(baseURL: baseURL, timeout: 20) { token }
        transport = wrap?(http) ?? http
        engine = SyncEngine(store: store, transport: transport, configuration: SyncConfiguration(
            delayedSync: true, syncOnStart: false, syncOnReconnect: false, pushBatchSize: 50, pullPageSize: 3,
            retry: RetryPolicy(maximumAttempts: 3, initialDelay: .milliseconds(10), maximumDelay: .milliseconds(50)),
            attachmentPieceSize: attachmentPieceSize, liveWait: liveWait))
    }

    func keys(_ table: String) throws -> Set<String> {
        try store.read { db in
            Set(try DatabaseValue.fetchAll(db, sql: "SELECT id FROM \(table)").map { ColumnType.uuid.wireValue(fromDatabase: $0).stringValue! })
        }
    }

    func value(_ table: String, _ column: String, id: String) throws -> DatabaseValue? {
        try store.read { db in
            try DatabaseValue.fetchOne(db, sql: "SELECT \"\(column)\" FROM \(table) WHERE id = ?", arguments: [UUID(uuidString: id)!])
        }
    }

    func update(_ entity: String, id: String, _ values: [String: DatabaseValue]) async throws {
        var values = values
        values["id"] = UUID(uuidString: id)!.databaseValue
        let change = LocalChange(entity: entity, kind: .update, values: values)
        try await store.write { transaction in try transaction.apply(change) }
    }

    func insert(_ entity: String, _ values: [String: DatabaseValue]) async throws {
        let change = LocalChange(entity: entity, kind: .insert, values: values)
        try await store.write { transaction in try transaction.apply(change) }
    }
}

extension SyncModel {
    /// The model the generator would emit for `subset`, built from the schema directly.
    init(schema: SchemaModel, subset name: String) {
        let subset = schema.subset(named: name)!
        let entities = subset.entities.map { subsetEntity -> SyncEntityDescriptor in
            let entity = schema.entity(named: subsetEntity.entityName)!
            var columns = subsetEntity.columns.map { name -> SyncColumn in
                let field = entity.field(named: name)!
                // As the generator: a writable entity's references within the subset.
                let target = field.reference?.targetEntity
                let references = subsetEntity.access.allowsWrites && subset.entities.contains { $0.entityName == target } ? target : nil
                var cases: [String]?
                if case .enumeration(let values) = field.type { cases = values }
                return SyncColumn(name, ColumnType(rawValue: field.type.storage.rawValue)!, nullable: field.isNullable, cases: cases,
                                  references: references, download: subsetEntity.attachmentDownload,
                                  maximumSize: subsetEntity.maxAttachmentSize)
            }
            for include in subsetEntity.includes {
                columns.append(SyncColumn(include.name, ColumnType(rawValue: include.path.type.storage.rawValue)!,
                                          nullable: true, include: true))
            }
            return SyncEntityDescriptor(
                name: entity.name, tableName: entity.tableName, keyColumn: entity.keyFieldName, columns: columns,
                access: SyncAccess(rawValue: subsetEntity.access.rawValue)!,
                conflictPolicy: SyncConflictPolicy(rawValue: subsetEntity.conflictPolicy.rawValue)!,
                unit: subsetEntity.unit, priority: subsetEntity.priority)
        }
        self.init(schemaName: schema.name, subset: name, schemaHash: schema.schemaHash, entities: entities)
    }
}

/// Passes requests through, but loses the answer to the first push (the change is
/// applied on the server; the device never hears), so the device must replay it.
actor LosingTransport: SyncTransport {
    let base: any SyncTransport
    private(set) var lostPushes = 0
    private(set) var pushes: [PushRequest] = []

    init(_ base: any SyncTransport) { self.base = base }

    func push(_ request: PushRequest) async throws -> PushResponse {
        pushes.append(request)
        let response = try await base.push(request)
        if lostPushes == 0 {
            lostPushes += 1
            throw SyncTransportError.network("the connection dropped before the answer arrived")
        }
        return response
    }

    func pull(_ request: PullRequest) async throws -> PullResponse { try await base.pull(request) }
    func schema() async throws -> SchemaResponse { try await base.schema() }
}
