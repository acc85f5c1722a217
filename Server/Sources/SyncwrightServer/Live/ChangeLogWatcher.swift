import Foundation
import Logging
import Syncwright

/// Follows the change log and signals the buckets of each new entry
/// (``BucketSignals``), so waiting pulls wake when their own buckets change.
///
/// One query per interval for the whole server, whatever the number of waiting devices:
/// `seq > last`, on the log's primary key. A push through this server pokes it at once
/// (its devices hear within milliseconds); a row another system writes, or a push
/// through another server process, is noticed at the next interval.
actor ChangeLogWatcher {
    private let database: any ServerDatabase
    private let signals: BucketSignals
    private let interval: Duration
    private let logger: Logger
    /// The newest log entry signalled.
    private var last: Int64?
    private var loop: Task<Void, Never>?

    init(database: any ServerDatabase, signals: BucketSignals, interval: Duration, logger: Logger) {
        self.database = database
        self.signals = signals
        self.interval = interval
        self.logger = logger
    }

    /// Starts following the log from its newest entry now (once).
    func start() async throws {
        guard loop == nil else { return }
        last = try await database.read("SELECT coalesce(max(seq), 0) FROM syncwright_log", []).first?.first?.integer ?? 0
        let interval = self.interval
        loop = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self else { return }
                await self.poll()
            }
        }
    }

    /// Stops following.
    func stop() {
        loop?.cancel()
        loop = nil
    }

    /// Reads the entries after the last one signalled and signals their buckets.
    func poll() async {
        guard var after = last else { return }
        do {
            while true {
                let rows = try await database.read(
                    "SELECT seq, bucket FROM syncwright_log WHERE seq > \(database.dialect.placeholder(1)) ORDER BY seq LIMIT 5000",
                    [.integer(after)])
                guard !rows.isEmpty else { break }
                signals.signal(rows.compactMap { $0[1].text })
                after = rows.last?[0].integer ?? after
                last = after
                if rows.count < 5000 { break }
            }
        } catch {
            logger.warning("reading the change log for waiting pulls failed; the next round tries again", metadata: ["error": "\(error)"])
        }
    }

    deinit { loop?.cancel() }
}
