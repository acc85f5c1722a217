import Foundation
import GRDB

/// The answer to "why isn't this synced?" for one row: everything the store knows about
/// it, from ``SyncStore/explain(_:key:)``. Its description is a report for people.
public struct SyncExplanation: Sendable, Hashable, CustomStringConvertible {
    /// A change of the row waiting in the outbox.
    public struct PendingChange: Sendable, Hashable {
        /// Where the change is.
        public enum State: String, Sendable, Hashable {
            /// Not sent yet.
            case queued
            /// Sent; its answer hasn't been applied (in flight, or lost and to be resent
            /// with the same op id).
            case inFlight = "in flight"
        }

        /// The operation's id.
        public var opID: String
        /// Insert, update or delete.
        public var kind: OperationKind
        /// The columns it changes.
        public var changedColumns: [String]
        /// The server version it was made on.
        public var baseVersion: Int64?
        /// Where it is.
        public var state: State
        /// How many syncs failed to deliver it (after their retries).
        public var failedAttempts: Int
        /// Why the last of them failed.
        public var lastError: String?
        /// When it was made.
        public var createdAt: Date
    }

    /// The row.
    public var row: SyncRowID
    /// The unit that pulls the row.
    public var unit: SyncUnit
    /// Whether the device holds the row.
    public var isStoredLocally: Bool
    /// The server version the device last received (nil: never received, such as a
    /// row inserted here and not pushed yet).
    public var version: Int64?
    /// When the server last changed the row, as last received.
    public var updatedAt: Date?
    /// Changes waiting to be pushed, oldest first.
    public var pendingChanges: [PendingChange]
    /// Changes the server refused, waiting for the app to retry or discard them.
    public var refusedChanges: [RejectedChange]
    /// Conflicts kept for the app (`manual` policy).
    public var conflicts: [SyncConflict]
    /// Edits a `server-wins` conflict replaced with the server's row.
    public var overwrittenChanges: [OverwrittenChange]
    /// When the unit last finished a pull; nil if it never did.
    public var unitLastPulledAt: Date?
    /// When any sync last finished without error.
    public var lastSyncedAt: Date?
    /// Why the last sync failed, when it did (nil once one succeeds).
    public var lastSyncFailure: String?
    /// Files the row references that the server doesn't have yet: its changes wait
    /// for them to upload.
    public var filesToUpload: [FileToUpload] = []
    /// When the server's last row doesn't fit the model: set aside, and why.
    public var setAside: SetAsideRow?

    /// A file a row's change waits for.
    public struct FileToUpload: Sendable, Hashable {
        /// The file.
        public var attachment: SyncAttachment
        /// Why its last upload failed, if one did.
        public var lastError: String?
    }

    /// One line: where the row stands.
    public var verdict: String {
        if let setAside {
            return "set aside: the server sent a version this app can't store (\(setAside.problem)); "
                + "the device keeps the row as it was until the server's row is repaired"
                + (setAside.requestID.map { " (request \($0))" } ?? "")
        }
        if !refusedChanges.isEmpty {
            return "refused by the server (\(refusedChanges.map(\.code.rawValue).joined(separator: ", "))): retry or discard the change"
        }
        if !conflicts.isEmpty { return "in conflict with the server's row: the app must resolve it" }
        if let failing = pendingChanges.first(where: { $0.failedAttempts > 0 }) {
            return "waiting to be pushed: \(failing.failedAttempts) sync\(failing.failedAttempts == 1 ? "" : "s") failed to deliver it"
                + (failing.lastError.map { " (\($0))" } ?? "")
        }
        if let file = filesToUpload.first, !pendingChanges.isEmpty {
            return "waiting for its file (\(file.attachment.size) bytes, \(file.attachment.mediaType)) to upload"
                + (file.lastError.map { "; the last try failed: \($0)" } ?? "; it goes at the next sync")
        }
        if let lastSyncFailure, !pendingChanges.isEmpty { return "waiting to be pushed; the last sync failed: \(lastSyncFailure)" }
        if pendingChanges.contains(where: { $0.state == .inFlight }) { return "sent; the server's answer hasn't arrived yet" }
        if !pendingChanges.isEmpty { return "waiting to be pushed at the next sync" }
        if !isStoredLocally {
            return unitLastPulledAt == nil
                ? "not on this device: unit '\(unit)' has never been pulled"
                : "not on this device: the server didn't send it (not in this device's subset, or deleted)"
        }
        if version == nil { return "on this device only: it has never reached the server" }
        return "in sync as of the last pull of unit '\(unit)'"
    }

    public var description: String {
        let dates = ISO8601DateFormatter()
        var lines = ["\(row): \(verdict)"]
        if isStoredLocally {
            lines.append("  on this device: version \(version.map(String.init) ?? "none")"
                + (updatedAt.map { ", changed on the server \(dates.string(from: $0))" } ?? ""))
        } else {
            lines.append("  not on this device")
        }
        for change in pendingChanges {
            var line = "  pending \(change.kind.rawValue)"
            if !change.changedColumns.isEmpty && change.kind == .update { line += " [\(change.changedColumns.joined(separator: ", "))]" }
            line += ": \(change.state.rawValue) since \(dates.string(from: change.createdAt))"
            if let base = change.baseVersion { line += ", made on version \(base)" }
            if change.failedAttempts > 0 { line += "; \(change.failedAttempts) failed, last: \(change.lastError ?? "unknown")" }
            lines.append(line)
        }
        for file in filesToUpload {
            lines.append("  file to upload first: \(file.attachment.referenceText)" + (file.lastError.map { " (last try: \($0))" } ?? ""))
        }
        for refused in refusedChanges {
            lines.append("  refused \(refused.kind.rawValue) (\(refused.code)) on \(dates.string(from: refused.rejectedAt)): \(refused.reason)")
        }
        for conflict in conflicts {
            lines.append("  conflict: the server has version \(conflict.serverVersion.map(String.init) ?? "none (deleted)")")
        }
        for lost in overwrittenChanges {
            lines.append("  overwritten by the server on \(dates.string(from: lost.overwrittenAt)): your \(lost.kind.rawValue) of "
                + "[\(lost.changedColumns.joined(separator: ", "))]")
        }
        if let setAside {
            lines.append("  set aside on \(dates.string(from: setAside.setAsideAt)): the server's version \(setAside.version.map(String.init) ?? "?") "
                + "doesn't fit: \(setAside.problem)" + (setAside.requestID.map { " (request \($0))" } ?? ""))
        }
        lines.append("  unit '\(unit)': " + (unitLastPulledAt.map { "last pulled \(dates.string(from: $0))" } ?? "never pulled"))
        if let lastSyncFailure { lines.append("  the last sync failed: \(lastSyncFailure)") }
        return lines.joined(separator: "\n")
    }
}

extension SyncStore {
    /// Why a row is, or isn't, as the server has it: its pending changes and their
    /// state (queued, in flight, failed attempts and the last error), refused changes
    /// with their codes, conflicts, overwritten edits, its version, and the last pull
    /// of its unit.
    ///
    ///     print(try store.explain(WorkOrder.self, key: order.id))
    public func explain<Entity: SyncEntity>(_ type: Entity.Type, key: some DatabaseValueConvertible) throws -> SyncExplanation {
        try explain(entity: Entity.Sync.descriptor.name, key: key.databaseValue)
    }

    /// ``explain(_:key:)`` by entity name, for tools.
    public func explain(entity name: String, key: DatabaseValue) throws -> SyncExplanation {
        let descriptor = try descriptor(name)
        let wireKey = descriptor.key.type.wireValue(fromDatabase: key)
        let rowKey = wireKey.jsonText
        let refused = try rejectedChanges().filter { $0.entity == name && $0.key.jsonText == rowKey }
        let conflicts = try conflicts().filter { $0.entity == name && $0.key.jsonText == rowKey }
        let overwritten = try overwrittenChanges().filter { $0.row.entity == name && $0.row.key.wireValue.jsonText == rowKey }
        let setAside = try setAsideRows().first { $0.row.entity == name && $0.row.key.wireValue.jsonText == rowKey }
        return try pool.read { db in
            let local = try Row.fetchOne(db, sql: """
                SELECT \(SyncEntityDescriptor.versionColumn.quotedDatabaseIdentifier), \
                \(SyncEntityDescriptor.updatedAtColumn.quotedDatabaseIdentifier) \
                FROM \(descriptor.tableName.quotedDatabaseIdentifier) WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?
                """, arguments: [key])
            let pending = try Row.fetchAll(db, sql: """
                SELECT opId, kind, changedColumns, baseVersion, sent, failedAttempts, lastError, createdAt
                FROM syncwright_outbox WHERE entity = ? AND rowKey = ? ORDER BY sequence
                """, arguments: [name, rowKey]).map { row in
                SyncExplanation.PendingChange(
                    opID: row["opId"], kind: OperationKind(rawValue: row["kind"]) ?? .update,
                    changedColumns: Self.decodeColumns(row["changedColumns"]), baseVersion: row["baseVersion"],
                    state: (row["sent"] as Bool) ? .inFlight : .queued, failedAttempts: row["failedAttempts"],
                    lastError: row["lastError"], createdAt: Date(timeIntervalSince1970: row["createdAt"]))
            }
            let pulledAt = try String.fetchOne(db, sql: "SELECT value FROM syncwright_metadata WHERE key = ?",
                                               arguments: ["pulledAt:" + descriptor.unit]).flatMap(Double.init)
            let updatedAt = local.flatMap { Date.fromDatabaseValue($0[1]) }
            var files: [SyncExplanation.FileToUpload] = []
            let attachmentColumns = descriptor.writableColumns.filter { $0.type == .attachment }
            if !attachmentColumns.isEmpty, let values = try Row.fetchOne(db, sql: """
                SELECT \(attachmentColumns.map(\.name.quotedDatabaseIdentifier).joined(separator: ", ")) \
                FROM \(descriptor.tableName.quotedDatabaseIdentifier) WHERE \(descriptor.keyColumn.quotedDatabaseIdentifier) = ?
                """, arguments: [key]) {
                for index in attachmentColumns.indices {
                    guard let attachment = SyncAttachment.fromDatabaseValue(values[index]),
                          let record = try Row.fetchOne(db, sql: "SELECT lastError FROM syncwright_attachments WHERE sha256 = ? AND uploaded = 0",
                                                        arguments: [attachment.sha256]) else { continue }
                    files.append(SyncExplanation.FileToUpload(attachment: attachment, lastError: record["lastError"]))
                }
            }
            return SyncExplanation(
                row: SyncRowID(entity: name, key: SyncKey(wireKey, type: descriptor.key.type)), unit: SyncUnit(descriptor.unit),
                isStoredLocally: local != nil, version: local?[0], updatedAt: updatedAt, pendingChanges: pending,
                refusedChanges: refused, conflicts: conflicts, overwrittenChanges: overwritten,
                unitLastPulledAt: pulledAt.map(Date.init(timeIntervalSince1970:)), lastSyncedAt: try Self.lastSyncedAt(db),
                lastSyncFailure: try String.fetchOne(db, sql: "SELECT value FROM syncwright_metadata WHERE key = 'lastSyncFailure'"),
                filesToUpload: files, setAside: setAside)
        }
    }
}
