import Foundation
import GRDB

/// Attachment files beside the store: in the folder ``SyncStore/attachmentsDirectory``,
/// each named by its SHA-256, a download in progress as `<sha256>.part`.
///
/// A file the app adds (``SyncStore/importAttachment(contentsOf:mediaType:)``) is
/// copied there and hashed on the way, a piece at a time. Written into a row, it is
/// recorded in the same transaction as the row's outbox entry, and the change waits in
/// the outbox until the file is uploaded; changes that don't need it go on.
extension SyncStore {
    /// How many bytes the store reads or writes at a time when it copies or hashes a file.
    static let attachmentPieceSize = 1 << 20

    /// The folder attachment files are kept in: the store's path with `.attachments`.
    public var attachmentsDirectory: URL { URL(fileURLWithPath: pool.path + ".attachments") }

    /// The file of `attachment` on this device, nil when it isn't here (yet).
    public func fileURL(for attachment: SyncAttachment) -> URL? {
        let url = attachmentsDirectory.appending(path: attachment.sha256)
        guard let size = Self.fileSize(url), size == attachment.size else { return nil }
        return url
    }

    /// Copies a file into the store's attachments and returns its reference, to put in
    /// a row's `attachment` field. The copy is hashed as it is made, never read whole
    /// into memory; the same bytes added twice are kept once.
    ///
    /// - Parameters:
    ///   - source: The file to add; it is copied, and may be removed afterwards.
    ///   - mediaType: `type/subtype`, such as `image/jpeg`.
    /// - Throws: ``SyncStoreError/invalidAttachment(_:)`` for a media type that isn't
    ///   one; the file system's error when the file can't be read or copied.
    public func importAttachment(contentsOf source: URL, mediaType: String) throws -> SyncAttachment {
        let input = try FileHandle(forReadingFrom: source)
        defer { try? input.close() }
        return try importAttachment(mediaType: mediaType) { try input.read(upToCount: Self.attachmentPieceSize) }
    }

    /// Adds bytes as an attachment and returns its reference (see
    /// ``importAttachment(contentsOf:mediaType:)``).
    public func importAttachment(_ data: Data, mediaType: String) throws -> SyncAttachment {
        var offset = 0
        return try importAttachment(mediaType: mediaType) {
            guard offset < data.count else { return nil }
            defer { offset = min(data.count, offset + Self.attachmentPieceSize) }
            return data.subdata(in: offset..<min(data.count, offset + Self.attachmentPieceSize))
        }
    }

    private func importAttachment(mediaType: String, next: () throws -> Data?) throws -> SyncAttachment {
        guard let type = SyncAttachment.canonicalMediaType(mediaType) else {
            throw SyncStoreError.invalidAttachment("\"\(mediaType)\" is not a media type such as image/jpeg")
        }
        let folder = attachmentsDirectory
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appending(path: "import-\(UUID().uuidString).tmp")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temporary.path])
        }
        var hasher = ContentHasher()
        do {
            let output = try FileHandle(forWritingTo: temporary)
            defer { try? output.close() }
            while let piece = try next(), !piece.isEmpty {
                hasher.update(piece)
                try output.write(contentsOf: piece)
            }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw error
        }
        let attachment = SyncAttachment(sha256: hasher.finalize(), size: hasher.byteCount, mediaType: type)!
        let target = folder.appending(path: attachment.sha256)
        if FileManager.default.fileExists(atPath: target.path) {
            try? FileManager.default.removeItem(at: temporary)
        } else {
            try FileManager.default.moveItem(at: temporary, to: target)
        }
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO syncwright_attachments (sha256, size, mediaType, uploaded, createdAt) VALUES (?, ?, ?, 0, ?)
                ON CONFLICT (sha256) DO NOTHING
                """, arguments: [attachment.sha256, attachment.size, attachment.mediaType, Date().timeIntervalSince1970])
        }
        return attachment
    }

    /// In a local write's transaction: files the written row references that the
    /// server may not have are marked for upload, for the entity and field written.
    static func recordAttachmentWrites(_ db: Database, _ descriptor: SyncEntityDescriptor, values: [String: DatabaseValue]) throws {
        for column in descriptor.writableColumns where column.type == .attachment {
            guard let value = values[column.name], let attachment = SyncAttachment.fromDatabaseValue(value) else { continue }
            try db.execute(sql: """
                UPDATE syncwright_attachments SET uploadEntity = ?, uploadField = ?
                WHERE sha256 = ? AND uploaded = 0 AND uploadEntity IS NULL
                """, arguments: [descriptor.name, column.name, attachment.sha256])
        }
    }

    /// The hashes among `values` the server doesn't have yet: a change carrying one
    /// waits in the outbox.
    static func attachmentsNotUploaded(_ db: Database, _ values: [String: JSONValue], columns: [SyncColumn]) throws -> Bool {
        for column in columns where column.type == .attachment {
            guard let text = values[column.name]?.stringValue, let attachment = SyncAttachment(referenceText: text) else { continue }
            if try Bool.fetchOne(db.cachedStatement(sql: "SELECT uploaded = 0 FROM syncwright_attachments WHERE sha256 = ?"),
                                 arguments: [attachment.sha256]) == true {
                return true
            }
        }
        return false
    }

    /// After `attachment_missing`: the server lost a file it had (or never had one this
    /// device thought it uploaded). Files of the refused change that are on the device
    /// are marked to upload again, so retrying the change sends them first.
    func uploadAgain(_ db: Database, _ operation: PushOperation, columns: [SyncColumn]) throws {
        for column in columns where column.type == .attachment {
            guard let text = operation.values?[column.name]?.stringValue, let attachment = SyncAttachment(referenceText: text),
                  fileURL(for: attachment) != nil else { continue }
            try db.execute(sql: """
                INSERT INTO syncwright_attachments (sha256, size, mediaType, uploaded, uploadEntity, uploadField, createdAt)
                VALUES (?, ?, ?, 0, ?, ?, ?)
                ON CONFLICT (sha256) DO UPDATE SET uploaded = 0, uploadEntity = excluded.uploadEntity, uploadField = excluded.uploadField
                """, arguments: [attachment.sha256, attachment.size, attachment.mediaType, operation.entity, column.name,
                                 Date().timeIntervalSince1970])
        }
    }

    /// A file to upload and where it goes.
    struct PendingUpload: Sendable {
        var target: AttachmentUploadTarget
        var file: URL
    }

    /// The files the device made that the server doesn't have and a change references,
    /// smallest first, so small files never wait behind a large one.
    func pendingUploads() async throws -> [PendingUpload] {
        let subset = model.subset
        let folder = attachmentsDirectory
        return try await pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT sha256, size, mediaType, uploadEntity, uploadField FROM syncwright_attachments
                WHERE uploaded = 0 AND uploadEntity IS NOT NULL ORDER BY size, createdAt
                """).compactMap { row in
                guard let attachment = SyncAttachment(sha256: row[0], size: row[1], mediaType: row[2]) else { return nil }
                return PendingUpload(target: AttachmentUploadTarget(attachment: attachment, subset: subset, entity: row[3], field: row[4]),
                                     file: folder.appending(path: attachment.sha256))
            }
        }
    }

    /// Notes that the server has the file: the changes that reference it may go.
    func markUploaded(_ sha256: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE syncwright_attachments SET uploaded = 1, lastError = NULL WHERE sha256 = ?", arguments: [sha256])
        }
    }

    /// Notes why an upload failed, for ``explain(_:key:)``.
    func recordAttachmentError(_ sha256: String, _ message: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "UPDATE syncwright_attachments SET lastError = ? WHERE sha256 = ?", arguments: [message, sha256])
        }
    }

    /// The files rows of `eager` entities reference that aren't on the device, smallest
    /// first, without those over their column's cap.
    func eagerDownloads() async throws -> [SyncAttachment] {
        let columns = model.entities.flatMap { entity in
            entity.columns.filter { $0.type == .attachment && $0.download == .eager }.map { (entity, $0) }
        }
        guard !columns.isEmpty else { return [] }
        let referenced = try await pool.read { db in
            var found: [SyncAttachment] = []
            for (entity, column) in columns {
                let name = column.name.quotedDatabaseIdentifier
                let texts = try String.fetchAll(db, sql: "SELECT DISTINCT \(name) FROM \(entity.tableName.quotedDatabaseIdentifier) WHERE \(name) IS NOT NULL")
                found += texts.compactMap(SyncAttachment.init(referenceText:)).filter { $0.size <= column.maximumSize ?? .max }
            }
            return found
        }
        return Set(referenced).filter { fileURL(for: $0) == nil }.sorted { ($0.size, $0.sha256) < ($1.size, $1.sha256) }
    }

    /// Where a download of `attachment` in progress is kept; its size is how much of
    /// the file is here.
    func partialDownloadURL(_ attachment: SyncAttachment) throws -> URL {
        try FileManager.default.createDirectory(at: attachmentsDirectory, withIntermediateDirectories: true)
        return attachmentsDirectory.appending(path: attachment.sha256 + ".part")
    }

    /// Checks a finished download (its bytes' hash and size, taken as they arrived)
    /// against the reference; on a match it becomes the file, otherwise it is dropped
    /// and the error says so.
    func finishDownload(_ attachment: SyncAttachment, sha256 hash: String, size: Int64) throws {
        let partial = try partialDownloadURL(attachment)
        guard hash == attachment.sha256, size == attachment.size else {
            try? FileManager.default.removeItem(at: partial)
            throw SyncStoreError.invalidAttachment("the downloaded bytes hash to \(hash), not \(attachment.sha256); the download was dropped")
        }
        let target = attachmentsDirectory.appending(path: attachment.sha256)
        if FileManager.default.fileExists(atPath: target.path) {
            try? FileManager.default.removeItem(at: partial)
        } else {
            try FileManager.default.moveItem(at: partial, to: target)
        }
    }

    /// A hasher fed with a file's bytes, read a piece at a time.
    static func hasher(of url: URL) throws -> ContentHasher {
        let input = try FileHandle(forReadingFrom: url)
        defer { try? input.close() }
        var hasher = ContentHasher()
        while let piece = try input.read(upToCount: attachmentPieceSize), !piece.isEmpty {
            hasher.update(piece)
        }
        return hasher
    }

    static func fileSize(_ url: URL) -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size].flatMap { ($0 as? NSNumber)?.int64Value }
    }

    /// Removes the files and partial downloads nothing references any more — no row,
    /// no change waiting or refused. A file added on this device (and not uploaded) goes
    /// only when it was added before `date`: it may not be in a row yet. A downloaded
    /// file goes as soon as no row the device holds references it, like the rows that
    /// left the subset. Returns how many went.
    @discardableResult
    public func collectAttachments(before date: Date) async throws -> Int {
        let folder = attachmentsDirectory
        guard FileManager.default.fileExists(atPath: folder.path) else { return 0 }
        let columns = model.entities.flatMap { entity in
            entity.columns.filter { $0.type == .attachment }.map { (entity.tableName, $0.name) }
        }
        return try await pool.write { db in
            var referenced = Set<String>()
            for (table, column) in columns {
                let name = column.quotedDatabaseIdentifier
                for text in try String.fetchAll(db, sql: "SELECT DISTINCT \(name) FROM \(table.quotedDatabaseIdentifier) WHERE \(name) IS NOT NULL") {
                    if let attachment = SyncAttachment(referenceText: text) { referenced.insert(attachment.sha256) }
                }
            }
            // Values kept for a resend or a retry: refused and sent-but-unanswered changes.
            let kept = try String.fetchAll(db, sql: """
                SELECT sentValues FROM syncwright_outbox WHERE sentValues IS NOT NULL
                UNION ALL SELECT sentValues FROM syncwright_rejected WHERE sentValues IS NOT NULL
                """)
            for text in kept { referenced.formUnion(Self.hashes(in: text)) }
            // Files added on this device may not be in a row yet: they get the grace
            // period. A downloaded file whose rows left goes at once, as the rows did.
            let added = Set(try String.fetchAll(db, sql: "SELECT sha256 FROM syncwright_attachments WHERE uploaded = 0"))
            var removed = 0
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
                let hash = String(name.prefix(64))
                // A copy an import left when it stopped half-way has no hash yet.
                let isLeftover = name.hasPrefix("import-")
                guard isLeftover || (hash.utf8.count == 64 && !referenced.contains(hash)) else { continue }
                let url = folder.appending(path: name)
                if isLeftover || added.contains(hash) {
                    let modified = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
                    guard (modified ?? .distantPast) < date else { continue }
                }
                try? FileManager.default.removeItem(at: url)
                if !isLeftover {
                    try db.execute(sql: "DELETE FROM syncwright_attachments WHERE sha256 = ?", arguments: [hash])
                }
                removed += 1
            }
            return removed
        }
    }

    /// The hashes of the attachment references in a JSON text.
    static func hashes(in text: String) -> Set<String> {
        var found = Set<String>()
        var rest = text[...]
        while let range = rest.range(of: SyncAttachment.hashPrefix) {
            let candidate = rest[range.upperBound...].prefix(64)
            if let hash = SyncAttachment.canonicalHash(String(candidate)) { found.insert(hash) }
            rest = rest[range.upperBound...]
        }
        return found
    }
}

extension SyncStore {
    /// Sets aside the unsent changes whose row references `attachment`, with `code` and
    /// `reason`, and the changes that need those (as ``RefusalCode/dependsOnRejected``).
    func rejectChangesNeeding(_ attachment: SyncAttachment, code: String, reason: String) async throws {
        let prefix = SyncAttachment.hashPrefix + attachment.sha256
        try await pool.write { db in
            var refused: [(entity: String, rowKey: String, kind: OperationKind, cause: String)] = []
            for statements in self.pushStatements.values.sorted(by: { $0.descriptor.name < $1.descriptor.name }) where statements.hasAttachments {
                let descriptor = statements.descriptor
                let columns = statements.writable.filter { $0.type == .attachment }
                let condition = columns.map { "substr(\($0.name.quotedDatabaseIdentifier), 1, \(prefix.utf8.count)) = ?" }
                    .joined(separator: " OR ")
                let keys = try DatabaseValue.fetchAll(db, sql: """
                    SELECT \(descriptor.keyColumn.quotedDatabaseIdentifier) FROM \(descriptor.tableName.quotedDatabaseIdentifier) \
                    WHERE \(condition)
                    """, arguments: StatementArguments(Array(repeating: prefix, count: columns.count)))
                for key in keys {
                    let rowKey = descriptor.key.type.wireValue(fromDatabase: key).jsonText
                    let entries = try Row.fetchAll(db, sql: """
                        SELECT * FROM syncwright_outbox WHERE entity = ? AND rowKey = ? AND sent = 0 ORDER BY sequence
                        """, arguments: [descriptor.name, rowKey])
                    for entry in entries {
                        try Self.refuseQueuedChanges(db, where: "sequence = ?", [entry["sequence"] as Int64], code: code, reason: reason)
                        refused.append((descriptor.name, rowKey, OperationKind(rawValue: entry["kind"]) ?? .update, entry["opId"]))
                    }
                }
            }
            try self.rejectDependentChanges(db, of: refused, excluding: [])
        }
    }
}
