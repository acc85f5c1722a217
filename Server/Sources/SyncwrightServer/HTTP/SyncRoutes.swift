import Crypto
import Foundation
import Hummingbird
import Logging
import NIOCore
import Prometheus
import Syncwright

/// The routes of the protocol (docs/protocol.md) on a Hummingbird router: bearer
/// tokens, body limits, and gzip in both directions. The sync logic is
/// ``SyncService``'s; this type only reads requests and writes answers.
struct SyncRoutes: Sendable {
    let service: SyncService
    let verifier: TokenVerifier
    let limits: ServerLimits
    /// The registry `GET /metrics` renders; nil serves no `/metrics`.
    var metricsRegistry: PrometheusCollectorRegistry?
    let metrics = SyncMetrics()

    /// The routes and the methods each takes.
    static let routes: [(path: String, methods: [HTTPRequest.Method])] = [
        ("/health", [.get]), ("/v1/schema", [.get]), ("/v1/push", [.post]), ("/v1/pull", [.post]),
        ("/v1/attachments/{sha256}", [.get]), ("/v1/attachments/{sha256}/upload", [.get, .put]),
    ]

    /// Methods a route that doesn't take them answers `405` to.
    private static let otherMethods: [HTTPRequest.Method] = [.get, .post, .put, .patch, .delete, .head, .options]

    /// Adds the routes to `router`. Paths match after empty segments are dropped
    /// (`//v1//pull/` is `/v1/pull`); a path with `.` or `..` segments matches none.
    func add(to router: Router<SyncRequestContext>) {
        router.get("/health") { _, _ in try await self.health() }
        router.get("/v1/schema") { request, _ in try await self.schema(request) }
        router.post("/v1/push") { request, context in try await self.push(request, context) }
        router.post("/v1/pull") { request, context in try await self.pull(request, context) }
        addAttachmentRoutes(to: router)
        if let registry = metricsRegistry {
            // The Prometheus text format; no token, like /health: it names routes,
            // statuses and codes, never a key, claim or value.
            router.get("/metrics") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: ResponseBody(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
            }
        }
        for (path, methods) in Self.routes {
            let taken = methods.map(\.rawValue).joined(separator: " or ")
            for other in Self.otherMethods where !methods.contains(other) {
                router.on(RouterPath(path.replacingOccurrences(of: "{sha256}", with: ":sha256")), method: other) { _, _ -> Response in
                    throw ProtocolError(status: 405, code: "method_not_allowed", message: "\(path) takes \(taken), not \(other)")
                }
            }
        }
    }

    private func health() async throws -> Response {
        _ = try await service.database.read("SELECT 1", [])
        return try encode(["status": "ok"], nil)
    }

    /// The schema and the hashes served, with an `ETag` that changes when either does;
    /// `If-None-Match` with the current one is answered `304 Not Modified`, no body.
    private func schema(_ request: Request) async throws -> Response {
        _ = try await claims(request)
        let answer = try await service.schemaResponse()
        let tag = "\"" + SyncRoutes.digest(([answer.hash] + answer.subsets + ["served"] + answer.served + ["upcoming"] + answer.upcoming).joined(separator: "\n")) + "\""
        let sent = request.headers[.ifNoneMatch]?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
        if sent.contains(tag) || sent.contains("W/" + tag) {
            return Response(status: .notModified, headers: [.eTag: tag])
        }
        var response = try encode(answer, request)
        response.headers[.eTag] = tag
        return response
    }

    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    private func push(_ request: Request, _ context: SyncRequestContext) async throws -> Response {
        let claims = try await claims(request)
        let body = try await PushRequest.self.read(from: request, limits: limits) { data throws(ProtocolError) in
            do throws(PullResponseDecoder.Failure) {
                return try PushRequestDecoder.decode(data)
            } catch {
                throw ProtocolError.invalidRequest("the body is not a valid PushRequest: \(error.description)")
            }
        }
        context.log("subset", body.subset)
        context.log("ops", body.ops.count)
        let answer = try await service.pushJSON(body, claims: claims, requestID: context.requestID)
        metrics.recordPush(answer.results)
        context.log("rejected", answer.results.filter { $0.status == .rejected }.count)
        context.log("conflicts", answer.results.filter { $0.status == .conflict }.count)
        return respond(json: answer.body, request)
    }

    private func pull(_ request: Request, _ context: SyncRequestContext) async throws -> Response {
        let claims = try await claims(request)
        let body = try await PullRequest.self.read(from: request, limits: limits)
        context.log("subset", body.subset)
        let page = try await metrics.measurePull {
            let page = try await service.pullJSON(body, claims: claims)
            return (page, page.changes)
        }
        context.log("changes", page.changes)
        return respond(json: page.body, request)
    }

    func claims(_ request: Request) async throws(ProtocolError) -> [String: JSONValue] {
        guard let header = request.headers[.authorization] else {
            throw .unauthorized("no Authorization header; send Authorization: Bearer <token>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthorized("the Authorization header must be Bearer <token>")
        }
        return try await verifier.claims(ofToken: String(parts[1]).trimmingCharacters(in: .whitespaces))
    }

    func encode(_ value: some Encodable, _ request: Request?) throws -> Response {
        respond(json: try JSONEncoder().encode(value), request)
    }

    /// A JSON answer, gzip-compressed when the client accepts it and it is worth it.
    private func respond(json: Data, _ request: Request?) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        var body = json
        let acceptsGzip = request?.headers[.acceptEncoding]?.lowercased().contains("gzip") ?? false
        // The fastest level: on a pull, compressing costs the server more than the bytes
        // it saves cost the network.
        if acceptsGzip && body.count > 1024, let compressed = try? Gzip.compress(body, level: 1) {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }
}

extension Decodable {
    /// The request's body as this type: at most `limits` bytes on the wire and inflated,
    /// gzip or identity, read by `parse` or by `JSONDecoder`; every failure is a
    /// ``ProtocolError`` with a message for the client.
    static func read(
        from request: Request, limits: ServerLimits, parse: ((Data) throws(ProtocolError) -> Self)? = nil
    ) async throws -> Self {
        var data: Data
        do {
            let buffer = try await request.body.collect(upTo: limits.maximumBodyBytes)
            data = Data(buffer.readableBytesView)
        } catch is NIOTooManyBytesError {
            throw ProtocolError(status: 413, code: "body_too_large", message: "the body is larger than \(limits.maximumBodyBytes) bytes")
        }
        if let encoding = request.headers[.contentEncoding]?.lowercased(), encoding != "identity" {
            guard encoding == "gzip" else {
                throw ProtocolError(status: 415, code: "unsupported_encoding", message: "Content-Encoding \(encoding) is not supported; use gzip")
            }
            do {
                data = try Gzip.decompress(data, limit: limits.maximumDecompressedBodyBytes)
            } catch let failure as Gzip.Failure where failure.isTooLarge {
                throw ProtocolError(status: 413, code: "body_too_large", message: "\(failure)")
            } catch {
                // Not gzip, corrupt or cut short: the body is malformed, not too large.
                throw ProtocolError(status: 422, code: "invalid_request", message: "Content-Encoding is gzip, but \(error)")
            }
        }
        if let parse { return try parse(data) }
        do {
            return try JSONDecoder().decode(Self.self, from: data)
        } catch let error as DecodingError {
            throw ProtocolError.invalidRequest("the body is not a valid \(Self.self): \(DecodingErrorDescription.describe(error))")
        }
    }
}

/// A `DecodingError` in one line for a client: what was expected, and where.
enum DecodingErrorDescription {
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? ".\(key.stringValue)" }.joined()
            return path.isEmpty ? "" : " at \(path.hasPrefix(".") ? String(path.dropFirst()) : path)"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(key.stringValue)\(path(context))"
        case .typeMismatch(let type, let context): return "expected \(type)\(path(context))"
        case .valueNotFound(let type, let context): return "expected \(type)\(path(context)), found null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not JSON" : "invalid value\(path(context))"
        @unknown default: return "\(error)"
        }
    }
}

/// Request size limits.
public struct ServerLimits: Sendable {
    /// The most bytes a request body may have on the wire.
    public var maximumBodyBytes: Int
    /// The most bytes a gzip request body may inflate to.
    public var maximumDecompressedBodyBytes: Int

    /// Creates limits: by default 8 MB on the wire and 32 MB decompressed.
    public init(maximumBodyBytes: Int = 8 << 20, maximumDecompressedBodyBytes: Int = 32 << 20) {
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumDecompressedBodyBytes = maximumDecompressedBodyBytes
    }
}
