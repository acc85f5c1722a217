import Foundation
@testable import Syncwright

/// An in-process server double: it keeps rows with versions, a change log, and the
/// result of every op id, and follows the protocol's rules closely enough to test the
/// engine. The real server comes with its own end-to-end tests.
actor TestServer: SyncTransport {
    struct StoredRow: Sendable {
        var row: [String: JSONValue]
        var version: Int64
    }

    struct LogEntry: Sendable {
        var sequence: Int
        var entity: String
        var key: String
        var row: [String: JSONValue]?
        var version: Int64
    }

    let model: SyncModel
    private(set) var tables: [String: [String: StoredRow]] = [:]
    private(set) var log: [LogEntry] = []
    private(set) var results: [String: PushResult] = [:]
    private(set) var pushedBatches: [[String]] = []
    private(set) var pullRequests: [PullRequest] = []
    private var version: Int64 = 0

    /// Fails the next pushes (or pulls) with these errors, in order.
    var pushFailures: [SyncTransportError] = []
    var pullFailures: [SyncTransportError] = []
    /// Applies the next push, then loses the answer (a network error) this many times.
    var losePushResponses = 0
    /// Fails every pull after this many successful pages.
    var failPullsAfterPages: Int?
    /// While true, pulls wait until ``releasePulls()``.
    var holdPulls = false
    private var heldPulls: [CheckedContinuation<Void, Never>] = []
    /// When true, a pull without a cursor answers as the protocol lets a server answer a
    /// download from scratch: the rows it holds now, in one page, and no removals.
    var snapshotInitialPulls = false
    /// The schema hashes `GET /v1/schema` lists; the model's alone when empty.
    var servedHashes: [String] = []
    /// The hashes `GET /v1/schema` lists as upcoming.
    var upcomingHashes: [String] = []
    /// How many times `GET /v1/schema` was asked.
    private(set) var schemaRequests = 0
    /// Answers a push `413` when this says its request is too large, as a server with a
    /// body limit does.
    var tooLarge: (@Sendable (PushRequest) -> Bool)?
    /// The op ids of every push answered `413`.
    private(set) var refusedAsTooLarge: [[String]] = []
    /// Rejects an op when this returns a code and reason.
    var rejection: (@Sendable (PushOperation) -> (code: String, reason: String)?)?

    init(model: SyncModel) {
        self.model = model
    }

    private func nextVersion() -> Int64 {
        version += 1
        return version
    }

    /// A write made on the server by someone else.
    @discardableResult
    func write(_ entity: String, _ row: [String: JSONValue]) -> Int64 {
        let key = row["id"]!.jsonText
        let version = nextVersion()
        var stored = row
        stored["updatedAt"] = .string("2024-05-01T10:00:00.000Z")
        tables[entity, default: [:]][key] = StoredRow(row: stored, version: version)
        log.append(LogEntry(sequence: log.count + 1, entity: entity, key: key, row: stored, version: version))
        return version
    }

    func delete(_ entity: String, key: JSONValue) {
        tables[entity]?[key.jsonText] = nil
        log.append(LogEntry(sequence: log.count + 1, entity: entity, key: key.jsonText, row: nil, version: nextVersion()))
    }

    func row(_ entity: String, _ key: UUID) -> StoredRow? {
        tables[entity]?[JSONValue.string(key.uuidString.lowercased()).jsonText]
    }

    func rowCount(_ entity: String) -> Int { tables[entity]?.count ?? 0 }

    func configure(_ body: @Sendable (isolated TestServer) -> Void) { body(self) }

    // MARK: - SyncTransport

    func push(_ request: PushRequest) async throws -> PushResponse {
        if !pushFailures.isEmpty { throw pushFailures.removeFirst() }
        guard request.schemaHash == model.schemaHash else { throw SyncTransportError.schemaMismatch("unknown schema hash") }
        if tooLarge?(request) == true {
            refusedAsTooLarge.append(request.ops.map(\.opId))
            throw SyncTransportError.response(status: 413, serverCode: "body_too_large", message: "the body is too large", requestID: nil)
        }
        pushedBatches.append(request.ops.map(\.opId))
        let response = PushResponse(results: request.ops.map { apply($0) })
        if losePushResponses > 0 {
            losePushResponses -= 1
            throw SyncTransportError.network("the connection was lost")
        }
        return response
    }

    private func apply(_ op: PushOperation) -> PushResult {
        if let previous = results[op.opId] { return previous }
        let result = evaluate(op)
        results[op.opId] = result
        return result
    }

    private func evaluate(_ op: PushOperation) -> PushResult {
        if let (code, reason) = rejection?(op) {
            // As the reference server: a refused update or delete of a row the caller may
            // see carries the row.
            let visible = op.kind != .insert && code != "outside_subset" && code != "not_found"
            let current = visible ? tables[op.entity]?[op.key.jsonText] : nil
            return PushResult(opId: op.opId, status: .rejected, version: current?.version, row: current?.row, reason: reason, code: code)
        }
        let key = op.key.jsonText
        let current = tables[op.entity]?[key]
        switch op.kind {
        case .insert:
            if let current {
                return PushResult(opId: op.opId, status: .conflict, version: current.version, row: current.row)
            }
            return PushResult(opId: op.opId, status: .applied, version: write(op.entity, op.values ?? [:]))
        case .update:
            guard let current else { return PushResult(opId: op.opId, status: .conflict) }
            guard current.version == op.baseVersion else {
                return PushResult(opId: op.opId, status: .conflict, version: current.version, row: current.row)
            }
            var row = current.row
            for (name, value) in op.values ?? [:] { row[name] = value }
            return PushResult(opId: op.opId, status: .applied, version: write(op.entity, row))
        case .delete:
            guard let current else { return PushResult(opId: op.opId, status: .applied) }
            guard current.version == op.baseVersion else {
                return PushResult(opId: op.opId, status: .conflict, version: current.version, row: current.row)
            }
            delete(op.entity, key: op.key)
            return PushResult(opId: op.opId, status: .applied, version: version)
        }
    }

    func releasePulls() {
        holdPulls = false
        for waiter in heldPulls { waiter.resume() }
        heldPulls = []
    }

    var waitingPulls: Int { heldPulls.count }

    func pull(_ request: PullRequest) async throws -> PullResponse {
        if holdPulls { await withCheckedContinuation { heldPulls.append($0) } }
        if !pullFailures.isEmpty { throw pullFailures.removeFirst() }
        pullRequests.append(request)
        if let limit = failPullsAfterPages {
            guard limit > 0 else { throw SyncTransportError.network("the connection dropped") }
            failPullsAfterPages = limit - 1
        }
        guard let (unit, cursor) = request.units.first else { return PullResponse(changes: [], units: [:], more: false) }
        let entities = Set(model.entities.filter { $0.unit == unit }.map(\.name))
        if cursor == nil, snapshotInitialPulls {
            let changes = model.entities.filter { entities.contains($0.name) }.flatMap { entity in
                (tables[entity.name] ?? [:]).sorted { $0.key < $1.key }.map { key, stored in
                    PullChange(entity: entity.name, op: .put, key: (try? JSONValue(jsonText: key)) ?? .null,
                               row: stored.row, version: stored.version)
                }
            }
            return PullResponse(changes: changes, units: [unit: String(log.count)], more: false)
        }
        let start = cursor.flatMap { Int($0) } ?? 0
        let remaining = log.filter { $0.sequence > start && entities.contains($0.entity) }
        let page = remaining.prefix(request.limit)
        let changes = page.map { entry in
            PullChange(entity: entry.entity, op: entry.row == nil ? .remove : .put,
                       key: (try? JSONValue(jsonText: entry.key)) ?? .null, row: entry.row, version: entry.version)
        }
        let next = page.last.map { String($0.sequence) } ?? String(start)
        return PullResponse(changes: changes, units: [unit: next], more: remaining.count > page.count,
                            estimate: remaining.count - page.count)
    }

    func schema() async throws -> SchemaResponse {
        schemaRequests += 1
        return SchemaResponse(hash: servedHashes.first ?? model.schemaHash, subsets: [model.subset],
                              served: servedHashes.isEmpty ? nil : servedHashes, upcoming: upcomingHashes)
    }
}

/// A task row as the server sends it.
func taskRow(_ id: UUID, title: String, done: Bool = false, priority: Int = 1, projectName: String? = nil) -> [String: JSONValue] {
    [
        "id": .string(id.uuidString.lowercased()), "title": .string(title), "done": .bool(done),
        "priority": .integer(Int64(priority)), "dueOn": .null, "projectId": .null,
        "projectName": projectName.map { .string($0) } ?? .null,
    ]
}
