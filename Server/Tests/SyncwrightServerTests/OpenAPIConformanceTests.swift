import Foundation
import Syncwright
@testable import SyncwrightServer
import Testing

/// docs/openapi.yaml against the server's real responses: every documented route and
/// status is exercised, and every body validates (Python's reference jsonschema).
@Suite("docs/openapi.yaml matches the server")
struct OpenAPIConformanceTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Recorder {
        var exchanges: [[String: Any]] = []
        let server: LiveServer

        /// - Parameter route: The documented path, when `path` fills in its parameters.
        mutating func send(_ method: String, _ path: String, route: String? = nil, token: String?, request: Any? = nil,
                           rawBody: Data? = nil, headers: [String: String] = [:]) async throws -> HTTPTests.Reply {
            let body = try rawBody ?? request.map { try JSONSerialization.data(withJSONObject: $0) }
            let reply = try await HTTPTests.send(server, method, path, token: token, headers: headers, body: body)
            var exchange: [String: Any] = ["method": method, "path": route ?? path, "status": reply.status,
                                           "response": (try? JSONSerialization.jsonObject(with: reply.body)) ?? NSNull()]
            if let request { exchange["request"] = request }
            exchanges.append(exchange)
            return reply
        }
    }

    @Test func everyDocumentedRouteAndStatusValidates() async throws {
        let server = try await LiveServer.start(.sqlite)
        try await FieldService.seed(server.database)
        let hash = server.service.schema.schemaHash
        let ann = try await LiveServer.token(FieldService.annClaims)
        let noRegion = try await LiveServer.token(["sub": .string(FieldService.ann)])
        var recorder = Recorder(server: server)

        #expect(try await recorder.send("GET", "/health", token: nil).status == 200)
        #expect(try await recorder.send("GET", "/v1/schema", token: ann).status == 200)
        #expect(try await recorder.send("GET", "/v1/schema", token: nil).status == 401)

        let pull: [String: Any] = ["subset": "technician", "schemaHash": hash, "units": ["jobs": NSNull()], "limit": 100]
        let first = try await recorder.send("POST", "/v1/pull", token: ann, request: pull)
        #expect(first.status == 200)
        let cursor = try #require((first.json["units"] as? [String: String])?["jobs"])
        try await FieldService.sql(server.database,
            "UPDATE work_orders SET assignee_id = '\(FieldService.bob)' WHERE id = '\(FieldService.id("e", 1))'")
        let removals = try await recorder.send("POST", "/v1/pull", token: ann,
                                               request: ["subset": "technician", "schemaHash": hash, "units": ["jobs": cursor], "limit": 100])
        #expect((removals.json["changes"] as? [[String: Any]])?.first?["op"] as? String == "remove")
        var waiting = pull
        waiting["units"] = ["jobs": try #require((removals.json["units"] as? [String: String])?["jobs"])]
        waiting["wait"] = 0.2
        let waited = try await recorder.send("POST", "/v1/pull", token: ann, request: waiting)
        #expect(waited.status == 200)
        #expect((waited.json["changes"] as? [Any])?.isEmpty == true, "nothing new: an empty page after the wait")
        #expect(try await recorder.send("POST", "/v1/pull", token: nil, request: pull).status == 401)
        #expect(try await recorder.send("POST", "/v1/pull", token: noRegion, request: pull).status == 403)
        var stale = pull
        stale["schemaHash"] = String(repeating: "0", count: 64)
        #expect(try await recorder.send("POST", "/v1/pull", token: ann, request: stale).status == 409)
        let bobToken = try await LiveServer.token(FieldService.bobClaims)
        #expect(try await recorder.send("POST", "/v1/pull", token: bobToken,
                                        request: ["subset": "technician", "schemaHash": hash, "units": ["jobs": cursor], "limit": 10]).status == 410)
        #expect(try await recorder.send("POST", "/v1/pull", token: ann, rawBody: Data("[]".utf8)).status == 422)
        #expect(try await recorder.send("POST", "/v1/pull", token: ann, rawBody: Data("{}".utf8),
                                        headers: ["Content-Encoding": "gzip"]).status == 422)
        let bomb = try Gzip.compress(Data(repeating: 32, count: ServerLimits().maximumDecompressedBodyBytes + 1))
        #expect(try await recorder.send("POST", "/v1/pull", token: ann, rawBody: bomb, headers: ["Content-Encoding": "gzip"]).status == 413)

        let order = FieldService.id("e", 2)
        let push: [String: Any] = ["clientId": "openapi", "subset": "technician", "schemaHash": hash, "ops": [
            ["opId": "a", "entity": "WorkOrderLine", "kind": "insert", "key": FieldService.id("5", 5),
             "values": ["id": FieldService.id("5", 5), "workOrderId": order, "productId": FieldService.id("d", 1), "quantity": 2]],
            ["opId": "b", "entity": "WorkOrder", "kind": "update", "key": order, "baseVersion": 1, "values": ["notes": "x"]],
            ["opId": "c", "entity": "Customer", "kind": "delete", "key": FieldService.id("c", 2), "baseVersion": 1],
            ["opId": "d", "entity": "WorkOrder", "kind": "insert", "key": FieldService.id("5", 6),
             "values": ["id": FieldService.id("5", 6), "number": 6, "customerId": FieldService.id("c", 2),
                        "assigneeId": FieldService.bob, "status": "cancelled"]],
            // Refused (Ann's order), and a line of it, refused with it.
            ["opId": "e", "entity": "WorkOrder", "kind": "insert", "key": FieldService.id("5", 7),
             "values": ["id": FieldService.id("5", 7), "number": 7, "customerId": FieldService.id("c", 2),
                        "assigneeId": FieldService.ann]],
            ["opId": "f", "entity": "WorkOrderLine", "kind": "insert", "key": FieldService.id("5", 8),
             "values": ["id": FieldService.id("5", 8), "workOrderId": FieldService.id("5", 7), "productId": FieldService.id("d", 1),
                        "quantity": 1]],
        ]]
        let pushed = try await recorder.send("POST", "/v1/push", token: bobToken, request: push)
        let results = pushed.json["results"] as? [[String: Any]]
        #expect(results?.compactMap { $0["status"] as? String } == ["applied", "conflict", "rejected", "applied", "rejected", "rejected"])
        #expect(results?[3]["leftSubset"] as? Bool == true)
        #expect(results?.last?["code"] as? String == "depends_on_rejected")
        #expect(results?.last?["dependsOn"] as? String == "e")
        var officeClaims = FieldService.bobClaims
        officeClaims["role"] = .string("office")
        let office = try await LiveServer.token(officeClaims)
        let forbidden = try await recorder.send("POST", "/v1/push", token: office, request: push)
        #expect(forbidden.status == 403)
        #expect(forbidden.json["error"] as? String == "subset_forbidden")
        #expect(try await recorder.send("POST", "/v1/push", token: nil, request: push).status == 401)
        #expect(try await recorder.send("POST", "/v1/push", token: noRegion, request: push).status == 403)
        var stalePush = push
        stalePush["schemaHash"] = String(repeating: "0", count: 64)
        #expect(try await recorder.send("POST", "/v1/push", token: ann, request: stalePush).status == 409)
        #expect(try await recorder.send("POST", "/v1/push", token: ann, rawBody: Data(#"{"ops": 1}"#.utf8)).status == 422)
        #expect(try await recorder.send("POST", "/v1/push", token: ann, rawBody: bomb, headers: ["Content-Encoding": "gzip"]).status == 413)

        // Attachments: an upload in two pieces, a refused piece, the push, downloads.
        let photo = AttachmentEndpointTests.bytes(40_000)
        let uploadRoute = "/v1/attachments/{sha256}/upload", fileRoute = "/v1/attachments/{sha256}"
        func upload(_ data: Data = photo, entity: String = "WorkOrder", size: Int? = nil, offset: Int? = nil) -> String {
            AttachmentEndpointTests.uploadPath(data, entity: entity, size: size, offset: offset)
        }
        #expect(try await recorder.send("GET", upload(), route: uploadRoute, token: ann).status == 200)
        #expect(try await recorder.send("GET", upload(), route: uploadRoute, token: nil).status == 401)
        #expect(try await recorder.send("GET", upload(entity: "Customer"), route: uploadRoute, token: ann).status == 403)
        #expect(try await recorder.send("GET", upload(size: 30 << 20), route: uploadRoute, token: ann).status == 413)
        #expect(try await recorder.send("GET", upload().replacingOccurrences(of: "&size=", with: "&size=x"), route: uploadRoute,
                                        token: ann).status == 422)
        #expect(try await recorder.send("PUT", upload(offset: 0), route: uploadRoute, token: ann, rawBody: photo.prefix(10_000)).status == 200)
        #expect(try await recorder.send("PUT", upload(offset: 0), route: uploadRoute, token: ann, rawBody: photo).status == 409)
        #expect(try await recorder.send("PUT", upload(offset: 10_000), route: uploadRoute, token: ann, rawBody: photo,
                                        headers: ["Content-Encoding": "gzip"]).status == 415)
        var wrong = photo
        wrong[20_000] ^= 1
        #expect(try await recorder.send("PUT", upload(offset: 10_000), route: uploadRoute, token: ann,
                                        rawBody: wrong.dropFirst(10_000)).status == 422)
        #expect(try await recorder.send("PUT", upload(offset: 0), route: uploadRoute, token: ann, rawBody: photo).status == 200)
        let photoPush: [String: Any] = ["clientId": "openapi-photo", "subset": "technician", "schemaHash": hash, "ops": [
            ["opId": "p1", "entity": "WorkOrder", "kind": "insert", "key": FieldService.id("5", 9),
             "values": ["id": FieldService.id("5", 9), "number": 9, "customerId": FieldService.id("c", 1),
                        "assigneeId": FieldService.ann, "photo": AttachmentEndpointTests.reference(photo)]],
            ["opId": "p2", "entity": "WorkOrder", "kind": "insert", "key": FieldService.id("5", 10),
             "values": ["id": FieldService.id("5", 10), "number": 10, "customerId": FieldService.id("c", 1),
                        "assigneeId": FieldService.ann, "photo": AttachmentEndpointTests.reference(wrong)]],
        ]]
        let photoResults = try await recorder.send("POST", "/v1/push", token: ann, request: photoPush).json["results"] as? [[String: Any]]
        #expect(photoResults?.compactMap { $0["code"] as? String } == ["attachment_missing"])
        let download = "/v1/attachments/\(AttachmentEndpointTests.hash(photo))?subset=technician"
        let whole = try await recorder.send("GET", download, route: fileRoute, token: ann)
        #expect(whole.status == 200)
        #expect(whole.body == photo)
        #expect(try await recorder.send("GET", download, route: fileRoute, token: ann, headers: ["Range": "bytes=0-99"]).status == 206)
        #expect(try await recorder.send("GET", download, route: fileRoute, token: ann, headers: ["Range": "bytes=50000-"]).status == 416)
        #expect(try await recorder.send("GET", download, route: fileRoute, token: bobToken).status == 404)
        #expect(try await recorder.send("GET", download, route: fileRoute, token: nil).status == 401)
        #expect(try await recorder.send("GET", "/v1/attachments/nothex?subset=technician", route: fileRoute, token: ann).status == 422)

        // Every route as an outside client would meet it: a hash in upper case is the
        // same file; an empty subset is the same 422 everywhere; a token the subset
        // can't use is the same 403 everywhere.
        let upperHash = AttachmentEndpointTests.hash(photo).uppercased()
        #expect(try await recorder.send("GET", "/v1/attachments/\(upperHash)?subset=technician", route: fileRoute, token: ann).body == photo)
        #expect(try await recorder.send("GET", upload().replacingOccurrences(of: AttachmentEndpointTests.hash(photo), with: upperHash),
                                        route: uploadRoute, token: ann).json["stored"] as? Bool == true)
        let note = Data("a note in a file".utf8)
        let upperNote = AttachmentEndpointTests.uploadPath(note, offset: 0)
            .replacingOccurrences(of: AttachmentEndpointTests.hash(note), with: AttachmentEndpointTests.hash(note).uppercased())
        let sentNote = try await recorder.send("PUT", upperNote, route: uploadRoute, token: ann, rawBody: note)
        #expect(sentNote.status == 200)
        #expect(sentNote.json["offset"] as? Int == note.count)
        let noSubset = [
            ("GET", download.replacingOccurrences(of: "subset=technician", with: "subset="), fileRoute),
            ("GET", upload().replacingOccurrences(of: "subset=technician", with: "subset="), uploadRoute),
            ("PUT", upload(offset: 0).replacingOccurrences(of: "subset=technician", with: "subset="), uploadRoute),
        ]
        for (method, path, route) in noSubset {
            let answer = try await recorder.send(method, path, route: route, token: ann, rawBody: method == "PUT" ? photo : nil)
            #expect(answer.status == 422, "\(method) \(path)")
            #expect(answer.json["error"] as? String == "invalid_request", "\(method) \(path)")
        }
        for (route, body) in [("/v1/pull", pull), ("/v1/push", push)] {
            var empty = body
            empty["subset"] = ""
            let answer = try await recorder.send("POST", route, token: ann, request: empty)
            #expect(answer.status == 422, "\(route)")
            #expect(answer.json["error"] as? String == "invalid_request", "\(route)")
        }
        for route in ["/v1/pull", "/v1/push"] {
            let answer = try await recorder.send("POST", route, token: ann, rawBody: Data("{}".utf8), headers: ["Content-Encoding": "br"])
            #expect(answer.status == 415, "\(route)")
        }
        for (method, path, route) in [("GET", download, fileRoute), ("GET", upload(), uploadRoute)] {
            let answer = try await recorder.send(method, path, route: route, token: noRegion)
            #expect(answer.status == 403, "\(method) \(path)")
            #expect(answer.json["error"] as? String == "claim_missing", "\(method) \(path)")
        }
        await server.stop()

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-exchanges-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: recorder.exchanges, options: [.prettyPrinted]).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.repository.appendingPathComponent("scripts/check-openapi.py").path,
                             Self.repository.appendingPathComponent("docs/openapi.yaml").path, file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("\(recorder.exchanges.count) exchanges checked"))
    }
}
