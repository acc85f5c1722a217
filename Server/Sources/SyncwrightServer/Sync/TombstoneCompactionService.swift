import Foundation
import Logging
import ServiceLifecycle

/// Drops the tombstones older than the retention and the attachments no row references
/// after their grace period, every interval, as a service of the server's lifecycle;
/// it stops when the server shuts down. A failed round is logged and the next one tries
/// again.
struct TombstoneCompactionService: Service {
    let service: SyncService
    let retention: Duration
    let interval: Duration
    var attachmentGracePeriod: Duration = .seconds(86_400)
    let logger: Logger

    /// Drops the tombstones older than the retention now; returns how many.
    func compactOnce() async throws -> Int {
        try await service.compactRemovals(before: Date().addingTimeInterval(-Double(retention.components.seconds)))
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: interval)
                do {
                    let dropped = try await compactOnce()
                    if dropped > 0 { logger.info("tombstones dropped", metadata: ["tombstonesDropped": "\(dropped)"]) }
                    try await service.collectAttachments(before: Date().addingTimeInterval(-Double(attachmentGracePeriod.components.seconds)))
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("dropping old tombstones failed; the next round tries again", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
