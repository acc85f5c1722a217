import Foundation
import Testing
@testable import Syncwright
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Answers URLSession requests in-process, recording what was sent.
final class StubURLProtocol: URLProtocol {
    struct Recorded: Sendable {
        var method: String
        var path: String
        var headers: [String: String]
        var body: Data
    }

    struct Reply: Sendable {
        var status: Int
        var body: Data
        var headers: [String: String] = ["Content-Type": "application/json"]
    }

    static let recorded = Locked<[Recorded]>([])
    static let replies = Locked<[String: Reply]>([:])

    override class func canInit(with request: URLRequest) -> Bool { true }
    override class func canonicalRequest(for request: URLRequest) -> URLRequest { request }

    override func startLoading() {
        var body = request.httpBody ?? Data()
        if body.isEmpty, let stream = request.httpBodyStream {
            stream.open()
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while stream.hasBytesAvailable {
                let count = stream.read(&buffer, maxLength: buffer.count)
                if count <= 0 { break }
                body.append(buffer, count: count)
            }
            stream.close()
        }
        let token = request.value(forHTTPHeaderField: "Authorization") ?? ""
        let path = request.url?.path ?? ""
        Self.recorded.withValue {
            $0.append(Recorded(method: request.httpMethod ?? "", path: path,
                               headers: request.allHTTPHeaderFields ?? [:], body: body))
        }
        let reply = Self.replies.withValue { $0[token] } ?? Reply(status: 500, body: Data("no reply".utf8))
        let response = HTTPURLResponse(url: request.url!, statusCode: reply.status, httpVersion: "HTTP/1.1", headerFields: reply.headers)!
        client?.urlProtocol(self, didReceive: response, cacheStoragePolicy: .notAllowed)
        client?.urlProtocol(self, didLoad: reply.body)
        client?.urlProtocolDidFinishLoading(self)
    }

    override func stopLoading() {}
}

/// Each test uses its own token, so parallel tests don't read each other's replies.
@Suite("HTTP transport")
struct HTTPSyncTransportTests {
    private func transport(token: String, reply: StubURLProtocol.Reply) -> HTTPSyncTransport {
        StubURLProtocol.replies.withValue { $0["Bearer \(token)"] = reply }
        let configuration = URLSessionConfiguration.ephemeral
        configuration.protocolClasses = [StubURLProtocol.self]
        return HTTPSyncTransport(baseURL: URL(string: "http://127.0.0.1:9/base")!, timeout: 5,
                                 session: URLSession(configuration: configuration)) { token }
    }

    private func recorded(token: String) -> StubURLProtocol.Recorded? {
        StubURLProtocol.recorded.withValue { $0.last { $0.headers["Authorization"] == "Bearer \(token)" } }
    }

    /// A request of one op, and a transport whose server answers it as applied at `version`.
    private func pushFixture(
        _ op: PushOperation, version: Int64
    ) throws -> (token: String, transport: HTTPSyncTransport, request: PushRequest, response: PushResponse) {
        let token = UUID().uuidString
        let response = PushResponse(results: [PushResult(opId: op.opId, status: .applied, version: version)])
        let transport = transport(token: token, reply: .init(status: 200, body: try JSONEncoder().encode(response)))
        return (token, transport, PushRequest(clientId: "c", subset: "member", schemaHash: "h", ops: [op]), response)
    }

    @Test("a push sends a gzip JSON body with the bearer token and decodes the results")
    func push() async throws {
        let (token, transport, request, response) = try pushFixture(
            PushOperation(opId: "op-1", entity: "TaskItem", kind: .insert, key: .string("k"), baseVersion: nil,
                          values: ["title": .string(String(repeating: "long ", count: 200))]),
            version: 12)
        #expect(try await transport.push(request) == response)
        let sent = try #require(recorded(token: token))
        #expect(sent.method == "POST")
        #expect(sent.path == "/base/v1/push")
        #expect(sent.headers["Content-Encoding"] == "gzip")
        #expect(try JSONDecoder().decode(PushRequest.self, from: try Gzip.decompress(sent.body)) == request)
    }

    @Test("a prepared push carries its compressed body, is sent as it is, and can be sent again")
    func preparedPush() async throws {
        let (token, transport, request, response) = try pushFixture(
            PushOperation(opId: "op-2", entity: "TaskItem", kind: .update, key: .string("k"), baseVersion: 2,
                          values: ["title": .string("renamed")]),
            version: 3)
        let prepared = try transport.prepare(request)
        let body = try #require(prepared.body)
        #expect(prepared.headers["Content-Encoding"] == "gzip")
        #expect(try JSONDecoder().decode(PushRequest.self, from: try Gzip.decompress(body)) == request)
        for _ in 0..<2 {
            #expect(try await transport.push(prepared) == response)
            let sent = try #require(recorded(token: token))
            #expect(sent.body == body)
            #expect(sent.headers["Content-Encoding"] == "gzip")
            #expect(sent.headers["Content-Type"] == "application/json")
        }
        #expect(StubURLProtocol.recorded.withValue { $0.filter { $0.headers["Authorization"] == "Bearer \(token)" }.count } == 2)
    }

    @Test("without compression a prepared push is plain JSON")
    func uncompressedPreparedPush() throws {
        let transport = HTTPSyncTransport(baseURL: URL(string: "http://127.0.0.1:9")!, compressRequests: false) { "t" }
        let request = PushRequest(clientId: "c", subset: "member", schemaHash: "h", ops: [])
        let prepared = try transport.prepare(request)
        #expect(prepared.headers["Content-Encoding"] == nil)
        #expect(try JSONDecoder().decode(PushRequest.self, from: try #require(prepared.body)) == request)
    }

    @Test("a gzip response body is decompressed")
    func gzipResponse() async throws {
        let token = UUID().uuidString
        let page = PullResponse(changes: [PullChange(entity: "TaskItem", op: .remove, key: .integer(1))], units: ["u": "9"], more: true)
        let transport = transport(token: token, reply: .init(
            status: 200, body: try Gzip.compress(try JSONEncoder().encode(page)),
            headers: ["Content-Type": "application/json"]))
        var pulled = try await transport.pull(PullRequest(subset: "s", schemaHash: "h", units: ["u": nil], limit: 5))
        // The page carries the id the transport sent the request with.
        #expect(pulled.requestID?.count == 36)
        #expect(recorded(token: token)?.headers.first { $0.key.lowercased() == "x-request-id" }?.value == pulled.requestID)
        pulled.requestID = nil
        #expect(pulled == page)
    }

    @Test("error statuses map to typed errors with the server's code, message and request id", arguments: [
        (401, false, SyncTransportError.Code.unauthorized, SyncFailure.Code.unauthorized),
        (403, false, .forbidden, .forbidden), (409, false, .schemaMismatch, .outdated),
        (413, false, .invalidRequest, .invalidRequest), (422, false, .invalidRequest, .invalidRequest),
        (429, true, .tooManyRequests, .tooManyRequests), (500, true, .server, .server), (503, true, .server, .server),
        (418, false, .unexpectedStatus, .invalidResponse),
    ])
    func errors(status: Int, transient: Bool, code: SyncTransportError.Code, failureCode: SyncFailure.Code) async throws {
        let token = UUID().uuidString
        let body = try JSONEncoder().encode(ErrorResponse(error: "some_code", message: "explained \(status)", requestId: "req-\(status)"))
        let transport = transport(token: token, reply: .init(status: status, body: body))
        do {
            _ = try await transport.schema()
            Issue.record("expected an error")
        } catch let error as SyncTransportError {
            #expect(error.status == status)
            #expect(error.code == code)
            #expect(error.isTransient == transient)
            #expect(error.message == "explained \(status)")
            #expect(error.serverCode == "some_code")
            #expect(error.requestID == "req-\(status)")
            let failure = SyncFailure(error)
            #expect(failure.code == failureCode)
            #expect(failure.serverCode == "some_code")
            #expect(failure.requestID == "req-\(status)")
            #expect(failure.isRetryable == transient)
        }
    }

    @Test("a refusal of the subset is its own code; a body without a request id takes the header's")
    func subsetForbidden() async throws {
        let body = try JSONEncoder().encode(ErrorResponse(error: "subset_forbidden", message: "not for you"))
        let transport = transport(token: "t", reply: .init(status: 403, body: body, headers: ["Content-Type": "application/json", "X-Request-ID": "from-header"]))
        let error = await #expect(throws: SyncTransportError.self) { try await transport.schema() }
        #expect(error?.requestID == "from-header")
        #expect(error.map { SyncFailure($0).code } == .subsetForbidden)
    }

    @Test("a body that isn't the expected JSON is an invalid response")
    func invalidBody() async throws {
        let token = UUID().uuidString
        let transport = transport(token: token, reply: .init(status: 200, body: Data("{\"nope\":1}".utf8)))
        await #expect(throws: SyncTransportError.self) { try await transport.schema() }
    }

    @Test("a server that can't be reached is a transient network error")
    func unreachable() async throws {
        let transport = HTTPSyncTransport(baseURL: URL(string: "http://127.0.0.1:1")!, timeout: 5) { "token" }
        do {
            _ = try await transport.schema()
            Issue.record("expected an error")
        } catch let error as SyncTransportError {
            #expect(error.isTransient)
            #expect(error.status == nil)
        }
    }

    /// URLSession: a refused connection fails the attempt at once, whatever the
    /// request's timeout, and the message says so.
    @Test("a sync against a closed port fails within 2 s per attempt, and says the connection was refused")
    func closedPort() async throws {
        let port = try closedLoopbackPort()
        let attempts = 3
        var messages: [String] = []
        // A request timeout of 10 s: a client that waited for it would take that long per attempt.
        let durations = await quickestAttempts(under: .seconds(2), { client in
            let transport = HTTPSyncTransport(baseURL: URL(string: "http://127.0.0.1:\(port)")!, timeout: 10, client: client) { "token" }
            messages = []
            for _ in 0..<attempts {
                let error = await #expect(throws: SyncTransportError.self) { try await transport.schema() }
                #expect(error?.code == .network)
                #expect(error?.isTransient == true)
                messages.append(error?.message ?? "")
            }
        }, client: { TimedHTTPClient(URLSessionSyncHTTPClient()) })
        #expect(durations.count == attempts)
        #expect(durations.allSatisfy { $0 < .seconds(2) }, "\(durations)")
        #expect(messages.allSatisfy { $0.contains("can't connect to 127.0.0.1:\(port): the connection was refused") }, "\(messages)")
    }

    /// An answer the device can't read names the request, as the server's log does.
    @Test("an unreadable answer fails with the request's id")
    func unreadableAnswerNamesTheRequest() async throws {
        let token = UUID().uuidString
        let transport = transport(token: token, reply: .init(status: 200, body: Data(#"{"changes": 7}"#.utf8)))
        let error = await #expect(throws: SyncTransportError.self) {
            try await transport.pull(PullRequest(subset: "s", schemaHash: "h", units: ["u": nil], limit: 5))
        }
        let sent = recorded(token: token)?.headers.first { $0.key.lowercased() == "x-request-id" }?.value
        #expect(error?.code == .invalidResponse)
        #expect(sent != nil)
        #expect(error?.requestID == sent)
        #expect(SyncFailure(try #require(error)).requestID == sent)
    }

    /// Both 403s about the subset — a claim it needs is missing, or `allow:` fails — are
    /// one failure code for the app: this token may not use this subset.
    @Test("claim_missing and subset_forbidden are both SyncFailure.Code.subsetForbidden; another 403 is .forbidden",
          arguments: [("claim_missing", SyncFailure.Code.subsetForbidden), ("subset_forbidden", .subsetForbidden),
                      ("upload_forbidden", .forbidden)])
    func subsetRefusals(serverCode: String, expected: SyncFailure.Code) async throws {
        let body = try JSONEncoder().encode(ErrorResponse(error: serverCode, message: "no", requestId: "req-403"))
        let transport = transport(token: UUID().uuidString, reply: .init(status: 403, body: body))
        do {
            _ = try await transport.schema()
            Issue.record("expected an error")
        } catch {
            let failure = SyncFailure(error)
            #expect(failure.code == expected)
            #expect(failure.serverCode == serverCode)
            #expect(failure.requestID == "req-403")
            #expect(!failure.isRetryable)
        }
    }

    @Test("a failing token provider is reported as unauthorized")
    func tokenFailure() async throws {
        struct NoToken: Error {}
        let transport = HTTPSyncTransport(baseURL: URL(string: "http://127.0.0.1:1")!) { throw NoToken() }
        await #expect(throws: SyncTransportError.unauthorized("the token provider failed: NoToken()")) {
            try await transport.schema()
        }
    }
}
