import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JWTKit
import Syncwright
@testable import SyncwrightServer
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// Raw HTTP against the live server: routing, limits, bodies, errors and tokens.
@Suite("HTTP: routes, limits, errors and tokens")
struct HTTPTests {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var error: String? { json["error"] as? String }
        var message: String { json["message"] as? String ?? "" }
    }

    static func send(_ server: LiveServer, _ method: String, _ path: String, token: String? = nil,
                     headers: [String: String] = [:], body: Data? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)\(path)")!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        request.httpBody = body
        let (data, response) = try await URLSession(configuration: .ephemeral).data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http.allHeaderFields { fields["\(name)".lowercased()] = "\(value)" }
        let decoded = Gzip.isCompressed(data) ? try Gzip.decompress(data) : data
        return Reply(status: http.statusCode, headers: fields, body: decoded)
    }

    static func pullBody(_ server: LiveServer, limit: Int = 10) throws -> Data {
        try JSONEncoder().encode(PullRequest(subset: "technician", schemaHash: server.service.schema.schemaHash,
                                             units: ["jobs": nil], limit: limit))
    }

    @Test func routesAreMatchedOnNormalizedPaths() async throws {
        let server = try await LiveServer.start(.sqlite)
        try await FieldService.seed(server.database)
        let token = try await LiveServer.token(FieldService.annClaims)
        let health = try await Self.send(server, "GET", "/health")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok")
        for path in ["/v1/pull", "//v1//pull/", "/v1/pull/"] {
            let reply = try await Self.send(server, "POST", path, token: token, body: try Self.pullBody(server))
            #expect(reply.status == 200, "\(path)")
            #expect((reply.json["changes"] as? [Any])?.count == 2, "\(path)")
        }
        let missing = try await Self.send(server, "GET", "/v1/nothing", token: token)
        #expect(missing.status == 404)
        #expect(missing.error == "not_found")
        let wrongMethod = try await Self.send(server, "GET", "/v1/pull", token: token)
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.error == "method_not_allowed")
        let schema = try await Self.send(server, "GET", "/v1/schema", token: token)
        #expect(schema.json["hash"] as? String == server.service.schema.schemaHash)
        #expect(schema.json["subsets"] as? [String] == ["technician"])
        await server.stop()
    }

    @Test("GET /v1/schema lists the served hashes with an ETag, and answers 304 to If-None-Match when nothing changed")
    func schemaAnswersNotModified() async throws {
        let v1 = try Chores.model(Chores.v1)
        let v2 = try Chores.model(Chores.v2)
        let database = try await TestDatabases.make(.sqlite)
        try await SyncService(schema: v1, database: database, logger: TestDatabases.logger).prepare()
        let service = SyncService(schema: v2, database: database, logger: TestDatabases.logger)
        try await service.prepare()
        let server = try await LiveServer.start(service: service)
        let token = try await LiveServer.token(Chores.ann)
        let first = try await Self.send(server, "GET", "/v1/schema", token: token)
        #expect(first.status == 200)
        #expect(first.json["served"] as? [String] == [v2.schemaHash, v1.schemaHash])
        let tag = try #require(first.headers["etag"])
        let again = try await Self.send(server, "GET", "/v1/schema", token: token, headers: ["If-None-Match": tag])
        #expect(again.status == 304)
        #expect(again.body.isEmpty)
        #expect(again.headers["etag"] == tag)
        let stale = try await Self.send(server, "GET", "/v1/schema", token: token, headers: ["If-None-Match": "\"other\""])
        #expect(stale.status == 200)

        // Retiring v1 changes the answer and its tag.
        _ = try await service.retire(hashPrefix: String(v1.schemaHash.prefix(16)))
        let retired = try await Self.send(server, "GET", "/v1/schema", token: token, headers: ["If-None-Match": tag])
        #expect(retired.status == 200)
        #expect(retired.json["served"] as? [String] == [v2.schemaHash])
        #expect(retired.headers["etag"] != tag)
        await server.stop()
    }

    /// Paths URLSession would rewrite (dot segments) sent as they are, through
    /// Hummingbird's test client; and the request id every answer carries.
    @Test func dotSegmentsMatchNoRouteAndEveryAnswerCarriesARequestID() async throws {
        let service = try await FieldService.service(.sqlite)
        let app = SyncServer.application(service: service, verifier: try await TokenVerifier.hmac(secret: LiveServer.secret),
                                         host: "127.0.0.1", port: 0, logger: TestDatabases.logger)
        try await app.test(.router) { client in
            for path in ["/v1/x/../pull", "/v1/./pull", "/v1/pull/.."] {
                try await client.execute(uri: path, method: .post) { response in
                    #expect(response.status == .notFound, "\(path)")
                    #expect(String(buffer: response.body).contains(#""error":"not_found""#), "\(path)")
                }
            }
            try await client.execute(uri: "//v1///push/", method: .get, headers: [HTTPField.Name("X-Request-ID")!: "trace-7"]) { response in
                #expect(response.status.code == 405)
                let answer = try JSONDecoder().decode(ErrorResponse.self, from: Data(buffer: response.body))
                #expect(answer.error == "method_not_allowed")
                #expect(answer.requestId == "trace-7", "every error body names its request")
            }
            try await client.execute(uri: "/health", method: .get, headers: [HTTPField.Name("X-Request-ID")!: "trace-42"]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Request-ID")!] == "trace-42")
            }
            // An id that isn't visible ASCII is replaced by a new one.
            try await client.execute(uri: "/health", method: .get, headers: [HTTPField.Name("X-Request-ID")!: "a b"]) { response in
                let id = response.headers[HTTPField.Name("X-Request-ID")!] ?? ""
                #expect(id != "a b" && id.count == 36)
            }
        }
        try? await service.database.close()
    }

    /// A failure the server didn't foresee answers 500 with the request id only: the
    /// error itself (here SQLite's, naming the statement) stays in the log.
    @Test func anUnforeseenFailureAnswers500WithoutItsDetails() async throws {
        let service = try await FieldService.service(.sqlite)
        let app = SyncServer.application(service: service, verifier: try await TokenVerifier.hmac(secret: LiveServer.secret),
                                         host: "127.0.0.1", port: 0, logger: TestDatabases.logger)
        try await service.database.close()
        try await app.test(.router) { client in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .internalServerError)
                let body = String(buffer: response.body)
                let id = try #require(response.headers[HTTPField.Name("X-Request-ID")!])
                #expect(body.contains(#""error":"internal_error""#))
                #expect(body.contains(id))
                for leak in ["SELECT", "SQLite", "sqlite", "closed"] { #expect(!body.contains(leak), "\(body)") }
            }
        }
    }

    @Test func malformedBodiesAnswer422WithAMessage() async throws {
        let server = try await LiveServer.start(.sqlite)
        let token = try await LiveServer.token(FieldService.annClaims)
        let notJSON = try await Self.send(server, "POST", "/v1/pull", token: token, body: Data("{units:".utf8))
        #expect(notJSON.status == 422)
        #expect(notJSON.error == "invalid_request")
        #expect(notJSON.message.contains("not JSON"))
        let wrongType = try await Self.send(server, "POST", "/v1/push", token: token, body: Data("""
            {"clientId": "d", "subset": "technician", "schemaHash": "x", "ops": [{"opId": 1}]}
            """.utf8))
        #expect(wrongType.status == 422)
        #expect(wrongType.message.contains("opId must be a string at byte"), "\(wrongType.message)")
        let zeroLimit = try await Self.send(server, "POST", "/v1/pull", token: token, body: try Self.pullBody(server, limit: 0))
        #expect(zeroLimit.status == 422)
        #expect(zeroLimit.message == "limit must be at least 1")
        let unknownUnit = try await Self.send(server, "POST", "/v1/pull", token: token, body: Data("""
            {"subset": "technician", "schemaHash": "\(server.service.schema.schemaHash)", "units": {"billing": null}, "limit": 5}
            """.utf8))
        #expect(unknownUnit.status == 422)
        #expect(unknownUnit.message.contains("unknown unit \"billing\""))
        await server.stop()
    }

    @Test func waitValuesThatArentSecondsAreRefusedAndNoneHoldsAPullWithSomethingToSend() async throws {
        let server = try await LiveServer.start(.sqlite)
        try await FieldService.seed(server.database)
        let token = try await LiveServer.token(FieldService.annClaims)
        let cursor = try await server.service.pullAll("jobs", claims: FieldService.annClaims).cursor
        func pull(wait: String, from cursor: String?) async throws -> Reply {
            let units = cursor.map { "{\"jobs\": \"\($0)\"}" } ?? "{\"jobs\": null}"
            return try await Self.send(server, "POST", "/v1/pull", token: token, body: Data("""
                {"subset": "technician", "schemaHash": "\(server.service.schema.schemaHash)", "units": \(units), "limit": 10, "wait": \(wait)}
                """.utf8))
        }
        for bad in [#""soon""#, "true", "[5]", #"{"seconds": 5}"#] {
            let reply = try await pull(wait: bad, from: cursor)
            #expect(reply.status == 422, "wait \(bad)")
            #expect(reply.error == "invalid_request", "wait \(bad)")
            #expect(reply.message.contains("wait"), "wait \(bad): \(reply.message)")
        }
        // No wait at all: null, 0 and a negative number answer at once, with nothing new.
        let clock = ContinuousClock()
        for none in ["null", "0", "-5"] {
            let asked = clock.now
            let reply = try await pull(wait: none, from: cursor)
            #expect(reply.status == 200, "wait \(none): \(reply.message)")
            #expect((reply.json["changes"] as? [Any])?.isEmpty == true, "wait \(none)")
            #expect(clock.now - asked < .seconds(20), "wait \(none) answered at once, not after a wait")
        }
        // A page with something to send never waits, whatever the wait (more than 60 s too).
        for long in ["30", "1e9"] {
            let asked = clock.now
            let reply = try await pull(wait: long, from: nil)
            #expect(reply.status == 200, "wait \(long): \(reply.message)")
            #expect((reply.json["changes"] as? [Any])?.isEmpty == false, "wait \(long)")
            #expect(clock.now - asked < .seconds(20), "wait \(long) with changes to send answered at once")
        }
        await server.stop()
    }

    @Test func bodiesOverTheLimitsAreRefused() async throws {
        let server = try await LiveServer.start(.sqlite)
        let token = try await LiveServer.token(FieldService.annClaims)
        let huge = Data(repeating: UInt8(ascii: " "), count: ServerLimits().maximumBodyBytes + 1)
        let tooLarge = try await Self.send(server, "POST", "/v1/push", token: token, body: huge)
        #expect(tooLarge.status == 413)
        // A small gzip body that inflates past the limit.
        let bomb = try Gzip.compress(Data(repeating: UInt8(ascii: " "), count: ServerLimits().maximumDecompressedBodyBytes + 10))
        #expect(bomb.count < 100_000)
        let inflated = try await Self.send(server, "POST", "/v1/push", token: token, headers: ["Content-Encoding": "gzip"], body: bomb)
        #expect(inflated.status == 413)
        #expect(inflated.error == "body_too_large")
        // A body labelled gzip that isn't gzip, or is cut short, is malformed, not too large.
        let notGzip = try await Self.send(server, "POST", "/v1/pull", token: token, headers: ["Content-Encoding": "gzip"],
                                          body: try Self.pullBody(server))
        #expect(notGzip.status == 422)
        #expect(notGzip.error == "invalid_request")
        let compressed = try Gzip.compress(try Self.pullBody(server))
        let truncated = try await Self.send(server, "POST", "/v1/pull", token: token, headers: ["Content-Encoding": "gzip"],
                                            body: compressed.prefix(compressed.count / 2))
        #expect(truncated.status == 422)
        // gzip both ways works.
        let gzipped = try await Self.send(server, "POST", "/v1/pull", token: token,
                                          headers: ["Content-Encoding": "gzip", "Accept-Encoding": "gzip"],
                                          body: try Gzip.compress(try Self.pullBody(server)))
        #expect(gzipped.status == 200)
        await server.stop()
    }

    @Test func tokensAreCheckedBeforeAnythingElse() async throws {
        let server = try await LiveServer.start(.sqlite)
        let body = try Self.pullBody(server)
        let none = try await Self.send(server, "POST", "/v1/pull", body: body)
        #expect(none.status == 401)
        #expect(none.headers["www-authenticate"] == "Bearer")
        let garbage = try await Self.send(server, "POST", "/v1/pull", token: "not.a.token", body: body)
        #expect(garbage.status == 401)
        let expired = try await TokenMinter.mint(secret: LiveServer.secret, claims: FieldService.annClaims, lifetime: -60)
        let expiredReply = try await Self.send(server, "POST", "/v1/pull", token: expired, body: body)
        #expect(expiredReply.status == 401)
        #expect(expiredReply.message == "the token expired")
        // An unsigned token ("alg": "none") is never accepted.
        let header = Data(#"{"alg":"none","typ":"JWT"}"#.utf8).base64EncodedString()
        let payload = Data(#"{"sub":"\#(FieldService.ann)","region":"north","role":"technician"}"#.utf8).base64EncodedString()
        let unsigned = try await Self.send(server, "POST", "/v1/pull", token: "\(header).\(payload).", body: body)
        #expect(unsigned.status == 401)
        #expect(unsigned.message.contains("accepts HS256"))
        let schema = try await Self.send(server, "GET", "/v1/schema")
        #expect(schema.status == 401)
        await server.stop()
    }

    static func key(_ name: String) throws -> String {
        try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Keys/\(name)"), encoding: .utf8)
    }

    @Test func rs256AndES256PublicKeysVerifyTokens() async throws {
        let claims = ClaimsPayload(claims: FieldService.annClaims)
        let rsaSigner = JWTKeyCollection()
        await rsaSigner.add(rsa: try Insecure.RSA.PrivateKey(pem: try Self.key("rs256-test-private.pem")), digestAlgorithm: .sha256)
        let rsaToken = try await rsaSigner.sign(claims)
        let rsaVerifier = try await TokenVerifier.publicKey(pem: try Self.key("rs256-test-public.pem"))
        #expect(rsaVerifier.algorithm == .rs256)
        #expect(try await rsaVerifier.claims(ofToken: rsaToken)["region"] == .string("north"))

        let ecSigner = JWTKeyCollection()
        await ecSigner.add(ecdsa: try ES256PrivateKey(pem: try Self.key("es256-test-private.pem")))
        let ecToken = try await ecSigner.sign(claims)
        let ecVerifier = try await TokenVerifier.publicKey(pem: try Self.key("es256-test-public.pem"))
        #expect(ecVerifier.algorithm == .es256)
        #expect(try await ecVerifier.claims(ofToken: ecToken)["sub"] == .string(FieldService.ann))

        // Each verifier refuses the other's tokens, and HS256 tokens signed with the public key.
        await #expect(throws: ProtocolError.self) { try await rsaVerifier.claims(ofToken: ecToken) }
        await #expect(throws: ProtocolError.self) { try await ecVerifier.claims(ofToken: rsaToken) }
        let confused = try await TokenMinter.mint(secret: try Self.key("rs256-test-public.pem"), claims: FieldService.annClaims, lifetime: 60)
        await #expect(throws: ProtocolError.self) { try await rsaVerifier.claims(ofToken: confused) }
        await #expect(throws: (any Error).self) { try await TokenVerifier.publicKey(pem: "not a key") }
        await #expect(throws: (any Error).self) { try await TokenVerifier.hmac(secret: "short") }
    }
}

/// `GET /metrics` through the real router, with Prometheus as the process's backend.
@Suite("Metrics: Prometheus text at /metrics")
struct MetricsTests {
    @Test func pushesPullsAndRequestsAreCounted() async throws {
        let registry = SyncServer.bootstrapPrometheus()
        #expect(SyncServer.bootstrapPrometheus() === registry, "one registry per process")
        let service = try await FieldService.service(.sqlite)
        try await FieldService.seed(service.database)
        let app = SyncServer.application(service: service, verifier: try await TokenVerifier.hmac(secret: LiveServer.secret),
                                         host: "127.0.0.1", port: 0, logger: TestDatabases.logger, metrics: registry)
        let token = try await LiveServer.token(FieldService.annClaims)
        let push = PushRequest(clientId: "metrics-device", subset: "technician", schemaHash: FieldService.schema.schemaHash, ops: [
            PushOperation(opId: UUID().uuidString, entity: "Customer", kind: .update, key: .string(FieldService.id("c", 1)),
                          baseVersion: 1, values: ["name": .string("X")]),
        ])
        let pull = PullRequest(subset: "technician", schemaHash: FieldService.schema.schemaHash, units: ["jobs": nil], limit: 100)
        try await app.test(.router) { client in
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            try await client.execute(uri: "/v1/push", method: .post, headers: headers,
                                     body: ByteBuffer(data: try JSONEncoder().encode(push))) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/pull", method: .post, headers: headers,
                                     body: ByteBuffer(data: try JSONEncoder().encode(pull))) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v1/pull", method: .post) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
                #expect(response.headers[HTTPField.Name("X-Request-ID")!] != nil)
                let text = String(buffer: response.body)
                #expect(text.contains(#"syncwright_push_ops{result="rejected",code="read_only"}"#)
                    || text.contains(#"syncwright_push_ops{code="read_only",result="rejected"}"#), "\(text.prefix(2000))")
                #expect(text.contains("syncwright_pull_changes"))
                #expect(text.contains("syncwright_pulls_in_progress"))
                #expect(text.contains("hb_requests{"))
                #expect(text.contains(#"http_route="/v1/push""#))
                #expect(text.contains(#"http_response_status_code="401""#), "refusals are counted with their status")
                #expect(text.contains("http_server_request_duration_bucket"), "latency histograms")
                #expect(!text.contains(FieldService.ann) && !text.contains(FieldService.id("c", 1)), "no key or claim in a label")
            }
        }
        try? await service.database.close()
    }
}
