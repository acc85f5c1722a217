import Foundation

/// What the engine is doing, with the numbers an app shows.
public struct SyncStatus: Sendable, Hashable {
    /// The engine's current activity.
    public enum Activity: Sendable, Hashable {
        /// The app reported no network; syncs wait for it.
        case offline
        /// Nothing running.
        case idle
        /// Pushing local changes: `done` of `total` answered.
        case pushing(done: Int, total: Int)
        /// Pulling a unit: `done` changes applied, `estimate` remaining by the server's count.
        case pulling(unit: String, done: Int, estimate: Int?)
        /// Uploading or downloading attachment files: bytes and files done of the total.
        case transferring(AttachmentProgress)
        /// A request failed in a way a retry may help (network, timeout, 429, 5xx): the
        /// engine waits until `nextAttemptAt`, then tries again.
        case retrying(RetryProgress)
        /// The last sync finished; the report says what it pushed, what the server did
        /// with each change, and what it pulled. The engine rests in this state until the
        /// next sync starts.
        case finished(SyncReport)
        /// The last sync failed; pending changes are kept.
        case failed(SyncFailure)
        /// The server no longer serves the schema this app was built with: syncing
        /// stops before anything is pushed, and every pending change stays queued
        /// until an updated app syncs them. Not a failure: no retry will help.
        case outdated(AppOutdated)
    }

    /// The current activity.
    public var activity: Activity

    /// Whether a sync is under way (pushing, pulling, or waiting to retry).
    public var isSyncing: Bool {
        switch activity {
        case .pushing, .pulling, .transferring, .retrying: true
        case .offline, .idle, .finished, .failed, .outdated: false
        }
    }
    /// Changes waiting to be pushed.
    public var pendingChanges: Int
    /// When the last sync finished without error.
    public var lastSyncedAt: Date?

    /// Creates a status.
    public init(activity: Activity, pendingChanges: Int, lastSyncedAt: Date?) {
        self.activity = activity
        self.pendingChanges = pendingChanges
        self.lastSyncedAt = lastSyncedAt
    }
}

/// The server doesn't serve (or no longer serves) the schema the app was built
/// with: the app must be updated before it syncs again. Thrown by a sync, and shown as
/// ``SyncStatus/Activity/outdated(_:)``.
public struct AppOutdated: Error, Sendable, Hashable, CustomStringConvertible {
    /// The app's schema hash.
    public var appSchemaHash: String
    /// The schema hash the server serves to apps built now, when it said.
    public var serverSchemaHash: String?
    /// A sentence for people.
    public var message: String

    /// Creates the error.
    public init(appSchemaHash: String, serverSchemaHash: String?, message: String) {
        self.appSchemaHash = appSchemaHash
        self.serverSchemaHash = serverSchemaHash
        self.message = message
    }

    public var description: String { message }
}

/// A retry the engine waits for.
public struct RetryProgress: Sendable, Hashable {
    /// The attempt that failed, from 1.
    public var failedAttempt: Int
    /// How many attempts the ``RetryPolicy`` allows.
    public var maximumAttempts: Int
    /// When the next attempt starts.
    public var nextAttemptAt: Date
    /// Why the attempt failed.
    public var failure: SyncFailure

    /// Creates a retry's progress.
    public init(failedAttempt: Int, maximumAttempts: Int, nextAttemptAt: Date, failure: SyncFailure) {
        self.failedAttempt = failedAttempt
        self.maximumAttempts = maximumAttempts
        self.nextAttemptAt = nextAttemptAt
        self.failure = failure
    }
}

/// How far the files of a sync have moved.
public struct AttachmentProgress: Sendable, Hashable {
    /// Which way the files go.
    public enum Direction: Sendable, Hashable {
        /// From the device to the server, before the changes that reference them.
        case upload
        /// From the server to the device.
        case download
    }

    /// Which way the files go.
    public var direction: Direction
    /// Bytes moved so far, in this sync.
    public var bytesDone: Int64
    /// Bytes of every file to move in this sync.
    public var bytesTotal: Int64
    /// Files finished.
    public var filesDone: Int
    /// Files to move.
    public var filesTotal: Int

    /// Creates a progress value.
    public init(direction: Direction, bytesDone: Int64, bytesTotal: Int64, filesDone: Int, filesTotal: Int) {
        self.direction = direction
        self.bytesDone = bytesDone
        self.bytesTotal = bytesTotal
        self.filesDone = filesDone
        self.filesTotal = filesTotal
    }
}
