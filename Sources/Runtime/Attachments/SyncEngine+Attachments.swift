import Foundation
import Logging

/// Moving attachment files: uploads before the changes that need them, downloads of the
/// files an `eager` entity references after the pull, and one file on demand. Every
/// file moves in pieces (``SyncConfiguration/attachmentPieceSize``) and smallest first,
/// so a large file never holds a small one back and an interrupted transfer resumes
/// from the last piece.
extension SyncEngine {
    /// The file of `attachment`, downloaded now when it isn't on the device: for a
    /// reference read from a row of an entity whose subset says `on-demand` (or `eager`,
    /// before the sync that would fetch it). Resumes a download stopped before.
    ///
    /// - Throws: ``SyncStoreError/invalidAttachment(_:)`` when no entity of the model
    ///   downloads files (`never`) or the bytes don't match the hash; a
    ///   ``SyncTransportError`` when the server refuses (`404` for a file no row you may
    ///   see references) or can't be reached.
    public func attachment(for attachment: SyncAttachment) async throws -> URL {
        if let url = store.fileURL(for: attachment) { return url }
        let downloads = store.model.entities.flatMap(\.columns).contains { $0.type == .attachment && $0.download != .never }
        guard downloads else {
            throw SyncStoreError.invalidAttachment("this app's subset never downloads attachments (attachments: never)")
        }
        try await download(attachment) { _ in }
        return store.fileURL(for: attachment)!
    }

    /// Uploads the files changes wait for, smallest first; after each one the changes
    /// that needed it are pushed. A file the server refuses sets aside the changes that
    /// reference it (``RefusalCode/attachmentRefused``); the others go on.
    func uploadAttachments(into report: inout SyncReport) async throws {
        let uploads = try await store.pendingUploads()
        guard !uploads.isEmpty else { return }
        let total = uploads.reduce(Int64(0)) { $0 + $1.target.attachment.size }
        var done: Int64 = 0
        let logger = configuration.logger
        for (index, upload) in uploads.enumerated() {
            let attachment = upload.target.attachment
            let progress = transferProgress(.upload, before: done, of: total, file: index, of: uploads.count)
            do {
                try await self.upload(upload, progress: progress)
                try await store.markUploaded(attachment.sha256)
                report.attachmentsUploaded += 1
            } catch let error as SyncTransportError where !error.isTransient && error.code != .unauthorized {
                logger.warning("the server refused an attachment; the changes that reference it are set aside", metadata: [
                    "sha256": "\(attachment.sha256.prefix(16))", "size": "\(attachment.size)", "error": "\(error)",
                ])
                try await store.recordAttachmentError(attachment.sha256, error.description)
                try await store.rejectChangesNeeding(
                    attachment, code: RefusalCode.attachmentRefused.rawValue,
                    reason: "the server refused the file \(upload.target.field) references: \(error.message)")
                report.attachmentsRefused += 1
            } catch let error as SyncStoreError {
                // The file is gone or changed on the device: nothing to upload from.
                try await store.recordAttachmentError(attachment.sha256, error.description)
                try await store.rejectChangesNeeding(
                    attachment, code: RefusalCode.attachmentRefused.rawValue,
                    reason: "the file \(upload.target.field) references can't be read on this device: \(error.description)")
                report.attachmentsRefused += 1
            } catch {
                // Transient: the sync fails, and the next one goes on from the server's bytes.
                try? await store.recordAttachmentError(attachment.sha256, SyncFailure(error).description)
                throw error
            }
            done += attachment.size
            try await push(into: &report)
        }
    }

    /// Publishes a transfer's progress as the status: the file at `index` of `files` has
    /// moved the bytes given to the closure, the files before it `before` bytes of `total`.
    private func transferProgress(
        _ direction: AttachmentProgress.Direction, before: Int64, of total: Int64, file index: Int, of files: Int
    ) -> @Sendable (Int64) -> Void {
        { [broadcaster] bytes in
            let current = broadcaster.current
            broadcaster.publish(SyncStatus(
                activity: .transferring(AttachmentProgress(direction: direction, bytesDone: before + bytes, bytesTotal: total,
                                                           filesDone: index, filesTotal: files)),
                pendingChanges: current.pendingChanges, lastSyncedAt: current.lastSyncedAt))
        }
    }

    /// One upload, from where the server's bytes end.
    private func upload(_ upload: SyncStore.PendingUpload, progress: @escaping @Sendable (Int64) -> Void) async throws {
        let transport = self.transport, policy = configuration.retry, broadcaster = self.broadcaster
        let logger = configuration.logger, pieceSize = configuration.attachmentPieceSize
        let target = upload.target
        let size = target.attachment.size
        guard SyncStore.fileSize(upload.file) == size else {
            throw SyncStoreError.invalidAttachment("the file of \(target.attachment.sha256.prefix(16)) is missing or changed")
        }
        var state = try await Self.withRetry(policy, broadcaster: broadcaster, logger: logger) {
            try await transport.attachmentUploadState(target)
        }
        let handle = try FileHandle(forReadingFrom: upload.file)
        defer { try? handle.close() }
        while !state.stored {
            progress(state.offset)
            try handle.seek(toOffset: UInt64(state.offset))
            let piece = try handle.read(upToCount: pieceSize) ?? Data()
            let offset = state.offset
            do {
                state = try await Self.withRetry(policy, broadcaster: broadcaster, logger: logger) {
                    try await transport.uploadAttachment(target, offset: offset, bytes: piece)
                }
            } catch let error as SyncTransportError where error.serverCode == "upload_offset_mismatch" || error.serverCode == "upload_busy" {
                // Another attempt got further (or is running): go on from where the server is.
                state = try await transport.attachmentUploadState(target)
            }
            if !state.stored, state.offset == offset, piece.isEmpty {
                throw SyncTransportError.invalidResponse("the server took no bytes of the upload at \(offset) of \(size)")
            }
        }
        progress(size)
    }

    /// Downloads the files rows of `eager` entities reference, smallest first.
    func downloadAttachments(into report: inout SyncReport) async throws {
        let downloads = try await store.eagerDownloads()
        guard !downloads.isEmpty else { return }
        let total = downloads.reduce(Int64(0)) { $0 + $1.size }
        var done: Int64 = 0
        for (index, attachment) in downloads.enumerated() {
            do {
                try await download(attachment, progress: transferProgress(.download, before: done, of: total, file: index, of: downloads.count))
                report.attachmentsDownloaded += 1
            } catch let error as SyncTransportError where error.status == 404 {
                // Not stored yet (a row another system wrote before its file) or no longer
                // visible: the next sync tries again.
                configuration.logger.notice("an attachment isn't available yet", metadata: ["sha256": "\(attachment.sha256.prefix(16))"])
            }
            done += attachment.size
        }
    }

    /// One download, shared with a download of the same file already running.
    private func download(_ attachment: SyncAttachment, progress: @escaping @Sendable (Int64) -> Void) async throws {
        if let running = attachmentDownloads[attachment.sha256] {
            try await running.value
            return
        }
        let task = Task { try await self.performDownload(attachment, progress: progress) }
        attachmentDownloads[attachment.sha256] = task
        defer { attachmentDownloads[attachment.sha256] = nil }
        try await task.value
    }

    /// One download, from where the partial file ends; checked against its hash.
    private func performDownload(_ attachment: SyncAttachment, progress: @escaping @Sendable (Int64) -> Void) async throws {
        let transport = self.transport, policy = configuration.retry, broadcaster = self.broadcaster
        let logger = configuration.logger, pieceSize = Int64(configuration.attachmentPieceSize)
        let subset = store.model.subset
        let partial = try store.partialDownloadURL(attachment)
        if !FileManager.default.fileExists(atPath: partial.path) {
            _ = FileManager.default.createFile(atPath: partial.path, contents: nil)
        }
        var offset = SyncStore.fileSize(partial) ?? 0
        if offset > attachment.size {
            try FileManager.default.removeItem(at: partial)
            _ = FileManager.default.createFile(atPath: partial.path, contents: nil)
            offset = 0
        }
        // The hash goes along with the bytes: those already here first, then each piece.
        var hasher = offset > 0 ? try SyncStore.hasher(of: partial) : ContentHasher()
        let handle = try FileHandle(forWritingTo: partial)
        defer { try? handle.close() }
        try handle.seekToEnd()
        while offset < attachment.size {
            progress(offset)
            let range = offset..<min(offset + pieceSize, attachment.size)
            let piece = try await Self.withRetry(policy, broadcaster: broadcaster, logger: logger) {
                try await transport.downloadAttachment(attachment, subset: subset, range: range)
            }
            guard !piece.isEmpty, piece.count <= range.count else {
                throw SyncTransportError.invalidResponse("the server sent \(piece.count) bytes for \(range.count) asked")
            }
            try handle.write(contentsOf: piece)
            hasher.update(piece)
            offset += Int64(piece.count)
        }
        try handle.close()
        try store.finishDownload(attachment, sha256: hasher.finalize(), size: hasher.byteCount)
        progress(attachment.size)
    }
}
