import Foundation
import Syncwright

/// Waiting pulls, by the buckets they wait on: a change to a bucket wakes the pulls
/// waiting on it and no other. Registering costs a dictionary entry per bucket; a
/// waiting pull costs no database work at all.
///
/// A pull registers *before* it reads the log one last time, so a change that lands
/// between that read and the wait still wakes it.
final class BucketSignals: Sendable {
    /// A registration: its id, and whether it has been signalled.
    struct Ticket: Sendable, Hashable {
        fileprivate let id: UInt64
    }

    private struct Waiter {
        var buckets: Set<String>
        var signalled = false
        var continuation: CheckedContinuation<Bool, Never>?
    }

    private struct State {
        var next: UInt64 = 0
        var waiters: [UInt64: Waiter] = [:]
        var byBucket: [String: Set<UInt64>] = [:]
    }

    private let state = Locked(State())

    /// How many pulls wait now.
    var waitingCount: Int { state.withValue { $0.waiters.count } }

    /// Starts listening for changes to `buckets`.
    func register(_ buckets: Set<String>) -> Ticket {
        state.withValue { state in
            state.next += 1
            let id = state.next
            state.waiters[id] = Waiter(buckets: buckets)
            for bucket in buckets { state.byBucket[bucket, default: []].insert(id) }
            return Ticket(id: id)
        }
    }

    /// Stops listening.
    func cancel(_ ticket: Ticket) {
        finish(ticket.id, woken: false)
    }

    /// Waits until one of the ticket's buckets is signalled (true), the deadline passes
    /// or the task is cancelled (false). The ticket is done afterwards.
    func wait(_ ticket: Ticket, until deadline: ContinuousClock.Instant) async -> Bool {
        let timer = Task {
            try? await Task.sleep(until: deadline, clock: .continuous)
            self.finish(ticket.id, woken: false)
        }
        defer { timer.cancel() }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
                let resumeNow: Bool? = state.withValue { state in
                    guard var waiter = state.waiters[ticket.id] else { return false }
                    if waiter.signalled { return true }
                    waiter.continuation = continuation
                    state.waiters[ticket.id] = waiter
                    return nil
                }
                if let resumeNow {
                    finish(ticket.id, woken: resumeNow)
                    continuation.resume(returning: resumeNow)
                }
            }
        } onCancel: {
            self.finish(ticket.id, woken: false)
        }
    }

    /// Wakes the pulls waiting on any of `buckets`.
    func signal(_ buckets: some Sequence<String>) {
        let woken: [CheckedContinuation<Bool, Never>] = state.withValue { state in
            var ids = Set<UInt64>()
            for bucket in buckets { ids.formUnion(state.byBucket[bucket] ?? []) }
            var continuations: [CheckedContinuation<Bool, Never>] = []
            for id in ids {
                guard var waiter = state.waiters[id] else { continue }
                if let continuation = waiter.continuation {
                    Self.remove(id, waiter, from: &state)
                    continuations.append(continuation)
                } else {
                    waiter.signalled = true
                    state.waiters[id] = waiter
                }
            }
            return continuations
        }
        for continuation in woken { continuation.resume(returning: true) }
    }

    private func finish(_ id: UInt64, woken: Bool) {
        let continuation: CheckedContinuation<Bool, Never>? = state.withValue { state in
            guard let waiter = state.waiters[id] else { return nil }
            Self.remove(id, waiter, from: &state)
            return waiter.continuation
        }
        continuation?.resume(returning: woken)
    }

    private static func remove(_ id: UInt64, _ waiter: Waiter, from state: inout State) {
        state.waiters[id] = nil
        for bucket in waiter.buckets {
            state.byBucket[bucket]?.remove(id)
            if state.byBucket[bucket]?.isEmpty == true { state.byBucket[bucket] = nil }
        }
    }
}
