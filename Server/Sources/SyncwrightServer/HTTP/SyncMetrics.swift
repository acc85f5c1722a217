import Metrics
import SyncwrightCore

/// The server's own metrics, reported through swift-metrics to whatever backend the
/// process bootstraps (``SyncServer/bootstrapPrometheus()`` for `GET /metrics`).
/// Requests by route and status and their latency come from Hummingbird's
/// `MetricsMiddleware` (`hb_requests`, `http_server_request_duration`).
///
/// | metric | type | dimensions |
/// |---|---|---|
/// | `syncwright_push_ops` | counter | `result` (applied, conflict, rejected), `code` (the rejection's code, or `none`) |
/// | `syncwright_pull_changes` | counter | — |
/// | `syncwright_pulls_in_progress` | gauge | — |
///
/// Dimensions never carry keys, claims or values: only codes the protocol defines.
struct SyncMetrics: Sendable {
    private let counters = Locked<[String: Counter]>([:])
    private let pullChanges = Counter(label: "syncwright_pull_changes")
    private let pullsInProgress = Meter(label: "syncwright_pulls_in_progress")

    /// Counts a push's results by result and code.
    func recordPush(_ results: [PushResult]) {
        var tally: [String: (result: String, code: String, count: Int)] = [:]
        for result in results {
            let code = result.status == .rejected ? (result.code ?? "rejected") : "none"
            let key = result.status.rawValue + "/" + code
            tally[key, default: (result.status.rawValue, code, 0)].count += 1
        }
        for (key, entry) in tally {
            let counter = counters.withValue { counters in
                if let counter = counters[key] { return counter }
                let counter = Counter(label: "syncwright_push_ops", dimensions: [("result", entry.result), ("code", entry.code)])
                counters[key] = counter
                return counter
            }
            counter.increment(by: entry.count)
        }
    }

    /// Runs a pull, counting it while it runs and its changes once answered.
    func measurePull<T>(_ body: () async throws -> (T, changes: Int)) async throws -> T {
        pullsInProgress.increment()
        defer { pullsInProgress.decrement() }
        let (answer, changes) = try await body()
        pullChanges.increment(by: changes)
        return answer
    }
}
