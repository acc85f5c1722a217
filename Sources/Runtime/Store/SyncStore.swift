import Foundation
import GRDB

/// The device's copy of one subset: a SQLite database (GRDB `DatabasePool`, WAL mode)
/// holding the subset's tables, the outbox of changes not yet pushed, rejected changes,
/// manual conflicts and a cursor per sync unit.
///
/// Read with `read(_:)` (blocking or `async`) or observe with ``observe(_:scheduling:onError:onChange:)``
/// and ``values(_:)``. Write with `write(_:)` (blocking or `async`): every insert, update and delete made
/// through the ``SyncTransaction`` records its outbox entry in the same transaction,
/// so a change and its entry are saved together or not at all.
public final class SyncStore: Sendable {
    /// The model the store was opened with.
    public let model: SyncModel
    /// A stable id of this store, sent with every push so the server can recognize
    /// replayed operations.
    public let clientID: String
    /// The database, for reads and observation with GRDB's own API.
    public var reader: any DatabaseReader { pool }

    let pool: DatabasePool
    let entitiesByName: [String: SyncEntityDescriptor]
    /// Each entity's push-path SQL and column lists, built once.
    let pushStatements: [String: PushStatements]
    private let localWriteObservers = Locked<[UUID: @Sendable () -> Void]>([:])

    /// Opens (or creates) the store at `path` and migrates it to `model`.
    ///
    /// When the model's schema hash differs from the one the store was last opened
    /// with, the tables are brought to the new model (`ModelMigration`: new tables and
    /// columns, tables rebuilt for dropped or retyped columns, rows kept) and every
    /// unit downloads again, removing rows the new model doesn't select. Pending changes
    /// are kept; a pending change to a field the model dropped becomes a rejected
    /// change with a reason.
    ///
    /// - Throws: GRDB's `DatabaseError` when the file can't be opened or migrated.
    public init(path: String, model: SyncModel) throws {
        self.model = model
        var entities: [String: SyncEntityDescriptor] = [:]
        for entity in model.entities { entities[entity.name] = entity }
        self.entitiesByName = entities
        self.pushStatements = entities.mapValues(PushStatements.init)
        var configuration = Configuration()
        configuration.label = "Syncwright.\(model.schemaName).\(model.subset)"
        pool = try DatabasePool(path: path, configuration: configuration)
        try StoreMigrations.migrator().migrate(pool)
        try pool.write { db in try ModelMigration.migrate(db, to: model) }
        clientID = try pool.write { db in
            if let existing = try String.fetchOne(db, sql: "SELECT value FROM syncwright_metadata WHERE key = 'clientId'") {
                return existing
            }
            let id = UUID().uuidString.lowercased()
            try db.execute(sql: "INSERT INTO syncwright_metadata (key, value) VALUES ('clientId', ?)", arguments: [id])
            return id
        }
    }

    // MARK: - Reading

    /// Reads from a consistent snapshot; writes are impossible here.
    public func read<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.read(body)
    }

    /// Reads from a consistent snapshot without blocking the caller's thread.
    public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await pool.read(body)
    }

    /// Calls `onChange` with the fetched value now and after every committed change to
    /// the tables it reads, until the returned object is cancelled or released.
    public func observe<Value: Sendable>(
        _ fetch: @escaping @Sendable (Database) throws -> Value,
        scheduling scheduler: some ValueObservationScheduler = .async(onQueue: .main),
        onError: @escaping @Sendable (any Error) -> Void,
        onChange: @escaping @Sendable (Value) -> Void
    ) -> AnyDatabaseCancellable {
        ValueObservation.tracking(fetch).start(in: pool, scheduling: scheduler, onError: onError, onChange: onChange)
    }

    /// The fetched value now and after every committed change to the tables it reads,
    /// as an async sequence.
    public func values<Value: Sendable>(
        _ fetch: @escaping @Sendable (Database) throws -> Value
    ) -> AsyncValueObservation<Value> {
        ValueObservation.tracking(fetch).values(in: pool)
    }

    // MARK: - Writing

    /// Runs `body` in one write transaction. Changes made through the transaction and
    /// their outbox entries commit together; if `body` throws, neither is saved.
    public func write<T>(_ body: (SyncTransaction) throws -> T) throws -> T {
        let recorder = ChangeRecorder()
        let result = try pool.write { db in
            try body(SyncTransaction(database: db, store: self, recorder: recorder))
        }
        if recorder.count > 0 { notifyLocalWrite() }
        return result
    }

    /// Runs `body` in one write transaction without blocking the caller's thread.
    public func write<T: Sendable>(_ body: @escaping @Sendable (SyncTransaction) throws -> T) async throws -> T {
        let recorder = ChangeRecorder()
        let result = try await pool.write { db in
            try body(SyncTransaction(database: db, store: self, recorder: recorder))
        }
        if recorder.count > 0 { notifyLocalWrite() }
        return result
    }

    /// Registers a callback run after every committed local write that recorded a
    /// change; the engine uses it to sync after each save when delayed sync is off.
    /// Rows applied from the server never trigger it.
    public func addLocalWriteObserver(_ observer: @escaping @Sendable () -> Void) -> LocalWriteObservation {
        let id = UUID()
        localWriteObservers.withValue { $0[id] = observer }
        return LocalWriteObservation { [weak self] in
            self?.localWriteObservers.withValue { _ = $0.removeValue(forKey: id) }
        }
    }

    private func notifyLocalWrite() {
        for observer in localWriteObservers.withValue({ Array($0.values) }) { observer() }
    }

    // MARK: - Bookkeeping

    /// How many changes wait to be pushed.
    public func pendingChangeCount() throws -> Int {
        try pool.read(Self.pendingChangeCount)
    }

    /// How many changes wait to be pushed, read while the caller suspends.
    public func pendingChangeCount() async throws -> Int {
        try await pool.read(Self.pendingChangeCount)
    }

    private static func pendingChangeCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM syncwright_outbox") ?? 0
    }

    /// The changes waiting to be pushed, oldest first.
    public func pendingChanges() throws -> [PendingChange] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT opId, entity, rowKey, kind, baseVersion, changedColumns FROM syncwright_outbox ORDER BY sequence
                """).map { row in
                PendingChange(
                    opID: row["opId"], entity: row["entity"], key: (try? JSONValue(jsonText: row["rowKey"])) ?? .null,
                    kind: OperationKind(rawValue: row["kind"]) ?? .update, baseVersion: row["baseVersion"],
                    changedColumns: Self.decodeColumns(row["changedColumns"]))
            }
        }
    }

    /// The cursor a unit's last pull stopped at; nil before its first pull.
    public func cursor(forUnit unit: String) throws -> String? {
        try pool.read { db in try Self.cursor(db, unit: unit) }
    }

    /// The same, read while the caller suspends.
    public func cursor(forUnit unit: String) async throws -> String? {
        try await pool.read { db in try Self.cursor(db, unit: unit) }
    }

    static func cursor(_ db: Database, unit: String) throws -> String? {
        try String.fetchOne(db, sql: "SELECT cursor FROM syncwright_cursors WHERE unit = ?", arguments: [unit])
    }

    /// When the last sync finished without error.
    public func lastSyncedAt() throws -> Date? {
        try pool.read(Self.lastSyncedAt)
    }

    /// The same, read while the caller suspends.
    public func lastSyncedAt() async throws -> Date? {
        try await pool.read(Self.lastSyncedAt)
    }

    static func lastSyncedAt(_ db: Database) throws -> Date? {
        try String.fetchOne(db, sql: "SELECT value FROM syncwright_metadata WHERE key = 'lastSyncedAt'")
            .flatMap(Double.init).map { Date(timeIntervalSince1970: $0) }
    }

    /// The pending count and the time of the last successful sync, in one read: what a
    /// status update needs.
    func statusSnapshot() async throws -> (pendingChanges: Int, lastSyncedAt: Date?) {
        try await pool.read { db in (try Self.pendingChangeCount(db), try Self.lastSyncedAt(db)) }
    }

    func recordSuccessfulSync(at date: Date) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO syncwright_metadata (key, value) VALUES ('lastSyncedAt', ?)",
                           arguments: [String(date.timeIntervalSince1970)])
            try db.execute(sql: "DELETE FROM syncwright_metadata WHERE key = 'lastSyncFailure'")
        }
    }

    /// Keeps why the last sync failed, for ``explain(_:key:)``, until one succeeds.
    func recordFailedSync(_ failure: SyncFailure) async throws {
        try await pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO syncwright_metadata (key, value) VALUES ('lastSyncFailure', ?)",
                           arguments: [failure.description])
        }
    }

    /// Removes a unit's rows and its cursor, so the next sync fetches it from scratch.
    ///
    /// - Parameters:
    ///   - unit: The unit's name.
    ///   - force: Also drop the unit's pending changes, rejected changes and conflicts.
    /// - Throws: ``SyncStoreError`` when the unit is unknown, or has pending changes
    ///   and `force` is false; nothing is removed then.
    public func purge(unit: String, force: Bool = false) throws {
        try pool.write { db in try self.purge(db, unit: unit, force: force) }
    }

    /// The same, run on GRDB's writer queue while the caller suspends.
    public func purge(unit: String, force: Bool = false) async throws {
        try await pool.write { db in try self.purge(db, unit: unit, force: force) }
    }

    private func purge(_ db: Database, unit: String, force: Bool) throws {
        guard let descriptor = model.units.first(where: { $0.name == unit }) else { throw SyncStoreError.unknownUnit(unit) }
        let entities = descriptor.entityNames
        let placeholders = databaseQuestionMarks(count: entities.count)
        let pending = try Int.fetchOne(db, sql: """
            SELECT (SELECT COUNT(*) FROM syncwright_outbox WHERE entity IN (\(placeholders)))
                 + (SELECT COUNT(*) FROM syncwright_conflicts WHERE entity IN (\(placeholders)))
            """, arguments: StatementArguments(entities + entities)) ?? 0
        if pending > 0, !force { throw SyncStoreError.pendingChanges(unit: unit, count: pending) }
        for table in ["syncwright_outbox", "syncwright_conflicts", "syncwright_rejected"] {
            try db.execute(sql: "DELETE FROM \(table) WHERE entity IN (\(placeholders))", arguments: StatementArguments(entities))
        }
        for name in entities {
            if let entity = entitiesByName[name] {
                try db.execute(sql: "DELETE FROM \(entity.tableName.quotedDatabaseIdentifier)")
            }
        }
        try db.execute(sql: "DELETE FROM syncwright_cursors WHERE unit = ?", arguments: [unit])
        try db.execute(sql: "DELETE FROM syncwright_resync WHERE unit = ?", arguments: [unit])
    }

    /// Prepares a unit to be pulled again from the start after the server answered
    /// `resync_required`: its cursor goes, and so do its rows, except those with pending
    /// changes or conflicts, which stay until they are pushed or resolved.
    ///
    /// Run on GRDB's writer queue while the caller (the engine) suspends.
    func resetForResync(unit: String) async throws {
        try await pool.write { db in try self.resetForResync(db, unit: unit) }
    }

    private func resetForResync(_ db: Database, unit: String) throws {
        guard let descriptor = model.units.first(where: { $0.name == unit }) else { throw SyncStoreError.unknownUnit(unit) }
        for name in descriptor.entityNames {
            guard let entity = entitiesByName[name] else { continue }
            let keys = try String.fetchAll(db, sql: """
                SELECT rowKey FROM syncwright_outbox WHERE entity = ? UNION SELECT rowKey FROM syncwright_conflicts WHERE entity = ?
                """, arguments: [name, name])
            let kept = try Set(keys.map { try Self.keyValue(entity, try JSONValue(jsonText: $0)) })
            let table = entity.tableName.quotedDatabaseIdentifier
            let key = entity.keyColumn.quotedDatabaseIdentifier
            let rows = try DatabaseValue.fetchAll(db, sql: "SELECT \(key) FROM \(table)")
            for value in rows where !kept.contains(value) {
                try db.execute(sql: "DELETE FROM \(table) WHERE \(key) = ?", arguments: [value])
            }
        }
        try db.execute(sql: "DELETE FROM syncwright_cursors WHERE unit = ?", arguments: [unit])
    }

    func descriptor(_ name: String) throws -> SyncEntityDescriptor {
        guard let descriptor = entitiesByName[name] else { throw SyncStoreError.unknownEntity(name) }
        return descriptor
    }

    static func decodeColumns(_ text: String?) -> [String] {
        guard let text, case .array(let items)? = try? JSONValue(jsonText: text) else { return [] }
        return items.compactMap(\.stringValue)
    }

    static func encodeColumns(_ columns: [String]) -> String {
        JSONValue.array(columns.map { .string($0) }).jsonText
    }
}

/// A change waiting to be pushed.
public struct PendingChange: Sendable, Hashable {
    /// The operation id the push will use.
    public var opID: String
    /// The entity's name.
    public var entity: String
    /// The row's key.
    public var key: JSONValue
    /// Insert, update or delete.
    public var kind: OperationKind
    /// The server version the change is based on.
    public var baseVersion: Int64?
    /// The columns the change sets.
    public var changedColumns: [String]
}

/// Keeps a local-write observer registered until cancelled or released.
public final class LocalWriteObservation: Sendable {
    private let cancellation: Locked<(@Sendable () -> Void)?>

    init(_ cancel: @escaping @Sendable () -> Void) {
        cancellation = Locked(cancel)
    }

    /// Stops the observation.
    public func cancel() {
        let cancel = cancellation.withValue { value -> (@Sendable () -> Void)? in
            defer { value = nil }
            return value
        }
        cancel?()
    }

    deinit { cancel() }
}

/// Counts the changes one write transaction recorded; a transaction may run on GRDB's
/// writer queue while its store method waits, so the count is behind a lock.
struct ChangeRecorder: Sendable {
    private let counter = Locked(0)

    /// Adds one recorded change.
    func record() { counter.withValue { $0 += 1 } }

    /// How many changes were recorded.
    var count: Int { counter.withValue { $0 } }
}
