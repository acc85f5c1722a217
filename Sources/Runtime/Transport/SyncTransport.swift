import Foundation

/// How the engine talks to a server. ``HTTPSyncTransport`` is the real one; tests and
/// other protocols provide their own.
public protocol SyncTransport: Sendable {
    /// Sends local changes.
    func push(_ request: PushRequest) async throws -> PushResponse
    /// Does the work of sending `request` that needs no network, such as encoding and
    /// compressing its body. The engine prepares a batch while the server still works on
    /// the one before, then sends it with `push(_:)` of the prepared push. The default keeps
    /// the request as it is.
    func prepare(_ request: PushRequest) throws -> PreparedPush
    /// Sends a prepared push; the same as sending its request. The default sends
    /// `prepared.request` with `push(_:)` of the request.
    func push(_ prepared: PreparedPush) async throws -> PushResponse
    /// Fetches one page of changes.
    func pull(_ request: PullRequest) async throws -> PullResponse
    /// Fetches the server's schema hash and subsets.
    func schema() async throws -> SchemaResponse
}

/// A push request with whatever a transport made of it before sending, such as its
/// encoded body. It can be sent more than once (the engine retries with it).
public struct PreparedPush: Sendable {
    /// The request.
    public let request: PushRequest
    /// The body as the transport sends it; nil when the transport prepares nothing.
    public let body: Data?
    /// Headers that go with `body`, such as its content encoding.
    public let headers: [String: String]

    /// Creates a prepared push.
    public init(request: PushRequest, body: Data? = nil, headers: [String: String] = [:]) {
        self.request = request
        self.body = body
        self.headers = headers
    }
}

extension SyncTransport {
    public func prepare(_ request: PushRequest) throws -> PreparedPush {
        PreparedPush(request: request)
    }

    public func push(_ prepared: PreparedPush) async throws -> PushResponse {
        try await push(prepared.request)
    }
}

/// Why a request to the server failed.
public struct SyncTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: Sendable, Hashable {
        case unauthorized, forbidden, schemaMismatch, resyncRequired, invalidRequest, tooManyRequests
        case server(status: Int)
        case unexpectedStatus(Int)
        case network
        case timeout
        case invalidResponse
    }

    private let code: Code
    /// The server's or the system's message.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// 401: no token, or an invalid, expired or forged one.
    public static func unauthorized(_ message: String) -> Self { Self(.unauthorized, message) }
    /// 403: the token lacks a claim the subset needs.
    public static func forbidden(_ message: String) -> Self { Self(.forbidden, message) }
    /// 409: the server doesn't know this schema hash; the app is out of date.
    public static func schemaMismatch(_ message: String) -> Self { Self(.schemaMismatch, message) }
    /// 410: the unit's cursor is older than the server's log (or was made for other
    /// claims); the engine drops the unit's synced rows and pulls it from the start.
    public static func resyncRequired(_ message: String) -> Self { Self(.resyncRequired, message) }
    /// 422: the server couldn't accept the request body.
    public static func invalidRequest(_ message: String) -> Self { Self(.invalidRequest, message) }
    /// 429: the server asks to slow down.
    public static func tooManyRequests(_ message: String) -> Self { Self(.tooManyRequests, message) }
    /// 5xx.
    public static func server(status: Int, _ message: String) -> Self { Self(.server(status: status), message) }
    /// Any other status.
    public static func unexpectedStatus(_ status: Int, _ message: String) -> Self { Self(.unexpectedStatus(status), message) }
    /// The request didn't reach the server or the answer didn't come back.
    public static func network(_ message: String) -> Self { Self(.network, message) }
    /// The request took longer than the timeout.
    public static func timeout(_ message: String) -> Self { Self(.timeout, message) }
    /// The answer wasn't what the protocol says.
    public static func invalidResponse(_ message: String) -> Self { Self(.invalidResponse, message) }

    /// The HTTP status, if the server answered.
    public var status: Int? {
        switch code {
        case .unauthorized: 401
        case .forbidden: 403
        case .schemaMismatch: 409
        case .resyncRequired: 410
        case .invalidRequest: 422
        case .tooManyRequests: 429
        case .server(let status), .unexpectedStatus(let status): status
        case .network, .timeout, .invalidResponse: nil
        }
    }

    /// Whether trying again later may succeed: network trouble, timeouts, 429 and 5xx.
    /// The engine retries these with backoff and never drops a change because of them.
    public var isTransient: Bool {
        switch code {
        case .network, .timeout, .tooManyRequests, .server: true
        default: false
        }
    }

    /// Whether the server asks for a unit to be pulled again from the start.
    public var isResyncRequired: Bool { code == .resyncRequired }
    /// Whether the server doesn't serve the request's schema hash (409): the app must
    /// be updated.
    public var isSchemaMismatch: Bool { code == .schemaMismatch }

    public var description: String {
        let prefix = status.map { "HTTP \($0): " } ?? ""
        return prefix + message
    }
}
