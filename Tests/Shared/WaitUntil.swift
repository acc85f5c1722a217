import Foundation
import Testing

// Shared by the runtime's and the server's test targets (each holds a link to this file).

/// A condition a test waited for in vain.
struct WaitedInVain: Error, CustomStringConvertible {
    var description: String
}

/// Waits until `condition` holds, looking every few milliseconds for at most `limit`;
/// past that the test fails, naming what it waited for. Tests wait for signals so, never
/// for time to pass. The default bound is generous: tests run side by side on two cores,
/// and a CPU-bound one can hold both threads for seconds.
func waitUntil(
    _ what: String, within limit: Duration = .seconds(60), sourceLocation: SourceLocation = #_sourceLocation,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + limit
    while try await !condition() {
        guard ContinuousClock.now < deadline else {
            Issue.record("waited \(limit) in vain for \(what)", sourceLocation: sourceLocation)
            throw WaitedInVain(description: what)
        }
        try await Task.sleep(for: .milliseconds(2))
    }
}
