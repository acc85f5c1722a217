import Foundation
import Logging
import ServiceLifecycle
import Syncwright

/// Follows the change log and signals the buckets of each new entry
/// (``BucketSignals``), so waiting pulls wake when their own buckets change.
///
/// It reads the log up to its horizon (the newest entry below every running writer),
/// `seq > last`, on the log's primary key: one query per round for the whole server,
/// whatever the number of waiting devices. A round runs
/// - at once after a push through this server;
/// - on PostgreSQL, at once after any transaction that wrote the synced tables commits,
///   through any server process or straight into the tables (the triggers notify);
/// - every `interval` while pulls wait (SQLite: how soon a row another system wrote is
///   noticed; PostgreSQL: a backstop), and every `idleInterval` otherwise, so the
///   position stays fresh; a pull that starts waiting ends the idle sleep at once.
actor ChangeLogWatcher: Service {
    private let database: any ServerDatabase
    private let signals: BucketSignals
    private let interval: Duration
    private let idleInterval: Duration
    private let logger: Logger
    /// The log's horizon when last read: every entry up to it has been signalled.
    private var last: Int64?
    private var tasks: [Task<Void, Never>] = []
    /// A round is under way; `again`: another was asked for meanwhile.
    private var reading = false
    private var again = false
    /// The database's commit stamp before the last round's read: while it stays the
    /// same, nothing committed and timed rounds skip the query.
    private var stamp: String?
    /// Ends the idle sleep when a pull starts waiting.
    private let arrivals: AsyncStream<Void>
    private let arrival: AsyncStream<Void>.Continuation

    init(database: any ServerDatabase, signals: BucketSignals, interval: Duration, idleInterval: Duration = .seconds(1),
         logger: Logger) {
        self.database = database
        self.signals = signals
        self.interval = interval
        self.idleInterval = max(interval, idleInterval)
        self.logger = logger
        (arrivals, arrival) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(1))
    }

    /// A pull has started waiting: leave the idle pace (``start()`` must have run).
    nonisolated func pullStartedWaiting() {
        arrival.yield()
    }

    /// Starts following the log from its horizon now (once).
    func start() async throws {
        guard tasks.isEmpty else { return }
        last = try await database.changeLogHorizon()
        let interval = self.interval, idleInterval = self.idleInterval, signals = self.signals
        let arrivals = self.arrivals, wake = self.arrival
        tasks.append(Task { [weak self] in
            var arrived = arrivals.makeAsyncIterator()
            while !Task.isCancelled {
                if signals.waitingCount > 0 {
                    try? await Task.sleep(for: interval)
                } else {
                    // Nobody waits: sleep until the idle interval ends or a pull starts waiting.
                    let sleeper = Task {
                        do {
                            try await Task.sleep(for: idleInterval)
                            wake.yield()
                        } catch {}
                    }
                    let next: Void? = await arrived.next()
                    sleeper.cancel()
                    guard next != nil else { return }
                }
                guard let self else { return }
                await self.poll(timed: true)
            }
        })
        guard database.notifiesCommits else { return }
        let database = self.database, logger = self.logger
        tasks.append(Task { [weak self] in
            var delay = Duration.milliseconds(250)
            var failures = 0
            while !Task.isCancelled {
                do {
                    try await database.followCommits { [weak self] in await self?.poll() }
                    if Task.isCancelled { return }
                } catch {
                    if Task.isCancelled { return }
                    failures += 1
                    // A connection lost once (a restart of the database, the pool
                    // closing) is ordinary; one that can't come back is worth a warning.
                    logger.log(level: failures > 1 ? .warning : .info,
                               "listening for commits failed; the log is read at intervals until it listens again",
                               metadata: ["error": "\(String(reflecting: error))"])
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(10))
            }
        })
    }

    /// Stops following.
    func stop() {
        for task in tasks { task.cancel() }
        tasks = []
    }

    /// Runs for the application's lifetime, as one of its services: following the log
    /// starts with the first waiting pull, and the graceful shutdown stops it.
    func run() async throws {
        try? await gracefulShutdown()
        stop()
    }

    /// The log's horizon when last read: every entry up to it has been signalled. Nil
    /// before ``start()``.
    var position: Int64? { last }

    /// Whether it follows the log: from ``start()`` until ``stop()``.
    var isFollowing: Bool { !tasks.isEmpty }

    /// Reads the entries after the last horizon up to the current one and signals their
    /// buckets. Rounds asked for while one runs make it run once more.
    func poll(timed: Bool = false) async {
        guard last != nil else { return }
        if timed, let current = database.commitStamp, current == stamp { return }
        guard !reading else {
            again = true
            return
        }
        reading = true
        defer { reading = false }
        repeat {
            again = false
            await round()
        } while again
    }

    private func round() async {
        guard var after = last else { return }
        let dialect = database.dialect
        // Taken before the read: a commit after it changes the stamp, so the next timed
        // round reads again.
        stamp = database.commitStamp
        do {
            let through = try await database.changeLogHorizon()
            guard through > after else { return }
            while true {
                let rows = try await database.read(
                    "SELECT seq, bucket FROM syncwright_log WHERE seq > \(dialect.placeholder(1)) AND seq <= \(dialect.placeholder(2)) "
                        + "ORDER BY seq LIMIT 5000",
                    [.integer(after), .integer(through)])
                if !rows.isEmpty { signals.signal(rows.compactMap { $0[1].text }) }
                guard rows.count == 5000, let newest = rows.last?[0].integer else { break }
                after = newest
                last = after
            }
            last = through
        } catch {
            logger.warning("reading the change log for waiting pulls failed; the next round tries again", metadata: ["error": "\(error)"])
        }
    }

    deinit {
        arrival.finish()
        for task in tasks { task.cancel() }
    }
}
