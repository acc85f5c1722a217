import Foundation
import Testing
@testable import Syncwright

/// The engine's timers (``SyncConfiguration/sleep``) under the test's control: a timer
/// ends when the test calls ``fire()``, or throws when its task is cancelled.
final class ManualTimers: Sendable {
    private struct State {
        var waiting: [UUID: CheckedContinuation<Void, any Error>] = [:]
        var cancelled = 0
    }

    private let state = Locked(State())

    /// How many timers run now.
    var running: Int { state.withValue { $0.waiting.count } }
    /// How many timers ended because their task was cancelled.
    var cancelled: Int { state.withValue { $0.cancelled } }

    /// The sleep to put in a ``SyncConfiguration``.
    var sleep: @Sendable (Duration) async throws -> Void {
        { [self] _ in try await self.wait() }
    }

    /// Ends every running timer.
    func fire() {
        let continuations = state.withValue { state in
            defer { state.waiting = [:] }
            return Array(state.waiting.values)
        }
        for continuation in continuations { continuation.resume() }
    }

    private func wait() async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let cancelledAlready = state.withValue { state in
                    if Task.isCancelled {
                        state.cancelled += 1
                        return true
                    }
                    state.waiting[id] = continuation
                    return false
                }
                if cancelledAlready { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let continuation = state.withValue { state -> CheckedContinuation<Void, any Error>? in
                guard let continuation = state.waiting.removeValue(forKey: id) else { return nil }
                state.cancelled += 1
                return continuation
            }
            continuation?.resume(throwing: CancellationError())
        }
    }
}

/// Reads the engine's status from now on until a sync finishes. Returns once the first
/// status (the current one) has been read, so the reader is in place before the test
/// starts the sync it watches.
func recordStatuses(of engine: SyncEngine) async -> Task<[SyncStatus], Never> {
    let (firstRead, reading) = AsyncStream<Void>.makeStream()
    let stream = engine.status
    let recorder = Task {
        var seen: [SyncStatus] = []
        for await status in stream {
            seen.append(status)
            reading.finish()
            if case .finished = status.activity { break }
        }
        reading.finish()
        return seen
    }
    for await _ in firstRead {}
    return recorder
}
