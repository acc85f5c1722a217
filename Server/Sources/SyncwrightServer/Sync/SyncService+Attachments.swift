import Crypto
import Foundation
import Syncwright
import SyncwrightSchema

/// Where an upload is going: an attachment field of an entity the caller may write in
/// a subset, and the reference's size.
struct ServerUpload: Sendable {
    /// The file's hash, 64 lower-case hex digits.
    let sha256: String
    /// The size the reference names.
    let size: Int64
    /// The server's name of the caller's upload of it.
    let upload: String
}

/// What ``SyncService/collectAttachments(before:)`` removed.
public struct AttachmentCollection: Sendable, Hashable {
    /// Stored files no row references any more.
    public var files = 0
    /// Uploads nobody finished.
    public var uploads = 0
}

extension SyncService {
    /// The storage, or a `404` when the server keeps no attachments.
    private func attachmentStorage() throws(ProtocolError) -> any AttachmentStorage {
        guard let attachments else {
            throw ProtocolError(status: 404, code: "attachments_unavailable", message: "this server keeps no attachments")
        }
        return attachments
    }

    /// A hash from a request path, or a `422`.
    static func attachmentHash(_ text: String) throws(ProtocolError) -> String {
        guard let hash = SyncAttachment.canonicalHash(text) else {
            throw ProtocolError.invalidRequest("\"\(text.prefix(80))\" is not a SHA-256: 64 hex digits")
        }
        return hash
    }

    /// Checks that the caller may upload a file of `size` bytes for `entity.field` in
    /// `subsetName`: a writable entity of the subset, an `attachment` field it selects,
    /// a size within the subset's cap and the server's.
    func uploadTarget(
        sha256: String, size: Int64, subsetName: String, entity entityName: String, field fieldName: String,
        claims: [String: JSONValue]
    ) throws(ProtocolError) -> ServerUpload {
        _ = try attachmentStorage()
        let hash = try Self.attachmentHash(sha256)
        guard let served = currentSubsets[subsetName] else {
            throw ProtocolError.invalidRequest("unknown subset \"\(subsetName.prefix(80))\"")
        }
        let parameters = try parameters(served.subset, claims: claims)
        guard let plan = served.plans[entityName], plan.subsetEntity.access.allowsWrites else {
            throw ProtocolError(status: 403, code: "upload_forbidden",
                                message: "\(entityName.prefix(80)) is not an entity you may write in the \(subsetName) subset")
        }
        guard let field = plan.selectedFields[fieldName], field.type == .scalar(.attachment) else {
            throw ProtocolError(status: 403, code: "upload_forbidden",
                                message: "\(fieldName.prefix(80)) is not an attachment field of \(entityName) in the \(subsetName) subset")
        }
        guard (0...SyncAttachment.maximumSize).contains(size) else {
            throw ProtocolError.invalidRequest("size must be a number of bytes from 0 to \(SyncAttachment.maximumSize)")
        }
        let limit = min(plan.subsetEntity.maxAttachmentSize ?? maximumAttachmentSize, maximumAttachmentSize)
        guard size <= limit else {
            throw ProtocolError(status: 413, code: "attachment_too_large",
                                message: "\(entityName).\(fieldName) takes files of at most \(limit) bytes; this one has \(size)")
        }
        // Each caller's upload is its own, so nobody learns of another's upload in progress.
        let owner = owner(served.subset, parameters, claims: claims)
        return ServerUpload(sha256: hash, size: size, upload: "\(hash)-\(size)-\(owner)")
    }

    /// How much of the upload the server has. A file stored already counts as stored
    /// only when a row the caller may see references it; otherwise the caller sends the
    /// bytes like anyone else (they are checked, then dropped: nothing is stored twice),
    /// so the answer never tells whether someone else stored a file.
    func uploadState(_ target: ServerUpload, subsetName: String, claims: [String: JSONValue]) async throws -> AttachmentUploadState {
        let storage = try attachmentStorage()
        if try await storage.storedSize(of: target.sha256) == target.size,
           try await isVisible(target.sha256, subsetName: subsetName, claims: claims, forDownload: false) {
            return AttachmentUploadState(stored: true, offset: target.size)
        }
        return AttachmentUploadState(stored: false, offset: try await storage.uploadedSize(of: target.upload))
    }

    /// Appends a piece of an upload at `offset`, which must be what the server has; when
    /// the last byte arrives the whole upload is checked against its hash and stored.
    ///
    /// - Throws: `409 upload_offset_mismatch` when `offset` isn't where the upload
    ///   stands; `413` when the piece runs past the size; `422 hash_mismatch` when the
    ///   finished bytes aren't the hash's (the upload is dropped).
    func appendUpload<Pieces: AsyncSequence>(
        _ target: ServerUpload, offset: Int64, pieces: Pieces
    ) async throws -> AttachmentUploadState where Pieces.Element == Data {
        let storage = try attachmentStorage()
        guard uploadsInProgress.withValue({ $0.insert(target.upload).inserted }) else {
            throw ProtocolError(status: 409, code: "upload_busy", message: "another request is sending this upload; try again when it ends")
        }
        defer { uploadsInProgress.withValue { _ = $0.remove(target.upload) } }
        var position = try await storage.uploadedSize(of: target.upload)
        guard offset == position else {
            throw ProtocolError(status: 409, code: "upload_offset_mismatch",
                                message: "the server has \(position) bytes of this upload; send from there (offset \(position))")
        }
        for try await piece in pieces {
            guard position + Int64(piece.count) <= target.size else {
                throw ProtocolError(status: 413, code: "upload_too_long",
                                    message: "the upload runs past the \(target.size) bytes its reference names")
            }
            try await storage.appendUpload(target.upload, piece)
            position += Int64(piece.count)
        }
        guard position == target.size else { return AttachmentUploadState(stored: false, offset: position) }
        // An empty file has no bytes to append: its upload is made here.
        if position == 0 { try await storage.appendUpload(target.upload, Data()) }
        var hasher = Crypto.SHA256()
        try await storage.readUpload(target.upload) { hasher.update(data: $0) }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        guard digest == target.sha256 else {
            try await storage.discardUpload(target.upload)
            throw ProtocolError(status: 422, code: "hash_mismatch",
                                message: "the bytes sent hash to \(digest), not \(target.sha256); the upload was dropped, send it again")
        }
        try await storage.commitUpload(target.upload, as: target.sha256)
        return AttachmentUploadState(stored: true, offset: position)
    }

    /// Checks that the caller may download the file: a row in one of its subset's
    /// entities whose `attachments:` isn't `never` references it. The size when so.
    ///
    /// - Throws: `404 attachment_not_found` when no such row exists or the file isn't
    ///   stored: the same answer either way, so nobody learns of another's files.
    func downloadSize(_ sha256: String, subsetName: String, claims: [String: JSONValue]) async throws -> Int64 {
        let storage = try attachmentStorage()
        let hash = try Self.attachmentHash(sha256)
        let notFound = ProtocolError(status: 404, code: "attachment_not_found",
                                     message: "no row you may see references this attachment, or it isn't stored yet")
        guard try await isVisible(hash, subsetName: subsetName, claims: claims, forDownload: true),
              let size = try await storage.storedSize(of: hash) else { throw notFound }
        return size
    }

    /// Reads `range` of a stored file.
    func readAttachment(_ sha256: String, range: Range<Int64>) async throws -> Data {
        try await attachmentStorage().read(sha256, range: range)
    }

    /// Whether a row of the caller's subset references the file, through an attachment
    /// field the subset selects (for a download, of an entity whose `attachments:` isn't
    /// `never`).
    private func isVisible(_ hash: String, subsetName: String, claims: [String: JSONValue], forDownload: Bool) async throws -> Bool {
        guard let served = currentSubsets[subsetName] else {
            throw ProtocolError.invalidRequest("unknown subset \"\(subsetName.prefix(80))\"")
        }
        let parameters = try parameters(served.subset, claims: claims)
        let prefix = SyncAttachment.hashPrefix + hash
        for entry in served.subset.entities {
            guard let plan = served.plans[entry.entityName], !(forDownload && entry.attachmentDownload == .never) else { continue }
            let fields = plan.entity.fields.filter { plan.selectedFields[$0.name] != nil && $0.type == .scalar(.attachment) }
            guard !fields.isEmpty else { continue }
            var builder = SQLBuilder(dialect)
            builder.append("SELECT 1 FROM \(plan.table) AS t\(plan.joins) WHERE (")
            for (index, field) in fields.enumerated() {
                if index > 0 { builder.append(" OR ") }
                builder.append("substr(t.\(dialect.quote(field.columnName)), 1, \(prefix.utf8.count)) = ")
                builder.bind(.text(prefix))
            }
            builder.append(") AND ")
            plan.appendFilter(to: &builder, parameters: parameters, mode: .full)
            builder.append(" LIMIT 1")
            if try await !database.read(builder.sql, builder.arguments).isEmpty {
                return true
            }
        }
        return false
    }

    /// Refusals of pushed ops whose attachment values the server can't accept: a file
    /// not uploaded (`attachment_missing`), one whose size differs from its reference,
    /// or one over the entity's cap (`attachment_too_large`). By op id; checked before
    /// the push's transaction.
    func attachmentRefusals(_ ops: [PushOperation], plans: [String: EntityPlan]) async throws -> [String: (code: String, reason: String)] {
        var refusals: [String: (code: String, reason: String)] = [:]
        var sizes: [String: Int64?] = [:]
        for op in ops where op.kind != .delete {
            guard let plan = plans[op.entity], !plan.attachmentFields.isEmpty, let values = op.values else { continue }
            for field in plan.attachmentFields {
                let name = field.name
                guard let text = values[name]?.stringValue, let reference = SyncAttachment(referenceText: text) else { continue }
                let limit = min(plan.subsetEntity.maxAttachmentSize ?? maximumAttachmentSize, maximumAttachmentSize)
                if reference.size > limit {
                    refusals[op.opId] = ("attachment_too_large", "\(name) takes files of at most \(limit) bytes; this one has \(reference.size)")
                    break
                }
                guard let storage = attachments else {
                    refusals[op.opId] = ("attachment_missing", "this server keeps no attachments")
                    break
                }
                if sizes[reference.sha256] == nil { sizes[reference.sha256] = try await storage.storedSize(of: reference.sha256) }
                if sizes[reference.sha256] != .some(reference.size) {
                    refusals[op.opId] = ("attachment_missing", "the file \(name) references hasn't been uploaded; upload it, then send the change again")
                    break
                }
            }
        }
        return refusals
    }

    /// Removes stored files that no row of any entity references and that were stored
    /// before `date`, and uploads that last grew before it. The grace period covers a
    /// device that uploaded a file and hasn't pushed the change that references it.
    @discardableResult
    public func collectAttachments(before date: Date) async throws -> AttachmentCollection {
        guard let storage = attachments else { return AttachmentCollection() }
        var collection = AttachmentCollection()
        let candidates = try await storage.storedFiles().filter { $0.storedAt < date }
        if !candidates.isEmpty {
            // One pass over each attachment column, not one query per file.
            var referenced = Set<String>()
            let start = SyncAttachment.hashPrefix.utf8.count + 1
            for entity in schema.entities {
                for field in entity.fields where field.type == .scalar(.attachment) {
                    let column = dialect.quote(field.columnName)
                    let rows = try await database.read(
                        "SELECT DISTINCT substr(\(column), \(start), 64) FROM \(dialect.quote(entity.tableName)) WHERE \(column) IS NOT NULL", [])
                    for row in rows { if let hash = row.first?.text { referenced.insert(hash) } }
                }
            }
            for (hash, _) in candidates where !referenced.contains(hash) {
                try await storage.delete(hash)
                collection.files += 1
            }
        }
        for (upload, changedAt) in try await storage.uploads() where changedAt < date {
            try await storage.discardUpload(upload)
            collection.uploads += 1
        }
        if collection.files + collection.uploads > 0 {
            logger.info("attachments collected", metadata: ["files": "\(collection.files)", "uploads": "\(collection.uploads)"])
        }
        return collection
    }
}
