import Foundation

/// Moves one HTTP request and its answer for ``HTTPSyncTransport``, which does
/// everything else the protocol asks (bodies, gzip, the token, statuses, decoding).
///
/// Two come with Syncwright: ``URLSessionSyncHTTPClient`` here, and
/// `AsyncHTTPSyncClient` in the `SyncwrightAsyncHTTPClient` product, which Linux apps
/// should use: URLSession on Linux (swift-corelibs-foundation) stops the process when a
/// connection closes inside the response's headers.
public protocol SyncHTTPClient: Sendable {
    /// Sends `request` and returns the server's status and body as received (still
    /// compressed, if the server compressed it).
    ///
    /// - Throws: ``SyncTransportError/network(_:)`` when the request didn't reach the
    ///   server or the answer didn't come back whole, ``SyncTransportError/timeout(_:)``
    ///   when it took longer than `timeout`. Never a crash: a client must turn every
    ///   fault of the connection into one of these.
    func send(_ request: SyncHTTPRequest, timeout: Duration) async throws -> SyncHTTPResponse
}

/// One request of the sync protocol, as ``SyncHTTPClient`` sends it.
public struct SyncHTTPRequest: Sendable, Hashable {
    /// `GET` or `POST`.
    public var method: String
    /// The full URL.
    public var url: URL
    /// Header fields; each name once.
    public var headers: [String: String]
    /// The body as sent, if any.
    public var body: Data?

    /// Creates a request.
    public init(method: String, url: URL, headers: [String: String], body: Data?) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// `METHOD path`, for error messages.
    var summary: String { "\(method) \(url.path)" }
}

/// The server's answer, as ``SyncHTTPClient`` received it.
public struct SyncHTTPResponse: Sendable, Hashable {
    /// The HTTP status.
    public var status: Int
    /// The body, as received.
    public var body: Data
    /// Header fields by lower-cased name; the transport reads `etag`.
    public var headers: [String: String]

    /// Creates a response.
    public init(status: Int, body: Data, headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }
}
