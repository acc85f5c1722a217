import Foundation
@testable import Syncwright
import Testing

/// The store's side of attachments, without a server: adding files, which changes wait
/// for an upload and which go on, and collecting files nothing references.
@Suite("Attachments in the store")
struct AttachmentStoreTests {
    static let model = SyncModel(schemaName: "Album", subset: "owner", schemaHash: "album-1", entities: [
        SyncEntityDescriptor(name: "Album", tableName: "album", keyColumn: "id", columns: [
            SyncColumn("id", .uuid), SyncColumn("title", .string), SyncColumn("cover", .attachment, nullable: true, download: .eager),
        ], access: .readWrite, unit: "albums"),
        SyncEntityDescriptor(name: "Photo", tableName: "photo", keyColumn: "id", columns: [
            SyncColumn("id", .uuid), SyncColumn("albumId", .uuid, references: "Album"),
            SyncColumn("file", .attachment, nullable: true),
        ], access: .readWrite, unit: "albums"),
    ])

    static func insert(_ store: SyncStore, _ entity: String, _ values: [String: DatabaseValue]) throws {
        try store.write { try $0.apply(LocalChange(entity: entity, kind: .insert, values: values)) }
    }

    @Test("a file is copied and hashed as it is added; the same bytes twice are kept once; a bad media type changes nothing")
    func adding() throws {
        let temporary = try TemporaryStore(model: Self.model)
        let bytes = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 131) })
        let source = temporary.folder.appending(path: "photo.jpg")
        try bytes.write(to: source)
        let fromFile = try temporary.store.importAttachment(contentsOf: source, mediaType: "Image/JPEG")
        #expect(fromFile.size == 3_000_000)
        #expect(fromFile.mediaType == "image/jpeg")
        #expect(fromFile.sha256 == ContentHasher.hexDigest(Array(bytes)))
        let fromData = try temporary.store.importAttachment(bytes, mediaType: "image/jpeg")
        #expect(fromData == fromFile)
        let url = try #require(temporary.store.fileURL(for: fromFile))
        #expect(try Data(contentsOf: url) == bytes)
        let files = try FileManager.default.contentsOfDirectory(atPath: temporary.store.attachmentsDirectory.path)
        #expect(files == [fromFile.sha256], "one copy, no leftovers")
        #expect(throws: SyncStoreError.self) { try temporary.store.importAttachment(bytes, mediaType: "jpeg") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: temporary.store.attachmentsDirectory.path).count == 1)
    }

    @Test("a change waits for its file, with later changes to its row and rows pointing at a waiting insert; the others go on")
    func waitingChanges() async throws {
        let temporary = try TemporaryStore(model: Self.model)
        let store = temporary.store
        let cover = try store.importAttachment(Data("cover".utf8), mediaType: "image/png")
        let waitingAlbum = UUID(), readyAlbum = UUID(), childOfWaiting = UUID(), childOfReady = UUID()
        try Self.insert(store, "Album", ["id": waitingAlbum.databaseValue, "title": "Trip".databaseValue, "cover": cover.databaseValue])
        try Self.insert(store, "Album", ["id": readyAlbum.databaseValue, "title": "Plain".databaseValue])
        try Self.insert(store, "Photo", ["id": childOfWaiting.databaseValue, "albumId": waitingAlbum.databaseValue])
        try Self.insert(store, "Photo", ["id": childOfReady.databaseValue, "albumId": readyAlbum.databaseValue])

        let uploads = try await store.pendingUploads()
        #expect(uploads.map(\.target) == [AttachmentUploadTarget(attachment: cover, subset: "owner", entity: "Album", field: "cover")])
        let batch = try await store.nextPushBatch(limit: 10)
        #expect(Set(batch.map(\.key)) == [.string(readyAlbum.uuidString.lowercased()), .string(childOfReady.uuidString.lowercased())])
        let unsent = try await store.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM syncwright_outbox WHERE sent = 0") }
        #expect(unsent == 2, "the waiting ones are not marked sent")

        try await store.markUploaded(cover.sha256)
        let next = try await store.nextPushBatch(limit: 10, after: batch)
        #expect(next.map(\.key) == [.string(waitingAlbum.uuidString.lowercased()), .string(childOfWaiting.uuidString.lowercased())])
        #expect(next.first?.values?["cover"] == .string(cover.referenceText))
    }

    @Test("collection removes what nothing references: a downloaded file at once, a file added here after its grace")
    func collection() async throws {
        let temporary = try TemporaryStore(model: Self.model)
        let store = temporary.store
        let kept = try store.importAttachment(Data("kept".utf8), mediaType: "image/png")
        let fresh = try store.importAttachment(Data("fresh".utf8), mediaType: "image/png")
        try Self.insert(store, "Album", ["id": UUID().databaseValue, "title": "A".databaseValue, "cover": kept.databaseValue])
        // A file that came from the server (no record of its own) and a download cut short.
        let downloaded = SyncAttachment(sha256: String(repeating: "ab", count: 32), size: 4, mediaType: "image/png")!
        try Data("abcd".utf8).write(to: store.attachmentsDirectory.appending(path: downloaded.sha256))
        try Data("ab".utf8).write(to: store.attachmentsDirectory.appending(path: String(repeating: "cd", count: 32) + ".part"))

        #expect(try await store.collectAttachments(before: Date().addingTimeInterval(-60)) == 2, "the download and the partial one")
        #expect(store.fileURL(for: downloaded) == nil)
        #expect(store.fileURL(for: fresh) != nil, "added a moment ago: it may not be in a row yet")
        #expect(try await store.collectAttachments(before: Date().addingTimeInterval(60)) == 1)
        #expect(store.fileURL(for: fresh) == nil)
        #expect(store.fileURL(for: kept) != nil)
    }
}
