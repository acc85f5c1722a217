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
    /// How much of an upload the server has (`GET /v1/attachments/{sha256}/upload`).
    func attachmentUploadState(_ target: AttachmentUploadTarget) async throws -> AttachmentUploadState
    /// Sends `bytes`, the file's bytes from `offset` on (`PUT …/upload`).
    func uploadAttachment(_ target: AttachmentUploadTarget, offset: Int64, bytes: Data) async throws -> AttachmentUploadState
    /// Fetches `range` of a file (`GET /v1/attachments/{sha256}` with `Range`).
    func downloadAttachment(_ attachment: SyncAttachment, subset: String, range: Range<Int64>) async throws -> Data
}

/// A push request with whatever a transport made of it before sending, such as its
/// encoded body. It can be sent more than once (the engine retries with it).
/// Where a file is uploaded for: an attachment field of an entity the device writes in
/// its subset. The server checks the device may write there and the file's size
/// against the field's cap.
public struct AttachmentUploadTarget: Sendable, Hashable {
    /// The file.
    public var attachment: SyncAttachment
    /// The device's subset.
    public var subset: String
    /// The entity whose row references the file.
    public var entity: String
    /// The attachment field.
    public var field: String

    /// Creates a target.
    public init(attachment: SyncAttachment, subset: String, entity: String, field: String) {
        self.attachment = attachment
        self.subset = subset
        self.entity = entity
        self.field = field
    }
}

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

    /// A transport that carries no files: every attachment request fails.
    public func attachmentUploadState(_ target: AttachmentUploadTarget) async throws -> AttachmentUploadState {
        throw SyncTransportError.invalidRequest("this transport doesn't carry attachments")
    }

    /// A transport that carries no files: every attachment request fails.
    public func uploadAttachment(_ target: AttachmentUploadTarget, offset: Int64, bytes: Data) async throws -> AttachmentUploadState {
        throw SyncTransportError.invalidRequest("this transport doesn't carry attachments")
    }

    /// A transport that carries no files: every attachment request fails.
    public func downloadAttachment(_ attachment: SyncAttachment, subset: String, range: Range<Int64>) async throws -> Data {
        throw SyncTransportError.invalidRequest("this transport doesn't carry attachments")
    }
}

/// Why a request to the server failed.
///
/// Compare ``code`` with the static values of ``Code``; ``serverCode`` is the server's own
/// `error` code and ``requestID`` the id its log names the request by.
///
///     catch let error as SyncTransportError where error.code == .unauthorized { … }
public struct SyncTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What kind of failure, as an extensible set of values (compare with `==`).
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// 401: no token, or an invalid, expired or forged one; or the token provider failed.
        public static let unauthorized = Code("unauthorized")
        /// 403: the token lacks a claim the subset needs, or may not use the subset.
        public static let forbidden = Code("forbidden")
        /// 409: the server doesn't serve this schema hash; the app is out of date.
        public static let schemaMismatch = Code("schemaMismatch")
        /// 410: the unit's cursor is older than the server's log.
        public static let resyncRequired = Code("resyncRequired")
        /// 413 or 422: the server couldn't accept the request body.
        public static let invalidRequest = Code("invalidRequest")
        /// 429: the server asks to slow down.
        public static let tooManyRequests = Code("tooManyRequests")
        /// 5xx.
        public static let server = Code("server")
        /// Any other status.
        public static let unexpectedStatus = Code("unexpectedStatus")
        /// The request didn't reach the server or the answer didn't come back.
        public static let network = Code("network")
        /// The request took longer than the timeout.
        public static let timeout = Code("timeout")
        /// The answer wasn't what the protocol says.
        public static let invalidResponse = Code("invalidResponse")

        public var description: String { name }
    }

    /// What kind of failure.
    public let code: Code
    /// The server's or the system's message.
    public let message: String
    /// The HTTP status, if the server answered.
    public let status: Int?
    /// The server's `error` code (`claim_missing`, `schema_retired`, …), if it sent one.
    public let serverCode: String?
    /// The request's id (`X-Request-ID`), by which the server's log finds it.
    public let requestID: String?

    private init(_ code: Code, _ message: String, status: Int?, serverCode: String? = nil, requestID: String? = nil) {
        self.code = code
        self.message = message
        self.status = status
        self.serverCode = serverCode
        self.requestID = requestID
    }

    /// 401: no token, or an invalid, expired or forged one.
    public static func unauthorized(_ message: String) -> Self { Self(.unauthorized, message, status: 401) }
    /// 403: the token lacks a claim the subset needs.
    public static func forbidden(_ message: String) -> Self { Self(.forbidden, message, status: 403) }
    /// 409: the server doesn't know this schema hash; the app is out of date.
    public static func schemaMismatch(_ message: String) -> Self { Self(.schemaMismatch, message, status: 409) }
    /// 410: the unit's cursor is older than the server's log (or was made for other
    /// claims); the engine drops the unit's synced rows and pulls it from the start.
    public static func resyncRequired(_ message: String) -> Self { Self(.resyncRequired, message, status: 410) }
    /// 422: the server couldn't accept the request body.
    public static func invalidRequest(_ message: String) -> Self { Self(.invalidRequest, message, status: 422) }
    /// 429: the server asks to slow down.
    public static func tooManyRequests(_ message: String) -> Self { Self(.tooManyRequests, message, status: 429) }
    /// 5xx.
    public static func server(status: Int, _ message: String) -> Self { Self(.server, message, status: status) }
    /// Any other status.
    public static func unexpectedStatus(_ status: Int, _ message: String) -> Self { Self(.unexpectedStatus, message, status: status) }
    /// The request didn't reach the server or the answer didn't come back.
    public static func network(_ message: String) -> Self { Self(.network, message, status: nil) }
    /// The request took longer than the timeout.
    public static func timeout(_ message: String) -> Self { Self(.timeout, message, status: nil) }
    /// The answer wasn't what the protocol says; `requestID` names the request in the
    /// server's log, when known.
    public static func invalidResponse(_ message: String, requestID: String? = nil) -> Self {
        Self(.invalidResponse, message, status: nil, requestID: requestID)
    }

    /// The error for an answer with `status` and the protocol's error body.
    public static func response(status: Int, serverCode: String?, message: String, requestID: String?) -> Self {
        let code: Code = switch status {
        case 401: .unauthorized
        case 403: .forbidden
        case 409: .schemaMismatch
        case 410: .resyncRequired
        case 413, 422: .invalidRequest
        case 429: .tooManyRequests
        case 500...599: .server
        default: .unexpectedStatus
        }
        return Self(code, message, status: status, serverCode: serverCode, requestID: requestID)
    }

    /// Whether trying again later may succeed: network trouble, timeouts, 429 and 5xx.
    /// The engine retries these with backoff and never drops a change because of them.
    public var isTransient: Bool {
        code == .network || code == .timeout || code == .tooManyRequests || code == .server
    }

    /// Whether the server asks for a unit to be pulled again from the start.
    public var isResyncRequired: Bool { code == .resyncRequired }
    /// Whether the server doesn't serve the request's schema hash (409): the app must
    /// be updated.
    public var isSchemaMismatch: Bool { code == .schemaMismatch }

    public var description: String {
        var text = (status.map { "HTTP \($0)" } ?? "") + (serverCode.map { " \($0)" } ?? "")
        if !text.isEmpty { text += ": " }
        text = text.trimmingCharacters(in: .whitespaces) + message
        if let requestID { text += " (request \(requestID))" }
        return text
    }
}
