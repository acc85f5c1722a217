import Foundation
import Hummingbird
import Logging
import NIOCore
import Syncwright

/// The HTTP face of ``SyncService``: routes on normalized paths, bearer tokens, body
/// limits, gzip in both directions, and a JSON `{error, message}` body for every error.
public struct SyncHTTPResponder: HTTPResponder {
    public typealias Context = BasicRequestContext

    let service: SyncService
    let verifier: TokenVerifier
    let limits: ServerLimits
    let logger: Logger

    /// Creates the responder.
    public init(service: SyncService, verifier: TokenVerifier, limits: ServerLimits = ServerLimits(), logger: Logger) {
        self.service = service
        self.verifier = verifier
        self.limits = limits
        self.logger = logger
    }

    /// The routes, by normalized path.
    enum Route: String, CaseIterable {
        case health = "/health"
        case schema = "/v1/schema"
        case push = "/v1/push"
        case pull = "/v1/pull"

        var method: HTTPRequest.Method {
            switch self {
            case .health, .schema: .get
            case .push, .pull: .post
            }
        }
    }

    /// `//v1//pull/` and `/v1/pull` are the same route; `.` and `..` segments are refused.
    static func normalizedPath(_ path: String) -> String? {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        guard !segments.contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        return "/" + segments.joined(separator: "/")
    }

    public func respond(to request: Request, context: Context) async throws -> Response {
        let started = ContinuousClock.now
        var metadata: Logger.Metadata = ["method": "\(request.method)", "path": "\(request.uri.path)"]
        let response: Response
        do {
            response = try await route(request, metadata: &metadata)
        } catch let error as ProtocolError {
            metadata["error"] = "\(error.code)"
            response = Self.errorResponse(error)
        } catch {
            logger.error("request failed", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            response = Self.errorResponse(ProtocolError(status: 500, code: "internal_error", message: "the server failed: \(error)"))
        }
        let elapsed = ContinuousClock.now - started
        metadata["status"] = "\(response.status.code)"
        metadata["ms"] = "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)"
        logger.info("request", metadata: metadata)
        return response
    }

    private func route(_ request: Request, metadata: inout Logger.Metadata) async throws -> Response {
        guard let path = Self.normalizedPath(request.uri.path), let route = Route(rawValue: path) else {
            throw ProtocolError(status: 404, code: "not_found", message: "no route \(request.uri.path); routes: \(Route.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard request.method == route.method else {
            throw ProtocolError(status: 405, code: "method_not_allowed", message: "\(route.rawValue) takes \(route.method), not \(request.method)")
        }
        switch route {
        case .health:
            _ = try await service.database.read("SELECT 1", [])
            return try encode(["status": "ok"], request)
        case .schema:
            _ = try await claims(request)
            return try encode(service.schemaResponse, request)
        case .push:
            let claims = try await claims(request)
            let body = try await decode(PushRequest.self, request) { data throws(ProtocolError) in
                do throws(PullResponseDecoder.Failure) {
                    return try PushRequestDecoder.decode(data)
                } catch {
                    throw ProtocolError.invalidRequest("the body is not a valid PushRequest: \(error.description)")
                }
            }
            metadata["subset"] = "\(body.subset)"
            metadata["ops"] = "\(body.ops.count)"
            let answer = try await service.pushJSON(body, claims: claims)
            metadata["rejected"] = "\(answer.results.filter { $0.status == .rejected }.count)"
            metadata["conflicts"] = "\(answer.results.filter { $0.status == .conflict }.count)"
            return respond(json: answer.body, request)
        case .pull:
            let claims = try await claims(request)
            let body = try await decode(PullRequest.self, request)
            metadata["subset"] = "\(body.subset)"
            let page = try await service.pullJSON(body, claims: claims)
            metadata["changes"] = "\(page.changes)"
            return respond(json: page.body, request)
        }
    }

    private func claims(_ request: Request) async throws(ProtocolError) -> [String: JSONValue] {
        guard let header = request.headers[.authorization] else {
            throw .unauthorized("no Authorization header; send Authorization: Bearer <token>")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .unauthorized("the Authorization header must be Bearer <token>")
        }
        return try await verifier.claims(ofToken: String(parts[1]).trimmingCharacters(in: .whitespaces))
    }

    private func decode<T: Decodable>(
        _ type: T.Type, _ request: Request, parse: ((Data) throws(ProtocolError) -> T)? = nil
    ) async throws -> T {
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
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as DecodingError {
            throw ProtocolError.invalidRequest("the body is not a valid \(T.self): \(Self.describe(error))")
        }
    }

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

    private func encode(_ value: some Encodable, _ request: Request) throws -> Response {
        respond(json: try JSONEncoder().encode(value), request)
    }

    private func respond(json: Data, _ request: Request, status: HTTPResponse.Status = .ok) -> Response {
        var headers: HTTPFields = [.contentType: "application/json"]
        var body = json
        let acceptsGzip = request.headers[.acceptEncoding]?.lowercased().contains("gzip") ?? false
        // The fastest level: on a pull, compressing costs the server more than the bytes
        // it saves cost the network.
        if acceptsGzip && body.count > 1024, let compressed = try? Gzip.compress(body, level: 1) {
            body = compressed
            headers[.contentEncoding] = "gzip"
        }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func errorResponse(_ error: ProtocolError) -> Response {
        let body = (try? JSONEncoder().encode(ErrorResponse(error: error.code, message: error.message))) ?? Data()
        var headers: HTTPFields = [.contentType: "application/json"]
        if error.status == 401 { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: HTTPResponse.Status(code: error.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
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
