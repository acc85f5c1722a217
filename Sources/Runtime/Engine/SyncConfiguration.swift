import Logging

/// When and how the engine syncs.
public struct SyncConfiguration: Sendable {
    /// When false, every committed local save requests a sync. When true (the
    /// default), the app decides when to sync.
    public var delayedSync: Bool
    /// Sync once when ``SyncEngine/start()`` is called.
    public var syncOnStart: Bool
    /// Sync when the network comes back (``SyncEngine/setNetworkAvailable(_:)``, or
    /// the system's path monitor where there is one).
    public var syncOnReconnect: Bool
    /// Sync this often while started; nil for never.
    public var periodicInterval: Duration?
    /// Operations per push request.
    public var pushBatchSize: Int
    /// About how many bytes of values a push request carries at most: a batch stops
    /// before the change that would pass it (a change larger on its own goes alone). Keep
    /// it well under the server's body limit (the reference server's is 8 MiB); a server
    /// that still answers `413` gets the batch in halves, and a change it refuses alone
    /// is set aside as ``RefusalCode/tooLarge``.
    public var maximumPushBytes: Int
    /// Changes per pull page.
    public var pullPageSize: Int
    /// How transient failures are retried.
    public var retry: RetryPolicy
    /// Where the engine logs each sync: what it pushed and pulled, each refused change,
    /// each retry and why a sync failed, with the server's request ids. Silent by
    /// default; pass a swift-log `Logger` whose handler the app chose (one that writes to
    /// OSLog, say) to read them.
    public var logger: Logger
    /// How many bytes of an attachment one upload or download request carries. A file
    /// moves in pieces of this size, so a dropped connection costs at most one piece and
    /// the next sync goes on from the last one the server (or the device) has. Keep it
    /// under the server's body limit (8 MiB on the reference server).
    public var attachmentPieceSize: Int
    /// Live mode: while started and online, the engine keeps one pull open that the
    /// server holds for up to this long until a change lands in the device's subset,
    /// then syncs and waits again. Nil (the default) syncs only when asked, on start,
    /// on reconnect and periodically. The server caps it (60 s on the reference server).
    public var liveWait: Duration?
    /// How long a file added with ``SyncStore/importAttachment(contentsOf:mediaType:)``
    /// that no row references is kept before a sync removes it.
    public var unreferencedAttachmentGracePeriod: Duration
    /// Waits out the engine's own timers: the ``periodicInterval`` and live mode's pause
    /// after a server that doesn't hold pulls. Replaceable in tests, so a test decides
    /// when a timer ends instead of waiting for it (``RetryPolicy/sleep`` waits between
    /// retries).
    public var sleep: @Sendable (Duration) async throws -> Void

    /// A logger that drops everything: the default.
    public static let silentLogger = Logger(label: "syncwright.sync", factory: { _ in SwiftLogNoOpLogHandler() })

    /// Creates a configuration.
    public init(
        delayedSync: Bool = true, syncOnStart: Bool = true, syncOnReconnect: Bool = true,
        periodicInterval: Duration? = nil, pushBatchSize: Int = 100, pullPageSize: Int = 1000,
        retry: RetryPolicy = RetryPolicy(), logger: Logger = SyncConfiguration.silentLogger,
        maximumPushBytes: Int = 2 << 20, attachmentPieceSize: Int = 1 << 20,
        unreferencedAttachmentGracePeriod: Duration = .seconds(3_600), liveWait: Duration? = nil,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.sleep = sleep
        self.liveWait = liveWait
        self.attachmentPieceSize = max(1, attachmentPieceSize)
        self.unreferencedAttachmentGracePeriod = unreferencedAttachmentGracePeriod
        self.maximumPushBytes = max(1, maximumPushBytes)
        self.logger = logger
        self.delayedSync = delayedSync
        self.syncOnStart = syncOnStart
        self.syncOnReconnect = syncOnReconnect
        self.periodicInterval = periodicInterval
        self.pushBatchSize = max(1, pushBatchSize)
        self.pullPageSize = max(1, pullPageSize)
        self.retry = retry
    }
}

/// Exponential backoff with jitter for transient failures. A request is tried up to
/// `maximumAttempts` times in one sync; after that the sync fails and every change
/// stays queued for the next one.
public struct RetryPolicy: Sendable {
    /// Tries per request, the first included.
    public var maximumAttempts: Int
    /// The delay before the second try.
    public var initialDelay: Duration
    /// The longest delay.
    public var maximumDelay: Duration
    /// Waits between tries; replaceable in tests.
    public var sleep: @Sendable (Duration) async throws -> Void

    /// Creates a policy.
    public init(
        maximumAttempts: Int = 5, initialDelay: Duration = .milliseconds(500), maximumDelay: Duration = .seconds(30),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.maximumAttempts = max(1, maximumAttempts)
        self.initialDelay = initialDelay
        self.maximumDelay = maximumDelay
        self.sleep = sleep
    }

    /// The delay before try number `attempt + 1` (attempt counts from 1): doubling,
    /// capped, then scaled by a random factor in 0.5…1 so devices don't retry in step.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let doubled = initialDelay * Double(1 << min(attempt - 1, 20))
        let capped = min(doubled, maximumDelay)
        return capped * Double.random(in: 0.5...1.0)
    }
}
