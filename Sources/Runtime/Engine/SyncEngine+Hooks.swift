import Foundation
import GRDB

/// What happened to one row of an entity during a sync, as the generated struct: what
/// a hook registered with ``SyncEngine/on(_:perform:)`` receives.
public enum EntitySyncEvent<Entity: SyncEntity>: Sendable {
    /// The server sent the row (new or changed). A row with pending local changes keeps
    /// them locally; this is the server's version.
    case pulled(Entity)
    /// The server removed the row from the device's subset (deleted, or moved out).
    case removed(key: SyncKey)
    /// The server applied a change of the device's as sent; `row` is the row as the
    /// server now has it (nil after a delete).
    case applied(key: SyncKey, kind: OperationKind, row: Entity?)
    /// The server refused a change of the device's: the change waits in
    /// ``EntitySync/refused(in:)`` until the app retries or discards it, and `row` is the
    /// row as the device had it.
    case refused(key: SyncKey, kind: OperationKind, code: RefusalCode, reason: String, row: Entity?)
    /// A change of the device's met a newer server version.
    case conflict(EntityConflictEvent<Entity>)
}

/// A change of the device's that met a newer server version, with both versions of
/// the row.
public struct EntityConflictEvent<Entity: SyncEntity>: Sendable {
    /// The row's key.
    public var key: SyncKey
    /// What the device did.
    public var kind: OperationKind
    /// The entity's conflict policy.
    public var policy: SyncConflictPolicy
    /// What the policy kept.
    public var resolution: ConflictResolutionOutcome
    /// The row as the device had it (nil if the device deleted it).
    public var local: Entity?
    /// The row as the server has it (nil if the server deleted it).
    public var server: Entity?
    /// Under `manual`, the conflict kept for the app, to settle with
    /// ``EntityConflict/resolve(_:in:)`` or ``EntityConflict/resolve(merging:in:)``;
    /// nil under the other policies, which settled it already.
    public var pending: EntityConflict<Entity>?
}

/// A hook registered with ``SyncEngine/on(_:perform:)``. It stays registered until
/// ``cancel()`` or until the engine is released.
public final class SyncHookRegistration: Sendable {
    private let progress: HookProgress
    private let onCancel: @Sendable () -> Void

    init(progress: HookProgress, onCancel: @escaping @Sendable () -> Void) {
        self.progress = progress
        self.onCancel = onCancel
    }

    /// Stops the hook: events not handled yet are dropped.
    public func cancel() { onCancel() }

    /// Waits until the hook has handled every event delivered to it so far: before a
    /// command-line tool exits, or in a test after a sync.
    public func idle() async { await progress.idle() }
}

/// Counts a hook's events in and out, so ``SyncHookRegistration/idle()`` knows when it
/// has caught up.
final class HookProgress: Sendable {
    private struct State {
        var delivered = 0
        var handled = 0
        var finished = false
        var waiters: [(target: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Locked(State())

    func delivered() { state.withValue { $0.delivered += 1 } }

    func handled() {
        let ready = state.withValue { state in
            state.handled += 1
            let ready = state.waiters.filter { $0.target <= state.handled }
            state.waiters.removeAll { $0.target <= state.handled }
            return ready
        }
        for waiter in ready { waiter.continuation.resume() }
    }

    /// No more events come: wakes every waiter.
    func finish() {
        let waiting = state.withValue { state in
            state.finished = true
            defer { state.waiters.removeAll() }
            return state.waiters
        }
        for waiter in waiting { waiter.continuation.resume() }
    }

    func idle() async {
        await withCheckedContinuation { continuation in
            let done = state.withValue { state in
                if state.finished || state.handled >= state.delivered { return true }
                state.waiters.append((state.delivered, continuation))
                return false
            }
            if done { continuation.resume() }
        }
    }
}

/// One row's event before it is decoded into the entity's struct (which only the hook
/// knows): values by local column.
struct RawSyncEvent: Sendable {
    enum Kind: Sendable {
        case pulled([String: DatabaseValue])
        case removed
        case applied(OperationKind, [String: DatabaseValue]?)
        case refused(OperationKind, RefusalCode, String, [String: DatabaseValue]?)
        case conflict(Conflict)
    }

    struct Conflict: Sendable {
        var kind: OperationKind
        var policy: SyncConflictPolicy
        var resolution: ConflictResolutionOutcome
        var local: [String: DatabaseValue]?
        var server: [String: DatabaseValue]?
        /// Under `manual`, the conflict as the store keeps it.
        var kept: SyncConflict?
    }

    var key: SyncKey
    var kind: Kind
}

/// The hooks registered on one engine, by entity name. The engine hands each event to
/// the hooks of its entity after the transaction that caused it commits; each hook
/// handles its events in order in a task of its own, so a slow hook delays only itself.
final class SyncHooks: Sendable {
    private struct Hook: Sendable {
        var id: UUID
        var continuation: AsyncStream<RawSyncEvent>.Continuation
        var progress: HookProgress
    }

    private let hooks = Locked<[String: [Hook]]>([:])

    deinit {
        for hook in hooks.withValue({ $0.values.flatMap { $0 } }) {
            hook.continuation.finish()
            hook.progress.finish()
        }
    }

    func register<Entity: SyncEntity>(
        _ entity: Entity.Type, perform handler: @escaping @Sendable (EntitySyncEvent<Entity>) async -> Void
    ) -> SyncHookRegistration {
        let (stream, continuation) = AsyncStream<RawSyncEvent>.makeStream()
        let progress = HookProgress()
        let id = UUID()
        let name = Entity.Sync.descriptor.name
        hooks.withValue { $0[name, default: []].append(Hook(id: id, continuation: continuation, progress: progress)) }
        let task = Task {
            for await raw in stream {
                if !Task.isCancelled, let event = Self.decode(raw, as: Entity.self) {
                    await handler(event)
                }
                progress.handled()
            }
            progress.finish()
        }
        return SyncHookRegistration(progress: progress) { [weak self] in
            self?.hooks.withValue { $0[name]?.removeAll { $0.id == id } }
            task.cancel()
            continuation.finish()
        }
    }

    private func targets(_ entity: String) -> [Hook] {
        hooks.withValue { $0[entity] ?? [] }
    }

    private var isEmpty: Bool { hooks.withValue { $0.values.allSatisfy(\.isEmpty) } }

    private func deliver(_ event: RawSyncEvent, to targets: [Hook]) {
        for hook in targets {
            hook.progress.delivered()
            if case .terminated = hook.continuation.yield(event) { hook.progress.handled() }
        }
    }

    /// The events of a pulled page, once it is applied.
    func deliverPulled(_ changes: [PullChange], entities: [String: SyncEntityDescriptor]) {
        guard !isEmpty else { return }
        for change in changes {
            let targets = targets(change.entity)
            guard !targets.isEmpty, let descriptor = entities[change.entity] else { continue }
            let key = SyncKey(change.key, type: descriptor.key.type)
            switch change.op {
            case .put:
                guard let row = change.row, let values = try? SyncStore.serverColumns(descriptor, row, version: change.version) else { continue }
                deliver(RawSyncEvent(key: key, kind: .pulled(values)), to: targets)
            case .remove:
                deliver(RawSyncEvent(key: key, kind: .removed), to: targets)
            }
        }
    }

    /// The events of a pushed batch's answers, once they are applied.
    func deliverPushed(_ outcome: SyncStore.PushOutcome, response: PushResponse, entities: [String: SyncEntityDescriptor]) {
        guard !isEmpty else { return }
        let results = Dictionary(response.results.map { ($0.opId, $0) }, uniquingKeysWith: { first, _ in first })
        for change in outcome.changes {
            let targets = targets(change.row.entity)
            guard !targets.isEmpty, let descriptor = entities[change.row.entity] else { continue }
            let result = results[change.opID]
            let server = result?.row.flatMap { try? SyncStore.serverColumns(descriptor, $0, version: result?.version) }
            let local = outcome.localRows[change.opID]
            let kind: RawSyncEvent.Kind
            switch change.outcome {
            case .applied:
                kind = .applied(change.kind, server)
            case .refused(let code):
                kind = .refused(change.kind, code, result?.reason ?? "refused by the server", local)
            case .conflict(let policy, let resolution):
                let kept = outcome.conflictIDs[change.opID].map { id in
                    SyncConflict(id: id, entity: descriptor.name, key: change.row.key.wireValue, kind: change.kind,
                                 localValues: local.map { Self.wireValues(descriptor, $0) },
                                 serverValues: result?.row, serverVersion: result?.version)
                }
                kind = .conflict(.init(kind: change.kind, policy: policy, resolution: resolution, local: local, server: server, kept: kept))
            }
            deliver(RawSyncEvent(key: change.row.key, kind: kind), to: targets)
        }
    }

    private static func wireValues(_ descriptor: SyncEntityDescriptor, _ values: [String: DatabaseValue]) -> [String: JSONValue] {
        Dictionary(uniqueKeysWithValues: descriptor.writableColumns.map {
            ($0.name, $0.type.wireValue(fromDatabase: values[$0.name] ?? .null))
        })
    }

    /// The typed event; nil when a row doesn't decode as the entity (a model the
    /// struct doesn't match), which a hook can't act on anyway.
    private static func decode<Entity: SyncEntity>(_ raw: RawSyncEvent, as _: Entity.Type) -> EntitySyncEvent<Entity>? {
        func entity(_ values: [String: DatabaseValue]?) -> Entity? {
            values.flatMap { try? Entity.Sync.entity(fromColumns: $0) }
        }
        switch raw.kind {
        case .pulled(let values):
            return entity(values).map { .pulled($0) }
        case .removed:
            return .removed(key: raw.key)
        case .applied(let kind, let values):
            return .applied(key: raw.key, kind: kind, row: entity(values))
        case .refused(let kind, let code, let reason, let values):
            return .refused(key: raw.key, kind: kind, code: code, reason: reason, row: entity(values))
        case .conflict(let conflict):
            let local = entity(conflict.local), server = entity(conflict.server)
            return .conflict(EntityConflictEvent(
                key: raw.key, kind: conflict.kind, policy: conflict.policy, resolution: conflict.resolution,
                local: local, server: server,
                pending: conflict.kept.map { EntityConflict(conflict: $0, key: raw.key, local: local, server: server) }))
        }
    }
}

extension SyncEngine {
    /// Registers a hook for one entity's sync events, called with the generated struct:
    ///
    ///     engine.on(WorkOrder.self) { event in
    ///         if case .refused(_, _, let code, _, let order?) = event {
    ///             await banner.show("Work order \(order.number) was refused: \(code)")
    ///         }
    ///     }
    ///
    /// Each event is handed over after the transaction that caused it commits (a pulled
    /// page, a pushed batch's answers), so the store already shows it. A hook handles
    /// its events one at a time, in order, in a task of its own: a slow hook delays only
    /// itself, never the sync or another hook.
    @discardableResult
    public nonisolated func on<Entity: SyncEntity>(
        _ entity: Entity.Type, perform handler: @escaping @Sendable (EntitySyncEvent<Entity>) async -> Void
    ) -> SyncHookRegistration {
        hooks.register(entity, perform: handler)
    }
}
