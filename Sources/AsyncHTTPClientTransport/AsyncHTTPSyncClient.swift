import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Syncwright

/// Sends the sync protocol's requests with AsyncHTTPClient (SwiftNIO): the client to use
/// on Linux, where URLSession stops the process when a connection closes inside a
/// response's headers. Every fault of the connection becomes a
/// ``SyncTransportError``, which the engine retries like any network failure.
///
/// ```swift
/// let transport = HTTPSyncTransport(baseURL: url, client: AsyncHTTPSyncClient()) { try await auth.token() }
/// ```
public struct AsyncHTTPSyncClient: SyncHTTPClient {
    /// The largest response body accepted, in bytes (a pull page is bounded by its
    /// `limit`; this only stops a broken server from exhausting memory).
    public static let maximumResponseSize = 512 * 1024 * 1024

    /// How long a connection may take to open unless said otherwise: a server that is
    /// there answers in milliseconds; one that isn't shouldn't cost the request's whole
    /// timeout.
    public static let defaultConnectTimeout: Duration = .seconds(5)

    /// The process-wide client ``init(client:)`` uses unless given one, configured by
    /// ``configuration(connectTimeout:)``. It is never shut down.
    public static let sharedClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration())

    /// AsyncHTTPClient's platform defaults, with what a sync client needs: a connection
    /// that can't be opened — refused, unreachable, a name that doesn't resolve, or no
    /// answer within `connectTimeout` — fails the request at once, instead of being
    /// tried again until the request's own timeout ends. The engine then retries the
    /// sync on its backoff. Use it for an `HTTPClient` of your own.
    public static func configuration(connectTimeout: Duration = defaultConnectTimeout) -> HTTPClient.Configuration {
        var configuration = HTTPClient.Configuration.singletonConfiguration
        configuration.timeout.connect = .nanoseconds(
            connectTimeout.components.seconds * 1_000_000_000 + connectTimeout.components.attoseconds / 1_000_000_000)
        configuration.connectionPool.retryConnectionEstablishment = false
        return configuration
    }

    private let client: HTTPClient

    /// Creates a client.
    ///
    /// - Parameter client: The AsyncHTTPClient to send with; ``sharedClient`` unless
    ///   given. A client you create, you also shut down; make it with
    ///   ``configuration(connectTimeout:)`` so a server that isn't there fails fast.
    public init(client: HTTPClient = AsyncHTTPSyncClient.sharedClient) {
        self.client = client
    }

    public func send(_ request: SyncHTTPRequest, timeout: Duration) async throws -> SyncHTTPResponse {
        var outgoing = HTTPClientRequest(url: request.url.absoluteString)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            outgoing.headers.add(name: name, value: value)
        }
        if let body = request.body {
            outgoing.body = .bytes(ByteBuffer(bytes: body))
        }
        let deadline = TimeAmount.nanoseconds(
            timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000)
        do {
            let response = try await client.execute(outgoing, timeout: deadline)
            var buffer = try await response.body.collect(upTo: Self.maximumResponseSize)
            let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
            var headers: [String: String] = [:]
            for header in response.headers { headers[header.name.lowercased()] = header.value }
            return SyncHTTPResponse(status: Int(response.status.code), body: Data(bytes), headers: headers)
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .writeTimeout].contains(error) {
            throw SyncTransportError.timeout("\(request.method) \(request.url.path) took longer than \(timeout): \(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SyncTransportError.network("\(request.method) \(request.url.path): \(Self.describe(error, url: request.url))")
        }
    }

    /// A connection failure in words: which server, and what happened.
    static func describe(_ error: any Error, url: URL) -> String {
        let server = "\(url.host ?? "the server")\(url.port.map { ":\($0)" } ?? "")"
        func reason(_ error: any Error) -> String? {
            if let error = error as? IOError {
                switch error.errnoCode {
                case ECONNREFUSED: return "the connection was refused (is the server running?)"
                case ENETUNREACH, EHOSTUNREACH: return "the network can't reach it"
                case ETIMEDOUT: return "it didn't answer"
                default: return nil
                }
            }
            if let error = error as? HTTPClientError, error == .connectTimeout {
                return "it didn't accept a connection in time"
            }
            return nil
        }
        if let failure = error as? NIOConnectionError {
            if failure.connectionErrors.isEmpty, failure.dnsAError != nil || failure.dnsAAAAError != nil {
                return "can't connect to \(server): the name doesn't resolve to an address"
            }
            let reasons = failure.connectionErrors.map { reason($0.error) ?? "\($0.error)" }
            if let first = reasons.first { return "can't connect to \(server): \(first)" }
        }
        if let reason = reason(error) { return "can't connect to \(server): \(reason)" }
        return "\(error)"
    }
}
