import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Sends requests with a `URLSession`: the client to use on Apple platforms.
///
/// On Linux, swift-corelibs-foundation's URLSession stops the process (`Transfer
/// completed, but there's no response`) when a connection closes inside the response's
/// headers, which no caller can catch; use `AsyncHTTPSyncClient` from the
/// `SyncwrightAsyncHTTPClient` product there.
public struct URLSessionSyncHTTPClient: SyncHTTPClient {
    private let session: URLSession

    /// Creates a client.
    ///
    /// - Parameter session: The URL session; an ephemeral one unless given.
    public init(session: URLSession = URLSession(configuration: .ephemeral)) {
        self.session = session
    }

    public func send(_ request: SyncHTTPRequest, timeout: Duration) async throws -> SyncHTTPResponse {
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        var urlRequest = URLRequest(url: request.url, timeoutInterval: seconds)
        urlRequest.httpMethod = request.method
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        urlRequest.httpBody = request.body
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await session.data(for: urlRequest)
        } catch let error as URLError where error.code == .timedOut {
            throw SyncTransportError.timeout("\(request.summary) took longer than \(Int(seconds)) s")
        } catch let error as URLError {
            throw SyncTransportError.network("\(request.summary): \(Self.describe(error, url: request.url))")
        } catch {
            throw SyncTransportError.network("\(request.summary): \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw SyncTransportError.invalidResponse("\(request.summary): not an HTTP response")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields { headers["\(name)".lowercased()] = "\(value)" }
        return SyncHTTPResponse(status: http.statusCode, body: data, headers: headers)
    }

    /// A failure to reach the server in words: which server, and what happened. A
    /// refused connection or a name that doesn't resolve fails at once; URLSession has
    /// no connect timeout of its own, so a host that drops the connection attempt
    /// waits for the request's timeout.
    static func describe(_ error: URLError, url: URL) -> String {
        let server = "\(url.host ?? "the server")\(url.port.map { ":\($0)" } ?? "")"
        switch error.code {
        case .cannotConnectToHost: return "can't connect to \(server): the connection was refused (is the server running?)"
        case .cannotFindHost, .dnsLookupFailed: return "can't connect to \(server): the name doesn't resolve to an address"
        case .notConnectedToInternet: return "can't connect to \(server): the device is offline"
        case .networkConnectionLost: return "the connection to \(server) was lost"
        default: return "\(server): \(error.localizedDescription)"
        }
    }
}
