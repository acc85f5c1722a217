import Foundation
import Logging
#if canImport(Network)
import Network
#endif

/// Runs syncs between a ``SyncStore`` and a server: one at a time, in the order they
/// were requested.
///
/// A sync pushes the outbox in order, in batches, each operation with a stable op id;
/// then pulls each requested unit by priority, page by page, each page applied with its
/// cursor in one transaction. Transient failures are retried with exponential backoff
/// and jitter; a sync that still fails keeps every pending change for the next one.
///
///     let engine = SyncEngine(store: store, transport: HTTPSyncTransport(baseURL: url) { try await auth.token() })
///     await engine.start()
///     for await status in engine.status { … }
public actor SyncEngine {
    /// The store the engine syncs.
    public nonisolated let store: SyncStore
    /// When and how the engine syncs.
    public nonisolated let configuration: SyncConfiguration

    let transport: any SyncTransport
    let broadcaster: StatusBroadcaster
    /// The per-entity hooks registered with ``on(_:perform:)``.
    nonisolated let hooks = SyncHooks()
    private var queue: [Job] = []
    private var worker: Task<Void, Never>?
    private var isNetworkAvailable = true
    private var syncWhenOnline = false
    private var isStarted = false
    private var periodicTask: Task<Void, Never>?
    /// Live mode's loop: a waiting pull, then a sync, again (``SyncConfiguration/liveWait``).
    private var liveTask: Task<Void, Never>?
    private var localWriteObservation: LocalWriteObservation?
    /// Downloads of attachment files running now, by hash: a second request for the
    /// same file (the app's, during a sync's) waits for the first.
    var attachmentDownloads: [String: Task<Void, any Error>] = [:]
    private let pendingCountObservation: LocalWriteObservation
    #if canImport(Network)
    private var pathMonitor: NWPathMonitor?
    #endif

    private enum Work: Equatable {
        /// Pushes (unless `pushes` is false), then pulls `units` (nil: all).
        case sync(units: [String]?, pushes: Bool)
        case purge(unit: String, force: Bool)

        /// Whether running this work also does all of `other`: a sync of every unit
        /// covers a sync of some, a pushing sync covers one that only pulls.
        func covers(_ other: Work) -> Bool {
            guard case .sync(let units, let pushes) = self, case .sync(let otherUnits, let otherPushes) = other else {
                return self == other
            }
            guard pushes || !otherPushes else { return false }
            guard let units else { return true }
            guard let otherUnits else { return false }
            return Set(otherUnits).isSubset(of: units)
        }
    }

    private struct Job {
        var work: Work
        var waiters: [CheckedContinuation<SyncReport, any Error>] = []
    }

    /// Creates an engine. Nothing runs until ``start()`` or a sync request.
    public init(store: SyncStore, transport: any SyncTransport, configuration: SyncConfiguration = SyncConfiguration()) {
        self.store = store
        self.transport = transport
        self.configuration = configuration
        let broadcaster = StatusBroadcaster(SyncStatus(
            activity: .idle, pendingChanges: (try? store.pendingChangeCount()) ?? 0,
            lastSyncedAt: try? store.lastSyncedAt()))
        self.broadcaster = broadcaster
        // Every local save changes the pending count; show it right away.
        pendingCountObservation = store.addLocalWriteObserver { [weak store] in
            if let count = try? store?.pendingChangeCount() { broadcaster.updatePendingChanges(count) }
        }
    }

    /// Status changes as they happen, starting with the current status. Each call
    /// returns a new sequence; any number may be listened to at once. The sequences
    /// finish when the engine is released.
    public nonisolated var status: AsyncStream<SyncStatus> { broadcaster.stream() }

    /// The status now.
    public nonisolated var currentStatus: SyncStatus { broadcaster.current }

    // MARK: - Lifecycle

    /// Starts automatic syncing as configured: once now (`syncOnStart`), after every
    /// local save (`delayedSync` off), periodically, and when the network returns.
    public func start() {
        guard !isStarted else { return }
        isStarted = true
        if !configuration.delayedSync {
            localWriteObservation = store.addLocalWriteObserver { [weak self] in
                Task { await self?.requestSync() }
            }
        }
        if let interval = configuration.periodicInterval {
            let sleep = configuration.sleep
            periodicTask = Task { [weak self] in
                while !Task.isCancelled {
                    try? await sleep(interval)
                    guard !Task.isCancelled else { return }
                    await self?.requestSync()
                }
            }
        }
        #if canImport(Network)
        if configuration.syncOnReconnect {
            let monitor = NWPathMonitor()
            monitor.pathUpdateHandler = { [weak self] path in
                Task { await self?.setNetworkAvailable(path.status == .satisfied) }
            }
            monitor.start(queue: DispatchQueue(label: "Syncwright.path-monitor"))
            pathMonitor = monitor
        }
        #endif
        if configuration.syncOnStart { requestSync() }
        startLive()
    }

    /// Starts live mode's loop when configured, started and online.
    private func startLive() {
        guard let wait = configuration.liveWait, isStarted, isNetworkAvailable, liveTask == nil else { return }
        liveTask = Task { [weak self] in await self?.runLive(wait: wait) }
    }

    private func stopLive() {
        liveTask?.cancel()
        liveTask = nil
    }

    /// Live mode: a pull that waits for a change in the device's subset (it doesn't
    /// touch the store), and a sync through the queue when one arrives or the store has
    /// no cursor yet. Failures back off as the retry policy says; the loop ends when
    /// the engine stops or the network goes.
    private func runLive(wait: Duration) async {
        let seconds = Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18
        let policy = configuration.retry
        var failures = 0
        while !Task.isCancelled {
            do {
                let model = store.model
                var cursors: [String: String?] = [:]
                for unit in model.units { cursors[unit.name] = try await store.cursor(forUnit: unit.name) }
                var changed = cursors.values.contains { $0 == nil }
                if !changed {
                    let request = PullRequest(subset: model.subset, schemaHash: model.schemaHash, units: cursors, limit: 1, wait: seconds)
                    do {
                        let asked = ContinuousClock.now
                        changed = try await !transport.pull(request).changes.isEmpty
                        if !changed, ContinuousClock.now - asked < wait / 2 {
                            // A server that doesn't hold pulls answers at once: don't spin.
                            try await configuration.sleep(min(wait, .seconds(5)))
                        }
                    } catch is CancellationError {
                        return
                    } catch {
                        // A cursor to restart, an app out of date, the network: the sync
                        // handles each (and fails, to back off, when it can't).
                        changed = true
                    }
                }
                guard !Task.isCancelled else { return }
                if changed { try await sync() }
                failures = 0
            } catch {
                guard !Task.isCancelled else { return }
                failures += 1
                configuration.logger.notice("live sync failed; waiting before the next try", metadata: Self.metadata(SyncFailure(error)))
                try? await policy.sleep(policy.delay(afterAttempt: min(failures, 30)))
            }
        }
    }

    /// Stops automatic syncing; a sync already running finishes, and syncs queued but
    /// not started that nobody waits for (automatic ones, `requestSync`) are dropped.
    public func stop() {
        isStarted = false
        queue.removeAll { $0.waiters.isEmpty }
        localWriteObservation?.cancel()
        localWriteObservation = nil
        periodicTask?.cancel()
        periodicTask = nil
        stopLive()
        #if canImport(Network)
        pathMonitor?.cancel()
        pathMonitor = nil
        #endif
    }

    /// Tells the engine whether the network is reachable, on platforms without a path
    /// monitor or when the app knows better. Coming back online runs the syncs that
    /// were requested while offline, and one more if `syncOnReconnect` is set.
    public func setNetworkAvailable(_ available: Bool) {
        let cameBack = available && !isNetworkAvailable
        isNetworkAvailable = available
        // A running sync reports its own progress; otherwise show the connectivity.
        if worker == nil || !available { publishActivity(available ? .idle : .offline) }
        if cameBack, syncWhenOnline || configuration.syncOnReconnect {
            syncWhenOnline = false
            requestSync()
        }
        if available { startLive() } else { stopLive() }
    }

    // MARK: - Requests

    /// Syncs and waits for the result. The sync runs after the requests already queued.
    ///
    /// - Parameter units: The units to pull; nil for all. Pending changes are always pushed.
    /// - Returns: What the sync did.
    /// - Throws: ``SyncFailure``, always: its ``SyncFailure/code`` says what stopped the
    ///   sync (``SyncFailure/Code/outdated`` with ``SyncFailure/outdated`` when the app
    ///   must be updated, ``SyncFailure/Code/cancelled`` when a later request discarded
    ///   this one before it ran). Pending changes are kept.
    @discardableResult
    public func sync(units: [SyncUnit]? = nil) async throws -> SyncReport {
        try await sync(units: units, pushes: true)
    }

    /// Pulls `units` without pushing, and waits for the result: the pull-only action of
    /// a read-only entity. Pending changes stay queued (and pulled rows never overwrite
    /// them).
    @discardableResult
    public func pull(units: [SyncUnit]) async throws -> SyncReport {
        try await sync(units: units, pushes: false)
    }

    private func sync(units: [SyncUnit]?, pushes: Bool) async throws -> SyncReport {
        try await withCheckedThrowingContinuation { continuation in
            enqueue(.sync(units: units?.map(\.rawValue), pushes: pushes), waiter: continuation, discardPending: false)
        }
    }

    /// Queues a sync without waiting for it. A request equal to one already queued joins
    /// it instead of adding another, so requests made during a sync can't make it loop.
    ///
    /// - Parameters:
    ///   - units: The units to pull; nil for all.
    ///   - discardPending: Drop the requests queued but not started before adding this one.
    public func requestSync(units: [SyncUnit]? = nil, discardPending: Bool = false) {
        enqueue(.sync(units: units?.map(\.rawValue), pushes: true), waiter: nil, discardPending: discardPending)
    }

    /// Removes a unit's rows and cursor once the syncs queued before it have run.
    ///
    /// - Throws: ``SyncStoreError`` when the unit has pending changes and `force` is false.
    public func purge(unit: SyncUnit, force: Bool = false) async throws {
        _ = try await withCheckedThrowingContinuation { continuation in
            enqueue(.purge(unit: unit.rawValue, force: force), waiter: continuation, discardPending: false)
        }
    }

    private func enqueue(_ work: Work, waiter: CheckedContinuation<SyncReport, any Error>?, discardPending: Bool) {
        if discardPending {
            for job in queue {
                for waiter in job.waiters { waiter.resume(throwing: SyncFailure(CancellationError())) }
            }
            queue.removeAll()
        }
        // A request that a queued one already covers joins it.
        if let index = queue.firstIndex(where: { $0.work.covers(work) }) {
            if let waiter { queue[index].waiters.append(waiter) }
        } else {
            queue.append(Job(work: work, waiters: waiter.map { [$0] } ?? []))
        }
        if worker == nil {
            worker = Task { await self.drainQueue() }
        }
    }

    /// Returns once no sync runs and none is queued: what tests wait for before they
    /// check that nothing else ran.
    func waitUntilIdle() async {
        while let worker { await worker.value }
    }

    /// The requests queued behind the running one, and the callers waiting on them.
    var queued: (requests: Int, waiters: Int) {
        (queue.count, queue.reduce(0) { $0 + $1.waiters.count })
    }

    private func drainQueue() async {
        while !queue.isEmpty {
            let job = queue.removeFirst()
            let result: Result<SyncReport, any Error>
            do {
                switch job.work {
                case .sync(let units, let pushes):
                    do {
                        result = .success(try await performSync(units: units, pushes: pushes))
                    } catch {
                        result = .failure(SyncFailure(error))
                    }
                case .purge(let unit, let force):
                    try await store.purge(unit: unit, force: force)
                    await publish(.idle)
                    result = .success(SyncReport())
                }
            } catch {
                result = .failure(error)
            }
            for waiter in job.waiters { waiter.resume(with: result) }
        }
        worker = nil
    }

    // MARK: - One sync

    private func performSync(units requested: [String]?, pushes: Bool) async throws -> SyncReport {
        guard isNetworkAvailable else {
            syncWhenOnline = true
            await publish(.offline)
            throw SyncFailure(code: .network, message: "offline: the sync runs when the network returns", isRetryable: true)
        }
        let model = store.model
        let units = model.units.filter { requested?.contains($0.name) ?? true }
        if let requested, let unknown = requested.first(where: { name in !model.units.contains { $0.name == name } }) {
            throw SyncStoreError.unknownUnit(unknown)
        }
        var report = SyncReport()
        let logger = configuration.logger
        let started = ContinuousClock.now
        logger.debug("sync started", metadata: ["units": "\(units.map(\.name))"])
        do {
            try await checkServedSchema(model)
            if pushes {
                try await push(into: &report)
                try await uploadAttachments(into: &report)
            }
            for unit in units {
                report.pulled[unit.name] = try await pull(unit.name, into: &report)
            }
            try await downloadAttachments(into: &report)
            let grace = configuration.unreferencedAttachmentGracePeriod
            try await store.collectAttachments(before: Date().addingTimeInterval(-Double(grace.components.seconds)))
            try await store.recordSuccessfulSync(at: Date())
            Self.log(report, since: started, logger)
            await publish(.finished(report))
            return report
        } catch let error as SyncTransportError where error.isSchemaMismatch {
            // Retired while this sync ran: the same as finding it out at the start.
            let outdated = AppOutdated(appSchemaHash: model.schemaHash, serverSchemaHash: nil,
                                       message: "this version of the app is out of date; update it to sync again (\(error.description))")
            logger.warning("the server no longer serves this app's schema", metadata: ["appSchemaHash": "\(model.schemaHash.prefix(16))"])
            await publish(.outdated(outdated))
            throw outdated
        } catch let outdated as AppOutdated {
            logger.warning("the server no longer serves this app's schema", metadata: ["appSchemaHash": "\(model.schemaHash.prefix(16))"])
            await publish(.outdated(outdated))
            throw outdated
        } catch {
            let failure = SyncFailure(error)
            try? await store.recordFailedSync(failure)
            logger.error("sync failed", metadata: Self.metadata(failure).merging([
                "pushedBeforeFailing": "\(report.pushed)",
            ]) { $1 })
            await publish(.failed(failure))
            throw error
        }
    }

    /// One line for the sync, then one per change the server didn't take as sent.
    private static func log(_ report: SyncReport, since started: ContinuousClock.Instant, _ logger: Logger) {
        let elapsed = ContinuousClock.now - started
        logger.info("sync finished", metadata: [
            "pushed": "\(report.pushed)", "conflicts": "\(report.conflicts)", "refused": "\(report.rejected)",
            "pulled": "\(report.pulled.values.reduce(0, +))",
            "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
        ])
        for change in report.changes {
            switch change.outcome {
            case .applied:
                continue
            case .refused(let code):
                logger.warning("change refused", metadata: [
                    "entity": "\(change.row.entity)", "key": "\(change.row.key)", "kind": "\(change.kind.rawValue)",
                    "code": "\(code)", "opId": "\(change.opID)",
                ])
            case .conflict(let policy, let resolution):
                logger.notice("conflict", metadata: [
                    "entity": "\(change.row.entity)", "key": "\(change.row.key)", "policy": "\(policy.rawValue)",
                    "resolution": "\(resolution)",
                ])
            }
        }
    }

    /// A failure's fields as log metadata.
    static func metadata(_ failure: SyncFailure) -> Logger.Metadata {
        var metadata: Logger.Metadata = [
            "code": "\(failure.code)", "retryable": "\(failure.isRetryable)", "message": "\(failure.message)",
        ]
        if let status = failure.status { metadata["status"] = "\(status)" }
        if let serverCode = failure.serverCode { metadata["serverCode"] = "\(serverCode)" }
        if let requestID = failure.requestID { metadata["requestId"] = "\(requestID)" }
        return metadata
    }

    /// The seeds' "check the app definition" step: asks the server which schema
    /// versions it serves (a `304` when nothing changed since the last sync) and stops
    /// the sync, before anything is pushed, when the app's isn't one of them.
    private func checkServedSchema(_ model: SyncModel) async throws {
        let transport = self.transport
        let answer = try await Self.withRetry(configuration.retry, broadcaster: broadcaster, logger: configuration.logger) { try await transport.schema() }
        guard !answer.serves(model.schemaHash) else { return }
        if answer.upcoming.contains(model.schemaHash) {
            // A rolling deploy reached this app before this server: not outdated, early.
            throw SyncTransportError.server(status: 503, "the server is being updated to this app's schema; the sync is tried again later")
        }
        throw AppOutdated(
            appSchemaHash: model.schemaHash, serverSchemaHash: answer.hash,
            message: "this version of the app is out of date: the server no longer serves its schema "
                + "\(model.schemaHash.prefix(12))…; update the app to sync again. Pending changes are kept.")
    }

    /// Pushes the outbox batch by batch. While the server works on one batch, the next
    /// is read and its request prepared (encoded and compressed), then sent as soon as
    /// the answer comes, before that answer is applied locally; a row whose change is in
    /// flight waits for its answer (see `SyncStore.nextPushBatch(limit:after:)`).
    func push(into report: inout SyncReport) async throws {
        let model = store.model
        var done = 0
        var total = try await store.pendingChangeCount()
        guard total > 0 else { return }
        await publish(.pushing(done: 0, total: total))
        let transport = self.transport
        let policy = configuration.retry
        let clientID = store.clientID
        func prepare(_ batch: [PushOperation]) throws -> PreparedPush {
            try transport.prepare(PushRequest(clientId: clientID, subset: model.subset, schemaHash: model.schemaHash, ops: batch))
        }
        let broadcaster = self.broadcaster
        let logger = configuration.logger
        func send(_ prepared: PreparedPush) -> Task<PushResponse, any Error> {
            Task.detached { try await Self.withRetry(policy, broadcaster: broadcaster, logger: logger) { try await transport.push(prepared) } }
        }
        /// A batch the server found too large (`413`), sent again in halves, each half
        /// halved again while it is too; a change too large on its own is answered here,
        /// refused `too_large`, and never holds up the changes behind it.
        func pushInParts(_ batch: [PushOperation]) async throws -> PushResponse {
            guard batch.count > 1 else {
                logger.warning("a change is larger than the server accepts; it is set aside", metadata: [
                    "entity": "\(batch[0].entity)", "opId": "\(batch[0].opId)",
                ])
                return PushResponse(results: batch.map {
                    PushResult(opId: $0.opId, status: .rejected,
                               reason: "the change is larger than the server accepts in one request (HTTP 413), so it was never sent; make it smaller and retry it, or discard it",
                               code: RefusalCode.tooLarge.rawValue)
                })
            }
            var results: [PushResult] = []
            for part in [Array(batch[..<(batch.count / 2)]), Array(batch[(batch.count / 2)...])] {
                do {
                    results += try await send(try prepare(part)).value.results
                } catch let error as SyncTransportError where error.status == 413 {
                    results += try await pushInParts(part).results
                }
            }
            return PushResponse(results: results)
        }
        let batchSize = configuration.pushBatchSize, batchBytes = configuration.maximumPushBytes
        var inFlight: (batch: [PushOperation], task: Task<PushResponse, any Error>)?
        defer { inFlight?.task.cancel() }
        while true {
            if inFlight == nil {
                let batch = try await store.nextPushBatch(limit: batchSize, maximumBytes: batchBytes)
                if batch.isEmpty { break }
                inFlight = (batch, send(try prepare(batch)))
            }
            guard let current = inFlight else { break }
            let next = try await store.nextPushBatch(limit: batchSize, maximumBytes: batchBytes, after: current.batch)
            let prepared = next.isEmpty ? nil : try prepare(next)
            let response: PushResponse
            do {
                do {
                    response = try await current.task.value
                } catch let error as SyncTransportError where error.status == 413 {
                    response = try await pushInParts(current.batch)
                }
            } catch {
                try? await store.recordFailedPush(current.batch, error: SyncFailure(error).description)
                throw error
            }
            inFlight = prepared.map { (next, send($0)) }
            let outcome = try await store.applyPushResults(response, for: current.batch)
            hooks.deliverPushed(outcome, response: response, entities: store.entitiesByName)
            guard outcome.unanswered < current.batch.count else {
                throw SyncFailure(SyncTransportError.invalidResponse("the server answered none of \(current.batch.count) pushed changes"))
            }
            report.changes += outcome.changes
            // Refused changes are not pushed: they leave the count (and wait in the
            // store's rejected changes).
            done += outcome.applied + outcome.conflicts
            total = done + (try await store.pendingChangeCount())
            await publish(.pushing(done: done, total: total))
        }
    }

    /// Pulls a unit page by page. While a page is applied, the next one is already
    /// being fetched and decoded, so the network, the server and the local database
    /// work at the same time; a page is only ever applied after the one before it.
    private func pull(_ unit: String, into report: inout SyncReport) async throws -> Int {
        let model = store.model
        var count = 0
        await publish(.pulling(unit: unit, done: 0, estimate: nil))
        var resynced = false
        var prefetched: (cursor: String?, task: Task<PullResponse, any Error>)?
        defer { prefetched?.task.cancel() }
        while true {
            let cursor = try await store.cursor(forUnit: unit)
            let page: PullResponse
            do {
                if let next = prefetched, next.cursor == cursor {
                    prefetched = nil
                    page = try await next.task.value
                } else {
                    prefetched?.task.cancel()
                    prefetched = nil
                    page = try await fetchPage(unit: unit, cursor: cursor, model: model).value
                }
            } catch let error as SyncTransportError where error.isResyncRequired && !resynced && cursor != nil {
                // The server no longer knows what the device missed: start the unit over.
                resynced = true
                try await store.resetForResync(unit: unit)
                count = 0
                continue
            }
            if page.more, let next = page.units[unit], !(page.changes.isEmpty && next == cursor) {
                prefetched = (next, fetchPage(unit: unit, cursor: next, model: model))
            }
            let applied = try await store.applyPulledPageSettingAside(page, unit: unit)
            count += page.changes.count
            for row in applied.setAside {
                configuration.logger.warning("a pulled row doesn't fit the model; it is set aside and everything else syncs", metadata: [
                    "entity": "\(row.row.entity)", "key": "\(row.row.key.wireValue.jsonText)", "problem": "\(row.problem)",
                    "requestId": "\(row.requestID ?? "none")", "unit": "\(unit)",
                ])
            }
            report.setAside += applied.setAside
            var entity: String?
            var run = 0
            for change in page.changes {
                if change.entity != entity {
                    if let entity { report.pulledPerEntity[entity, default: 0] += run }
                    entity = change.entity
                    run = 0
                }
                run += 1
            }
            if let entity { report.pulledPerEntity[entity, default: 0] += run }
            hooks.deliverPulled(page.changes, entities: store.entitiesByName)
            await publish(.pulling(unit: unit, done: count, estimate: page.estimate))
            guard page.more else { return count }
            if page.changes.isEmpty, page.units[unit] == cursor {
                throw SyncFailure(SyncTransportError.invalidResponse("the server said more changes wait in '\(unit)' but sent none"))
            }
        }
    }

    /// Fetches one page off the actor, with retries, so it can overlap an apply.
    private func fetchPage(unit: String, cursor: String?, model: SyncModel) -> Task<PullResponse, any Error> {
        let request = PullRequest(subset: model.subset, schemaHash: model.schemaHash, units: [unit: cursor],
                                  limit: configuration.pullPageSize)
        let transport = self.transport
        let policy = configuration.retry
        let broadcaster = self.broadcaster
        let logger = configuration.logger
        return Task.detached {
            try await Self.withRetry(policy, broadcaster: broadcaster, logger: logger) { try await transport.pull(request) }
        }
    }

    /// Runs `operation`, retrying transient failures as `policy` says; before each wait
    /// the status shows ``SyncStatus/Activity/retrying(_:)``.
    static func withRetry<T: Sendable>(
        _ policy: RetryPolicy, broadcaster: StatusBroadcaster, logger: Logger, _ operation: @Sendable () async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let error as SyncTransportError where error.isTransient && attempt < policy.maximumAttempts {
                let delay = policy.delay(afterAttempt: attempt)
                let seconds = Double(delay.components.seconds) + Double(delay.components.attoseconds) / 1e18
                logger.notice("request failed; retrying", metadata: Self.metadata(SyncFailure(error)).merging([
                    "attempt": "\(attempt)", "maximumAttempts": "\(policy.maximumAttempts)", "delayMs": "\(Int(seconds * 1000))",
                ]) { $1 })
                let current = broadcaster.current
                broadcaster.publish(SyncStatus(
                    activity: .retrying(RetryProgress(failedAttempt: attempt, maximumAttempts: policy.maximumAttempts,
                                                      nextAttemptAt: Date().addingTimeInterval(seconds), failure: SyncFailure(error))),
                    pendingChanges: current.pendingChanges, lastSyncedAt: current.lastSyncedAt))
                try await policy.sleep(delay)
                attempt += 1
            }
        }
    }

    /// Publishes `activity` at once, keeping the counts last published (the local write
    /// observer keeps the pending count current).
    func publishActivity(_ activity: SyncStatus.Activity) {
        let current = broadcaster.current
        broadcaster.publish(SyncStatus(activity: activity, pendingChanges: current.pendingChanges, lastSyncedAt: current.lastSyncedAt))
    }

    /// Publishes `activity` with the store's pending count and last sync time, read in
    /// one read transaction off the actor's executor.
    func publish(_ activity: SyncStatus.Activity) async {
        let snapshot = try? await store.statusSnapshot()
        broadcaster.publish(SyncStatus(
            activity: activity,
            pendingChanges: snapshot?.pendingChanges ?? broadcaster.current.pendingChanges,
            lastSyncedAt: snapshot?.lastSyncedAt ?? broadcaster.current.lastSyncedAt))
    }
}
