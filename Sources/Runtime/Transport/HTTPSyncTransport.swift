import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The protocol of docs/protocol.md over HTTP: JSON bodies, gzip in both directions, a
/// bearer token from an async provider, and every failure mapped to a
/// ``SyncTransportError``. A ``SyncHTTPClient`` moves the bytes: URLSession unless
/// another is given. On Linux give it `AsyncHTTPSyncClient` (the
/// `SyncwrightAsyncHTTPClient` product), see ``URLSessionSyncHTTPClient``.
public struct HTTPSyncTransport: SyncTransport {
    /// Supplies the bearer token for each request; called every time, so it can refresh.
    public typealias TokenProvider = @Sendable () async throws -> String

    /// The server's base URL, such as `https://sync.example.com`.
    public let baseURL: URL
    private let tokenProvider: TokenProvider
    private let client: any SyncHTTPClient
    private let timeout: TimeInterval
    private let compressesRequests: Bool
    /// The last `GET /v1/schema` answer and its `ETag`.
    private let schemaCache = Locked<(tag: String, response: SchemaResponse)?>(nil)

    /// Creates a transport that sends its requests with `client`.
    ///
    /// - Parameters:
    ///   - baseURL: The server; requests go to `/v1/push`, `/v1/pull` and `/v1/schema` under it.
    ///   - timeout: Seconds a request may take.
    ///   - compressRequests: Send bodies gzip-compressed (`Content-Encoding: gzip`).
    ///   - client: What moves the bytes.
    ///   - tokenProvider: The bearer token for each request.
    public init(
        baseURL: URL,
        timeout: TimeInterval = 60,
        compressRequests: Bool = true,
        client: any SyncHTTPClient,
        tokenProvider: @escaping TokenProvider
    ) {
        self.baseURL = baseURL
        self.timeout = timeout
        self.compressesRequests = compressRequests
        self.client = client
        self.tokenProvider = tokenProvider
    }

    /// Creates a transport that sends its requests with URLSession.
    ///
    /// - Parameters:
    ///   - baseURL: The server; requests go to `/v1/push`, `/v1/pull` and `/v1/schema` under it.
    ///   - timeout: Seconds a request may take.
    ///   - compressRequests: Send bodies gzip-compressed (`Content-Encoding: gzip`).
    ///   - session: The URL session; a default one unless given.
    ///   - tokenProvider: The bearer token for each request.
    public init(
        baseURL: URL,
        timeout: TimeInterval = 60,
        compressRequests: Bool = true,
        session: URLSession = URLSession(configuration: .ephemeral),
        tokenProvider: @escaping TokenProvider
    ) {
        self.init(baseURL: baseURL, timeout: timeout, compressRequests: compressRequests,
                  client: URLSessionSyncHTTPClient(session: session), tokenProvider: tokenProvider)
    }

    public func push(_ request: PushRequest) async throws -> PushResponse {
        try await push(try prepare(request))
    }

    /// Encodes the request's body, and compresses it unless `compressRequests` is off.
    public func prepare(_ request: PushRequest) throws -> PreparedPush {
        let (body, headers) = try encodeBody { PushRequestWriter.json(request) }
        return PreparedPush(request: request, body: body, headers: headers)
    }

    public func push(_ prepared: PreparedPush) async throws -> PushResponse {
        let (body, headers) = try prepared.body.map { ($0, prepared.headers) }
            ?? encodeBody { PushRequestWriter.json(prepared.request) }
        return try await send("POST", "v1/push", encodedBody: body, headers: headers) { data throws in
            try PushResponseDecoder.decode(data)
        }
    }

    public func pull(_ request: PullRequest) async throws -> PullResponse {
        // Pages are large: read them with the dedicated parser rather than JSONDecoder.
        // A pull that may wait gets its wait on top of the request's time.
        var (body, headers) = try encodeBody { try JSONEncoder().encode(request) }
        // The page carries the request's id, so a problem with one of its rows can be
        // matched with the server's log.
        let requestID = UUID().uuidString.lowercased()
        headers["X-Request-ID"] = requestID
        var page = try await exchange("POST", "v1/pull", encodedBody: body, headers: headers, extraTime: max(0, request.wait ?? 0)) { data, _ in
            try PullResponseDecoder.decode(data)
        }.0
        page.requestID = requestID
        return page
    }

    /// `GET /v1/schema`, asked with the `ETag` of the last answer: when nothing changed
    /// the server answers `304` without a body and the last answer is returned.
    public func schema() async throws -> SchemaResponse {
        let cached = schemaCache.withValue { $0 }
        var headers: [String: String] = [:]
        if let cached { headers["If-None-Match"] = cached.tag }
        let (answer, tag) = try await exchange("GET", "v1/schema", encodedBody: nil, headers: headers) { data, status in
            if status == 304, let cached { return cached.response }
            return try JSONDecoder().decode(SchemaResponse.self, from: data)
        }
        if let tag { schemaCache.withValue { $0 = (tag, answer) } }
        return answer
    }

    // MARK: - Attachments

    private static func query(_ target: AttachmentUploadTarget) -> [URLQueryItem] {
        [URLQueryItem(name: "subset", value: target.subset), URLQueryItem(name: "entity", value: target.entity),
         URLQueryItem(name: "field", value: target.field), URLQueryItem(name: "size", value: String(target.attachment.size))]
    }

    public func attachmentUploadState(_ target: AttachmentUploadTarget) async throws -> AttachmentUploadState {
        try await exchange("GET", "v1/attachments/\(target.attachment.sha256)/upload", query: Self.query(target),
                           encodedBody: nil, headers: [:]) { data, _ in
            try JSONDecoder().decode(AttachmentUploadState.self, from: data)
        }.0
    }

    public func uploadAttachment(_ target: AttachmentUploadTarget, offset: Int64, bytes: Data) async throws -> AttachmentUploadState {
        try await exchange("PUT", "v1/attachments/\(target.attachment.sha256)/upload",
                           query: Self.query(target) + [URLQueryItem(name: "offset", value: String(offset))],
                           encodedBody: bytes, headers: ["Content-Type": "application/octet-stream"]) { data, _ in
            try JSONDecoder().decode(AttachmentUploadState.self, from: data)
        }.0
    }

    public func downloadAttachment(_ attachment: SyncAttachment, subset: String, range: Range<Int64>) async throws -> Data {
        let headers = ["Range": "bytes=\(range.lowerBound)-\(range.upperBound - 1)", "Accept": "application/octet-stream"]
        return try await exchange("GET", "v1/attachments/\(attachment.sha256)", query: [URLQueryItem(name: "subset", value: subset)],
                                  encodedBody: nil, headers: headers, isFile: true) { data, status in
            guard status == 206 || status == 200 else { throw SyncTransportError.invalidResponse("status \(status)") }
            // A server that ignores Range sends the whole file: keep the part asked for.
            if status == 200, data.count == attachment.size, range.count < data.count {
                return data.subdata(in: Int(range.lowerBound)..<Int(range.upperBound))
            }
            return data
        }.0
    }

    /// A request body as sent: JSON, gzip-compressed when `compressesRequests`, and its headers.
    private func encodeBody(_ encode: () throws -> Data) throws -> (Data, [String: String]) {
        var data = try encode()
        var headers = ["Content-Type": "application/json"]
        if compressesRequests {
            data = try Gzip.compress(data)
            headers["Content-Encoding"] = "gzip"
        }
        return (data, headers)
    }

    private func send<Body: Encodable, Response: Decodable>(
        _ method: String, _ path: String, body: Body?,
        decode: (Data) throws -> Response = { try JSONDecoder().decode(Response.self, from: $0) }
    ) async throws -> Response {
        let encoded = try body.map { body in try encodeBody { try JSONEncoder().encode(body) } }
        return try await send(method, path, encodedBody: encoded?.0, headers: encoded?.1 ?? [:], decode: decode)
    }

    private func send<Response: Decodable>(
        _ method: String, _ path: String, encodedBody: Data?, headers: [String: String],
        decode: (Data) throws -> Response = { try JSONDecoder().decode(Response.self, from: $0) }
    ) async throws -> Response {
        try await exchange(method, path, encodedBody: encodedBody, headers: headers) { data, _ in try decode(data) }.0
    }

    /// Sends a request and decodes a 2xx or 304 answer; returns it with its `ETag`.
    ///
    /// A file's bytes (`isFile`) are inflated only when the server says they are gzip
    /// (`Content-Encoding`), never because they look like it.
    private func exchange<Response>(
        _ method: String, _ path: String, query: [URLQueryItem] = [], encodedBody: Data?, headers: [String: String],
        isFile: Bool = false, extraTime: TimeInterval = 0, decode: (Data, Int) throws -> Response
    ) async throws -> (Response, String?) {
        // Every request names itself, so a failure on either side can be matched.
        var fields = ["Accept": "application/json", "Accept-Encoding": "gzip", "X-Request-ID": UUID().uuidString.lowercased()]
        let token: String
        do {
            token = try await tokenProvider()
        } catch {
            throw SyncTransportError.unauthorized("the token provider failed: \(error)")
        }
        fields["Authorization"] = "Bearer \(token)"
        for (name, value) in headers { fields[name] = value }
        var url = baseURL.appendingPathComponent(path)
        if !query.isEmpty, var components = URLComponents(url: url, resolvingAgainstBaseURL: false) {
            components.queryItems = query
            url = components.url ?? url
        }
        let response = try await client.send(
            SyncHTTPRequest(method: method, url: url, headers: fields, body: encodedBody),
            timeout: .milliseconds(Int64((timeout + extraTime) * 1000)))
        // An answer that can't be read names the request too, so the server's log line
        // can be found.
        let requestID = response.headers["x-request-id"] ?? fields.first { $0.key.lowercased() == "x-request-id" }?.value
        var body = response.body
        let compressed = isFile && (200..<300).contains(response.status)
            ? response.headers["content-encoding"]?.lowercased() == "gzip"
            : Gzip.isCompressed(body)
        if compressed {
            do {
                body = try Gzip.decompress(body)
            } catch {
                throw SyncTransportError.invalidResponse("\(method) \(path): \(error)", requestID: requestID)
            }
        }
        guard (200..<300).contains(response.status) || response.status == 304 else {
            let answer = try? JSONDecoder().decode(ErrorResponse.self, from: body)
            throw SyncTransportError.response(
                status: response.status, serverCode: answer?.error,
                message: answer?.message ?? String(decoding: body.prefix(500), as: UTF8.self),
                requestID: answer?.requestId ?? response.headers["x-request-id"])
        }
        do {
            return (try decode(body, response.status), response.headers["etag"])
        } catch {
            throw SyncTransportError.invalidResponse("\(method) \(path): the body is not a valid \(Response.self): \(error)",
                                                     requestID: requestID)
        }
    }
}
