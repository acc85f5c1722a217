import Crypto
import Foundation
import Syncwright
@testable import SyncwrightServer
import Testing

/// The attachment routes over HTTP on both databases: uploads in pieces, resumed and
/// checked by hash; downloads with Range, only of files a visible row references;
/// pushes that reference a file; garbage collection.
@Suite("Attachments: upload, download, push and collection")
struct AttachmentEndpointTests {
    static func bytes(_ count: Int, seed: UInt8 = 1) -> Data {
        Data((0..<count).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed) &* 13 &+ ($0 >> 8)) })
    }

    static func hash(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    static func reference(_ data: Data, type: String = "image/jpeg") -> String {
        "sha256:\(hash(data)) \(data.count) \(type)"
    }

    static func uploadPath(_ data: Data, entity: String = "WorkOrder", field: String = "photo", size: Int? = nil, offset: Int? = nil) -> String {
        "/v1/attachments/\(hash(data))/upload?subset=technician&entity=\(entity)&field=\(field)&size=\(size ?? data.count)"
            + (offset.map { "&offset=\($0)" } ?? "")
    }

    static func setPhoto(_ server: LiveServer, order: String, _ reference: String, claims: [String: JSONValue] = FieldService.annClaims,
                         base: Int64? = nil) async throws -> PushResult {
        let version = try await server.database.read(
            "SELECT version FROM work_orders WHERE id = \(server.database.dialect.placeholder(1))\(server.database.dialect.cast(for: .uuid))",
            [.text(order)]).first?.first?.integer
        let op = SyncServicePushTests.op(.update, "WorkOrder", order, base: base ?? version, ["photo": .string(reference)])
        return try await server.service.push(PushRequest(clientId: "device-\(UUID())", subset: "technician",
                                                         schemaHash: server.service.schema.schemaHash, ops: [op]),
                                             claims: claims).results[0]
    }

    @Test(arguments: DatabaseKind.underTest)
    func anInterruptedUploadResumesAndAPushNeedsTheFile(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await LiveServer.token(FieldService.annClaims)
        let photo = Self.bytes(300_000)
        let order = FieldService.id("e", 1)

        // The change alone is refused: the server doesn't have the file.
        let early = try await Self.setPhoto(server, order: order, Self.reference(photo))
        #expect(early.status == .rejected)
        #expect(early.code == "attachment_missing")
        #expect(early.row != nil, "the refusal of an update carries the row, as every refusal does")

        let fresh = try await HTTPTests.send(server, "GET", Self.uploadPath(photo), token: ann)
        #expect(fresh.status == 200)
        #expect(fresh.json["stored"] as? Bool == false)
        #expect(fresh.json["offset"] as? Int == 0)
        // The first 100,000 bytes, then the connection "drops".
        let first = try await HTTPTests.send(server, "PUT", Self.uploadPath(photo, offset: 0), token: ann, body: photo.prefix(100_000))
        #expect(first.status == 200)
        #expect(first.json["offset"] as? Int == 100_000)
        #expect(first.json["stored"] as? Bool == false)
        let state = try await HTTPTests.send(server, "GET", Self.uploadPath(photo), token: ann)
        #expect(state.json["offset"] as? Int == 100_000, "the device learns where to go on")
        // Sending from the start again is refused with where the server stands.
        let again = try await HTTPTests.send(server, "PUT", Self.uploadPath(photo, offset: 0), token: ann, body: photo)
        #expect(again.status == 409)
        #expect(again.error == "upload_offset_mismatch")
        #expect(again.message.contains("offset 100000"))
        let rest = try await HTTPTests.send(server, "PUT", Self.uploadPath(photo, offset: 100_000), token: ann, body: photo.dropFirst(100_000))
        #expect(rest.status == 200)
        #expect(rest.json["stored"] as? Bool == true)
        #expect(try await server.service.attachments?.storedSize(of: Self.hash(photo)) == Int64(photo.count))

        let applied = try await Self.setPhoto(server, order: order, Self.reference(photo, type: "Image/JPEG"))
        #expect(applied.status == .applied)
        #expect(applied.row?["photo"] == .string(Self.reference(photo)), "stored in its canonical form")
        let stored = try await HTTPTests.send(server, "GET", Self.uploadPath(photo), token: ann)
        #expect(stored.json["stored"] as? Bool == true, "a row Ann sees references it now")
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func badUploadsAreRefusedAndChangeNothing(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await LiveServer.token(FieldService.annClaims)
        let photo = Self.bytes(5_000)
        var wrong = photo
        wrong[10] ^= 0xFF
        let mismatch = try await HTTPTests.send(server, "PUT", Self.uploadPath(photo, offset: 0), token: ann, body: wrong)
        #expect(mismatch.status == 422)
        #expect(mismatch.error == "hash_mismatch")
        #expect(try await server.service.attachments?.storedSize(of: Self.hash(photo)) == nil)
        let after = try await HTTPTests.send(server, "GET", Self.uploadPath(photo), token: ann)
        #expect(after.json["offset"] as? Int == 0, "the bad bytes were dropped")

        let tooLong = try await HTTPTests.send(server, "PUT", Self.uploadPath(photo, size: 100, offset: 0), token: ann, body: photo)
        #expect(tooLong.status == 413)
        let readOnly = try await HTTPTests.send(server, "GET", Self.uploadPath(photo, entity: "Customer", field: "name"), token: ann)
        #expect(readOnly.status == 403)
        #expect(readOnly.error == "upload_forbidden")
        let notAttachment = try await HTTPTests.send(server, "GET", Self.uploadPath(photo, field: "notes"), token: ann)
        #expect(notAttachment.status == 403)
        let overCap = try await HTTPTests.send(server, "GET", Self.uploadPath(photo, size: 26 << 20), token: ann)
        #expect(overCap.status == 413)
        #expect(overCap.error == "attachment_too_large")
        #expect(overCap.message.contains("26214400"), "the schema's 25 MB cap: \(overCap.message)")
        let noToken = try await HTTPTests.send(server, "GET", Self.uploadPath(photo))
        #expect(noToken.status == 401)
        let badHash = try await HTTPTests.send(server, "GET", "/v1/attachments/xyz?subset=technician", token: ann)
        #expect(badHash.status == 422)
        let wrongMethod = try await HTTPTests.send(server, "POST", Self.uploadPath(photo), token: ann)
        #expect(wrongMethod.status == 405)
        // An empty file is a file too.
        let empty = Data()
        let emptyUpload = try await HTTPTests.send(server, "PUT", Self.uploadPath(empty, offset: 0), token: ann, body: empty)
        #expect(emptyUpload.status == 200)
        #expect(emptyUpload.json["stored"] as? Bool == true)
        #expect(try await server.service.attachments?.storedSize(of: Self.hash(empty)) == 0)
        // A change referencing a file over the cap is refused before anything else.
        let huge = "sha256:\(Self.hash(photo)) \(30 << 20) image/jpeg"
        let refused = try await Self.setPhoto(server, order: FieldService.id("e", 1), huge)
        #expect(refused.code == "attachment_too_large")
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func downloadsTakeRangesAndOnlyFilesAVisibleRowReferences(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await LiveServer.token(FieldService.annClaims)
        let bob = try await LiveServer.token(FieldService.bobClaims)
        let photo = Self.bytes(2_500_000, seed: 9)
        let upload = try await HTTPTests.send(server, "PUT", Self.uploadPath(photo, offset: 0), token: ann, body: photo)
        #expect(upload.json["stored"] as? Bool == true)
        // Uploaded but not referenced yet: nobody may download it.
        let path = "/v1/attachments/\(Self.hash(photo))?subset=technician"
        #expect(try await HTTPTests.send(server, "GET", path, token: ann).status == 404)
        #expect(try await Self.setPhoto(server, order: FieldService.id("e", 1), Self.reference(photo)).status == .applied)

        let whole = try await HTTPTests.send(server, "GET", path, token: ann)
        #expect(whole.status == 200)
        #expect(whole.body == photo)
        #expect(whole.headers["accept-ranges"] == "bytes")
        let part = try await HTTPTests.send(server, "GET", path, token: ann, headers: ["Range": "bytes=1000000-1000009"])
        #expect(part.status == 206)
        #expect(part.body == photo[1_000_000..<1_000_010])
        #expect(part.headers["content-range"] == "bytes 1000000-1000009/2500000")
        let tail = try await HTTPTests.send(server, "GET", path, token: ann, headers: ["Range": "bytes=2400000-"])
        #expect(tail.body == photo.suffix(100_000))
        let outside = try await HTTPTests.send(server, "GET", path, token: ann, headers: ["Range": "bytes=3000000-"])
        #expect(outside.status == 416)
        #expect(outside.headers["content-range"] == "bytes */2500000")

        // Bob sees no row that references it: the same answer as for a file nobody has.
        let foreign = try await HTTPTests.send(server, "GET", path, token: bob)
        let unknown = try await HTTPTests.send(server, "GET", "/v1/attachments/\(String(repeating: "ab", count: 32))?subset=technician", token: bob)
        #expect(foreign.status == 404)
        #expect(foreign.error == "attachment_not_found")
        #expect(foreign.status == unknown.status && foreign.error == unknown.error && foreign.message == unknown.message)
        // Nor does asking to upload it tell Bob it exists: he sends the bytes like anyone.
        let bobState = try await HTTPTests.send(server, "GET", Self.uploadPath(photo), token: bob)
        #expect(bobState.json["stored"] as? Bool == false)
        #expect(bobState.json["offset"] as? Int == 0)
        let bobUpload = try await HTTPTests.send(server, "PUT", Self.uploadPath(photo, offset: 0), token: bob, body: photo)
        #expect(bobUpload.json["stored"] as? Bool == true)
        #expect(try await server.service.attachments?.storedFiles().count == 1, "the same bytes are stored once")
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func filesNoRowReferencesAreCollectedAfterTheirGracePeriod(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await LiveServer.token(FieldService.annClaims)
        let kept = Self.bytes(1_000, seed: 1), replaced = Self.bytes(1_000, seed: 2), orphan = Self.bytes(1_000, seed: 3)
        let partial = Self.bytes(1_000, seed: 4)
        for file in [kept, replaced, orphan] {
            #expect(try await HTTPTests.send(server, "PUT", Self.uploadPath(file, offset: 0), token: ann, body: file).status == 200)
        }
        _ = try await HTTPTests.send(server, "PUT", Self.uploadPath(partial, offset: 0), token: ann, body: partial.prefix(10))
        let order = FieldService.id("e", 1)
        #expect(try await Self.setPhoto(server, order: order, Self.reference(replaced)).status == .applied)
        #expect(try await Self.setPhoto(server, order: order, Self.reference(kept)).status == .applied)

        // Within the grace period nothing goes: a device may not have pushed its change yet.
        let early = try await server.service.collectAttachments(before: Date().addingTimeInterval(-3_600))
        #expect(early == AttachmentCollection())
        let collected = try await server.service.collectAttachments(before: Date().addingTimeInterval(60))
        #expect(collected.files == 2, "the replaced photo and the one never referenced")
        #expect(collected.uploads == 1)
        let storage = try #require(server.service.attachments)
        #expect(try await storage.storedSize(of: Self.hash(kept)) == 1_000)
        #expect(try await storage.storedSize(of: Self.hash(replaced)) == nil)
        #expect(try await storage.storedSize(of: Self.hash(orphan)) == nil)
        let download = try await HTTPTests.send(server, "GET", "/v1/attachments/\(Self.hash(kept))?subset=technician", token: ann)
        #expect(download.body == kept)
        await server.stop()
    }
}
