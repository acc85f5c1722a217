import Foundation
import Syncwright
#if canImport(Glibc)
import Glibc
#endif

/// A loopback port nothing listens on: bound for a moment to learn a free number, then
/// closed, so a connection to it is refused at once.
func closedLoopbackPort() throws -> Int {
    #if canImport(Glibc)
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EBADF) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
    #else
    return 1
    #endif
}

/// Passes requests to `base` and keeps how long each took, from the call to its answer
/// or error: what one attempt costs, apart from any wait of the test's own task.
final class TimedHTTPClient: SyncHTTPClient, @unchecked Sendable {
    private let base: any SyncHTTPClient
    private let lock = NSLock()
    private var durations: [Duration] = []

    init(_ base: any SyncHTTPClient) { self.base = base }

    /// How long each request took, in order.
    var attempts: [Duration] { lock.withLock { durations } }

    func send(_ request: SyncHTTPRequest, timeout: Duration) async throws -> SyncHTTPResponse {
        let started = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - started
            lock.withLock { durations.append(elapsed) }
        }
        return try await base.send(request, timeout: timeout)
    }
}

/// Runs `attempt` (which sends through a fresh ``TimedHTTPClient``) up to three times,
/// until every request it made took less than `bound`, and returns the last durations:
/// a moment when the test process is busy on every core (all suites start at once) can
/// slow one round, but a client that waits for its timeout is slow in every round.
func quickestAttempts(under bound: Duration, _ attempt: (TimedHTTPClient) async throws -> Void,
                      client make: () -> TimedHTTPClient) async rethrows -> [Duration] {
    var durations: [Duration] = []
    for _ in 0..<3 {
        let client = make()
        try await attempt(client)
        durations = client.attempts
        if !durations.isEmpty, durations.allSatisfy({ $0 < bound }) { break }
    }
    return durations
}
