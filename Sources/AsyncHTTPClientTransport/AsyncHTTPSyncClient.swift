import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
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

    private let client: HTTPClient

    /// Creates a client.
    ///
    /// - Parameter client: The AsyncHTTPClient to send with; the process-wide
    ///   `HTTPClient.shared` unless given. A client you create, you also shut down.
    public init(client: HTTPClient = .shared) {
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
        } catch let error as HTTPClientError where [.deadlineExceeded, .readTimeout, .writeTimeout, .connectTimeout].contains(error) {
            throw SyncTransportError.timeout("\(request.method) \(request.url.path) took longer than \(timeout): \(error)")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw SyncTransportError.network("\(request.method) \(request.url.path): \(error)")
        }
    }
}
