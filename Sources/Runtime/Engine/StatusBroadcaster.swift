import Foundation

/// Hands status changes to every subscriber, each starting with the current one.
///
/// Each stream keeps only the newest status a subscriber hasn't read yet: a slow
/// reader (a view that redraws) skips the statuses it was too slow for and always reads
/// the latest, and memory stays bounded however fast a sync publishes.
final class StatusBroadcaster: Sendable {
    private struct State {
        var current: SyncStatus
        var continuations: [UUID: AsyncStream<SyncStatus>.Continuation] = [:]
    }

    private let state: Locked<State>

    init(_ initial: SyncStatus) {
        state = Locked(State(current: initial))
    }

    /// Every stream finishes when the engine that owns the broadcaster goes away, so a
    /// `for await` over it ends instead of waiting forever.
    deinit {
        let continuations = state.withValue { Array($0.continuations.values) }
        for continuation in continuations { continuation.finish() }
    }

    var current: SyncStatus { state.withValue { $0.current } }

    func stream() -> AsyncStream<SyncStatus> {
        let (stream, continuation) = AsyncStream<SyncStatus>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = UUID()
        state.withValue { state in
            continuation.yield(state.current)
            state.continuations[id] = continuation
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withValue { _ = $0.continuations.removeValue(forKey: id) }
        }
        return stream
    }

    func publish(_ status: SyncStatus) {
        state.withValue { state in
            guard state.current != status else { return }
            state.current = status
            for continuation in state.continuations.values { continuation.yield(status) }
        }
    }

    /// Changes only the pending count, keeping whatever activity is current.
    func updatePendingChanges(_ count: Int) {
        state.withValue { state in
            guard state.current.pendingChanges != count else { return }
            state.current.pendingChanges = count
            for continuation in state.continuations.values { continuation.yield(state.current) }
        }
    }
}
