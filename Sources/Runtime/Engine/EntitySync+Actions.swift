import Foundation
import GRDB

/// The part of a sync that concerns one entity, with typed rows: what
/// ``WritableEntitySync/sync(_:)`` and ``EntitySync/pull(_:)`` return.
public struct EntitySyncReport<Sync: EntitySync>: Sendable {
    /// The unit the sync pulled: the entity's, which may hold other entities too.
    public var unit: SyncUnit
    /// The whole sync's report, every entity of it.
    public var report: SyncReport
    /// How many of the entity's changes the pull received.
    public var pulled: Int
    /// Each of the entity's pushed changes and what became of it, in push order.
    public var changes: [EntityPushedChange<Sync.Entity>]

    /// The changes the server applied as sent.
    public var applied: [EntityPushedChange<Sync.Entity>] { changes.filter { $0.outcome == .applied } }
    /// The changes the server refused; they wait in ``EntitySync/refused(in:)``.
    public var refused: [EntityPushedChange<Sync.Entity>] { changes.filter { $0.refusalCode != nil } }
    /// The changes that met a newer server version.
    public var conflicts: [EntityPushedChange<Sync.Entity>] {
        changes.filter { if case .conflict = $0.outcome { true } else { false } }
    }
}

/// One pushed change of an entity, what became of it, and its row as the device has it
/// after the sync.
public struct EntityPushedChange<Entity: SyncEntity>: Sendable {
    /// The row's key.
    public var key: SyncKey
    /// Insert, update or delete.
    public var kind: OperationKind
    /// What the server did with it.
    public var outcome: PushedChange.Outcome
    /// The operation's id.
    public var opID: String
    /// The row as the device has it after the sync (nil when it has none).
    public var row: Entity?

    /// The refusal's code, when the server refused the change.
    public var refusalCode: RefusalCode? {
        if case .refused(let code) = outcome { code } else { nil }
    }
}

extension EntitySync {
    /// The unit that pulls the entity.
    public static var unit: SyncUnit { SyncUnit(descriptor.unit) }

    /// Pulls the entity's unit (every entity in it) without pushing, after the syncs
    /// already queued; a request a queued one covers joins it.
    ///
    /// - Returns: The entity's part of the sync.
    /// - Throws: ``SyncFailure``, as ``SyncEngine/sync(units:)``.
    @discardableResult
    public static func pull(_ engine: SyncEngine) async throws -> EntitySyncReport<Self> {
        let report = try await engine.pull(units: [unit])
        return try await EntitySyncReport(report, store: engine.store)
    }
}

/// The Sync action of an entity the device may write (`insert-only` or `read-write`):
/// it pushes as well as pulls. Read-only entities have only ``EntitySync/pull(_:)``.
public protocol WritableEntitySync: EntitySync where Entity: InsertableSyncEntity {}

extension WritableEntitySync {
    /// Pushes the pending changes and pulls the entity's unit, after the syncs already
    /// queued; a request a queued one covers joins it, so it never loops.
    ///
    /// The outbox goes out in the order the changes were made, so the entity's changes
    /// go with the changes of other entities made before them (a work order's line
    /// needs its order); the pull is the entity's unit, which may hold other entities too.
    ///
    /// - Returns: The entity's part of the sync: its pushed changes with their typed
    ///   outcome and row, and how many of its changes the pull received.
    /// - Throws: ``SyncFailure``, as ``SyncEngine/sync(units:)``.
    @discardableResult
    public static func sync(_ engine: SyncEngine) async throws -> EntitySyncReport<Self> {
        let report = try await engine.sync(units: [unit])
        return try await EntitySyncReport(report, store: engine.store)
    }
}

extension EntitySyncReport {
    /// The entity's part of `report`, its rows read from `store`.
    init(_ report: SyncReport, store: SyncStore) async throws {
        let descriptor = Sync.descriptor
        let pushed = report.changes.filter { $0.row.entity == descriptor.name }
        let changes = try await store.pool.read { db in
            try pushed.map { change in
                EntityPushedChange<Sync.Entity>(
                    key: change.row.key, kind: change.kind, outcome: change.outcome, opID: change.opID,
                    row: try Sync.localEntity(db, key: change.row.key.wireValue))
            }
        }
        self.init(unit: Sync.unit, report: report, pulled: report.pulledPerEntity[descriptor.name] ?? 0, changes: changes)
    }
}
