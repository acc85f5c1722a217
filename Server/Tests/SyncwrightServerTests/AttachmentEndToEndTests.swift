import Crypto
import Foundation
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// Devices with attachments against the real server over loopback: files uploaded
/// before the changes that need them, downloaded by a second device, resumed after an
/// interruption, and never in the way of changes that don't need them.
@Suite("Attachments end to end")
struct AttachmentEndToEndTests {
    static let customer = UUID(uuidString: FieldService.id("c", 1))!

    static func newOrder(_ device: Device, number: Int, photo: SyncAttachment?) async throws -> UUID {
        let id = UUID()
        try await device.insert("WorkOrder", [
            "id": id.databaseValue, "number": number.databaseValue, "customerId": customer.databaseValue,
            "assigneeId": UUID(uuidString: FieldService.ann)!.databaseValue, "status": "open".databaseValue,
            "photo": photo?.databaseValue ?? .null,
        ])
        return id
    }

    @Test(arguments: DatabaseKind.underTest)
    func aLargeFileAndAHundredSmallOnesReachTheServerAndASecondDevice(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let phone = try await Device(server: server, claims: FieldService.annClaims)
        let tablet = try await Device(server: server, claims: FieldService.annClaims)
        try await phone.engine.sync()

        let large = AttachmentEndpointTests.bytes(20 << 20, seed: 5)
        let video = try phone.store.importAttachment(large, mediaType: "video/mp4")
        #expect(video.size == Int64(large.count))
        #expect(video.sha256 == AttachmentEndpointTests.hash(large), "the device's hash is the server's")
        try await phone.update("WorkOrder", id: FieldService.id("e", 1), ["photo": video.databaseValue])
        var small: [UUID: Data] = [:]
        for number in 0..<100 {
            let bytes = AttachmentEndpointTests.bytes(2_000 + number, seed: UInt8(number))
            let photo = try phone.store.importAttachment(bytes, mediaType: "image/jpeg")
            small[try await Self.newOrder(phone, number: 5_000 + number, photo: photo)] = bytes
        }

        let report = try await phone.engine.sync()
        #expect(report.attachmentsUploaded == 101)
        #expect(report.pushed == 101)
        #expect(report.rejected == 0)
        #expect(try await phone.store.pendingChangeCount() == 0)
        let stored = try await server.service.attachments?.storedFiles()
        #expect(stored?.count == 101)
        let onServer = try await server.database.read(
            "SELECT count(*) FROM work_orders WHERE photo IS NOT NULL", []).first?.first?.integer
        #expect(onServer == 101)

        let pulled = try await tablet.engine.sync()
        #expect(pulled.attachmentsDownloaded == 101, "the technician's subset downloads its photos eagerly")
        let url = try #require(tablet.store.fileURL(for: video))
        #expect(try Data(contentsOf: url) == large)
        for (id, bytes) in small.prefix(5) {
            let text = try #require(try tablet.value("work_orders", "photo", id: id.uuidString)?.storage)
            guard case .string(let reference) = text, let attachment = SyncAttachment(referenceText: reference) else {
                Issue.record("no photo on \(id)")
                continue
            }
            #expect(try Data(contentsOf: try #require(tablet.store.fileURL(for: attachment))) == bytes)
        }
        // Nothing left to move: a second sync transfers nothing.
        let again = try await tablet.engine.sync()
        #expect(again.attachmentsDownloaded == 0)
        // The order leaves Ann's subset: its file leaves her tablet with it.
        try await FieldService.sql(server.database,
            "UPDATE work_orders SET assignee_id = '\(FieldService.bob)' WHERE id = '\(FieldService.id("e", 1))'")
        _ = try await tablet.engine.sync()
        #expect(tablet.store.fileURL(for: video) == nil)
        let other = try #require(try tablet.value("work_orders", "photo", id: small.keys.first!.uuidString).flatMap(SyncAttachment.fromDatabaseValue))
        #expect(tablet.store.fileURL(for: other) != nil, "the other orders' files stay")
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func anInterruptedTransferResumesWhereItStopped(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let failing = Locked(true)
        let counter = Locked<Int64>(0)
        let phone = try await Device(server: server, claims: FieldService.annClaims,
                                     transport: { CuttingTransport(base: $0, failAfterPieces: 3, failing: failing, bytesSent: counter) },
                                     attachmentPieceSize: 256 << 10)
        try await phone.engine.sync()
        let bytes = AttachmentEndpointTests.bytes(3 << 20, seed: 77)
        let photo = try phone.store.importAttachment(bytes, mediaType: "image/png")
        try await phone.update("WorkOrder", id: FieldService.id("e", 1), ["photo": photo.databaseValue, "notes": "valve".databaseValue])
        // A change that needs no file goes through while the photo can't.
        let line = UUID()
        try await phone.insert("WorkOrderLine", ["id": line.databaseValue, "workOrderId": UUID(uuidString: FieldService.id("e", 1))!.databaseValue,
                                                 "productId": UUID(uuidString: FieldService.id("d", 1))!.databaseValue,
                                                 "quantity": 1.databaseValue])
        await #expect(throws: SyncFailure.self) { try await phone.engine.sync() }
        let lines = try await server.database.read("SELECT count(*) FROM work_order_lines", []).first?.first?.integer
        #expect(lines == 3, "the line didn't wait for the photo")
        #expect(try await phone.store.pendingChangeCount() == 1, "the order's change waits for its file")
        let notes = try await server.database.read("SELECT notes FROM work_orders WHERE number = 100", []).first?.first
        #expect(notes == .null)
        let why = try phone.store.explain(entity: "WorkOrder", key: UUID(uuidString: FieldService.id("e", 1))!.databaseValue)
        #expect(why.filesToUpload.map(\.attachment) == [photo])
        #expect(why.verdict.hasPrefix("waiting for its file (3145728 bytes, image/png) to upload; the last try failed:"), "\(why.verdict)")
        let sentBefore = counter.withValue { $0 }
        #expect(sentBefore == 3 * 256 << 10)

        failing.withValue { $0 = false }
        let report = try await phone.engine.sync()
        #expect(report.attachmentsUploaded == 1)
        #expect(report.pushed == 1)
        #expect(counter.withValue { $0 } == Int64(bytes.count), "every byte was sent once: the upload went on from the server's offset")
        let stored = try await server.database.read("SELECT photo FROM work_orders WHERE number = 100", []).first?.first
        #expect(stored?.text == photo.referenceText)

        // A download cut off goes on from the bytes the device has.
        let tabletCounter = Locked<Int64>(0)
        let tabletFailing = Locked(true)
        let tablet = try await Device(server: server, claims: FieldService.annClaims,
                                      transport: { CuttingTransport(base: $0, failAfterPieces: 5, failing: tabletFailing, bytesSent: tabletCounter) },
                                      attachmentPieceSize: 256 << 10)
        await #expect(throws: SyncFailure.self) { try await tablet.engine.sync() }
        #expect(tablet.store.fileURL(for: photo) == nil)
        tabletFailing.withValue { $0 = false }
        let second = try await tablet.engine.sync()
        #expect(second.attachmentsDownloaded == 1)
        #expect(tabletCounter.withValue { $0 } == Int64(bytes.count), "every byte was fetched once")
        #expect(try Data(contentsOf: try #require(tablet.store.fileURL(for: photo))) == bytes)
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func aFileTheServerRefusesSetsItsChangesAsideAndUnreferencedFilesGo(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(service: try await FieldService.service(kind, maximumAttachmentSize: 64 << 10))
        try await FieldService.seed(server.database)
        let phone = try await Device(server: server, claims: FieldService.annClaims)
        try await phone.engine.sync()
        let big = try phone.store.importAttachment(AttachmentEndpointTests.bytes(100 << 10), mediaType: "image/jpeg")
        let fine = try phone.store.importAttachment(AttachmentEndpointTests.bytes(10 << 10, seed: 3), mediaType: "image/jpeg")
        let refusedOrder = try await Self.newOrder(phone, number: 7_001, photo: big)
        _ = try await Self.newOrder(phone, number: 7_002, photo: fine)
        let line = UUID()
        try await phone.insert("WorkOrderLine", ["id": line.databaseValue, "workOrderId": refusedOrder.databaseValue,
                                                 "productId": UUID(uuidString: FieldService.id("d", 1))!.databaseValue,
                                                 "quantity": 1.databaseValue])
        let report = try await phone.engine.sync()
        #expect(report.attachmentsRefused == 1)
        #expect(report.attachmentsUploaded == 1)
        #expect(report.pushed == 1)
        let groups = try phone.store.rejectedChangeGroups()
        #expect(groups.count == 1)
        #expect(groups.first?.cause.code == .attachmentRefused)
        #expect(groups.first?.cause.reason.contains("65536") == true, "\(groups.first?.cause.reason ?? "")")
        #expect(groups.first?.dependents.map(\.code) == [.dependsOnRejected], "the line needed the refused order")
        #expect(try await phone.store.pendingChangeCount() == 0)

        // Discarded, the big file is referenced by nothing and goes with the next collection.
        for group in groups { try phone.store.discard(group.cause) }
        #expect(phone.store.fileURL(for: big) != nil)
        #expect(try await phone.store.collectAttachments(before: Date().addingTimeInterval(60)) == 1)
        #expect(phone.store.fileURL(for: big) == nil)
        #expect(phone.store.fileURL(for: fine) != nil, "still referenced by its order")
        await server.stop()
    }
}

extension AttachmentEndToEndTests {
    @Test(arguments: DatabaseKind.underTest)
    func aFileTheServerLostIsSentAgainWhenItsChangeIsRetried(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let phone = try await Device(server: server, claims: FieldService.annClaims)
        try await phone.engine.sync()
        let photo = try phone.store.importAttachment(AttachmentEndpointTests.bytes(20_000, seed: 8), mediaType: "image/jpeg")
        _ = try await Self.newOrder(phone, number: 8_001, photo: photo)
        #expect(try await phone.engine.sync().attachmentsUploaded == 1)
        // The server loses the file; the phone, thinking it uploaded, references it again.
        try await server.service.attachments?.delete(photo.sha256)
        _ = try await Self.newOrder(phone, number: 8_002, photo: photo)
        let refused = try await phone.engine.sync()
        #expect(refused.changes.map(\.outcome) == [.refused(.attachmentMissing)])
        #expect(refused.attachmentsUploaded == 1, "the phone has the file: it goes up again in the same sync")
        #expect(try await server.service.attachments?.storedSize(of: photo.sha256) == photo.size)
        let change = try #require(try phone.store.rejectedChanges().first)
        try phone.store.retry(change)
        let retried = try await phone.engine.sync()
        #expect(retried.pushed == 1, "retried, the change finds its file")
        #expect(try await server.service.attachments?.storedSize(of: photo.sha256) == photo.size)
        await server.stop()
    }
}

/// Passes everything through, but while `failing` is set, the attachment piece after
/// `failAfterPieces` fails with a network error every time; counts the file bytes sent
/// or received.
struct CuttingTransport: SyncTransport {
    let base: any SyncTransport
    let failAfterPieces: Int
    let failing: Locked<Bool>
    let bytesSent: Locked<Int64>
    let pieces = Locked(0)

    func push(_ request: PushRequest) async throws -> PushResponse { try await base.push(request) }
    func pull(_ request: PullRequest) async throws -> PullResponse { try await base.pull(request) }
    func schema() async throws -> SchemaResponse { try await base.schema() }
    func attachmentUploadState(_ target: AttachmentUploadTarget) async throws -> AttachmentUploadState {
        try await base.attachmentUploadState(target)
    }

    private func piece() throws {
        let count = pieces.withValue { value -> Int in
            value += 1
            return value
        }
        if failing.withValue({ $0 }), count > failAfterPieces {
            throw SyncTransportError.network("the connection dropped")
        }
    }

    func uploadAttachment(_ target: AttachmentUploadTarget, offset: Int64, bytes: Data) async throws -> AttachmentUploadState {
        try piece()
        let state = try await base.uploadAttachment(target, offset: offset, bytes: bytes)
        bytesSent.withValue { $0 += Int64(bytes.count) }
        return state
    }

    func downloadAttachment(_ attachment: SyncAttachment, subset: String, range: Range<Int64>) async throws -> Data {
        try piece()
        let data = try await base.downloadAttachment(attachment, subset: subset, range: range)
        bytesSent.withValue { $0 += Int64(data.count) }
        return data
    }
}

/// `attachments: on-demand` and `never`, on a schema of their own.
@Suite("Attachments on demand and never")
struct AttachmentDownloadModeTests {
    static let schema = """
        syncwright: 1
        name: Shop
        entities:
          Item:
            fields: { id: uuid, owner: uuid, picture: attachment? }
          Receipt:
            fields: { id: uuid, owner: uuid, scan: attachment? }
        subsets:
          clerk:
            parameters: { userId: { claim: sub, type: uuid } }
            entities:
              Item: { rows: owner == $userId, access: read-write }
              Receipt: { rows: owner == $userId, access: read-write, attachments: never }
        """

    static func device(_ server: LiveServer, _ model: SchemaModel, user: String) async throws -> (SyncStore, SyncEngine) {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-shop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try SyncStore(path: folder.appending(path: "device.sqlite").path, model: SyncModel(schema: model, subset: "clerk"))
        let token = try await LiveServer.token(["sub": .string(user)])
        let engine = SyncEngine(store: store, transport: HTTPSyncTransport(baseURL: server.baseURL, timeout: 20) { token },
                                configuration: SyncConfiguration(syncOnStart: false, retry: RetryPolicy(maximumAttempts: 1)))
        return (store, engine)
    }

    @Test(arguments: DatabaseKind.underTest)
    func onDemandFilesComeWhenAskedAndNeverOnesNever(_ kind: DatabaseKind) async throws {
        let model = try #require(SchemaLoader.load(SchemaFile(path: "shop.yaml", text: Self.schema)).model)
        let service = SyncService(schema: model, database: try await TestDatabases.make(kind), logger: TestDatabases.logger,
                                  attachments: try FieldService.attachmentStorage())
        try await service.prepare()
        let server = try await LiveServer.start(service: service)
        let user = UUID().uuidString.lowercased()
        let (register, registerEngine) = try await Self.device(server, model, user: user)
        let pictureBytes = AttachmentEndpointTests.bytes(50_000, seed: 1), scanBytes = AttachmentEndpointTests.bytes(60_000, seed: 2)
        let picture = try register.importAttachment(pictureBytes, mediaType: "image/png")
        let scan = try register.importAttachment(scanBytes, mediaType: "application/pdf")
        try await register.write { transaction in
            try transaction.apply(LocalChange(entity: "Item", kind: .insert, values: [
                "id": UUID().databaseValue, "owner": UUID(uuidString: user)!.databaseValue, "picture": picture.databaseValue]))
            try transaction.apply(LocalChange(entity: "Receipt", kind: .insert, values: [
                "id": UUID().databaseValue, "owner": UUID(uuidString: user)!.databaseValue, "scan": scan.databaseValue]))
        }
        let uploaded = try await registerEngine.sync()
        #expect(uploaded.attachmentsUploaded == 2, "a device may upload a file for a field whose downloads are `never`")
        #expect(uploaded.pushed == 2)

        let (tablet, tabletEngine) = try await Self.device(server, model, user: user)
        let pulled = try await tabletEngine.sync()
        #expect(pulled.pulled.values.reduce(0, +) == 2)
        #expect(pulled.attachmentsDownloaded == 0, "neither entity downloads during sync")
        #expect(tablet.fileURL(for: picture) == nil)
        let url = try await tabletEngine.attachment(for: picture)
        #expect(try Data(contentsOf: url) == pictureBytes)
        #expect(tablet.fileURL(for: picture) == url)
        await #expect(throws: SyncTransportError.self) { try await tabletEngine.attachment(for: scan) }
        #expect(tablet.fileURL(for: scan) == nil)
        // Another user's device: no row of theirs references the picture.
        let (_, strangerEngine) = try await Self.device(server, model, user: UUID().uuidString.lowercased())
        _ = try await strangerEngine.sync()
        await #expect(throws: SyncTransportError.self) { try await strangerEngine.attachment(for: picture) }
        await server.stop()
    }
}
