import Foundation
import GRDB
import Testing
@testable import Syncwright

/// The store's outbox against a model of it: random local inserts, updates and deletes
/// of a few rows, pushes that take the next batch, and answers that apply it, from a
/// seed. After every step the outbox must be what the model says: coalescing as the
/// table in `SyncTransaction` states, at most one unsent entry per row, and never two
/// entries of one row in a batch.
///
/// CI runs a fixed set of seeds; `SYNCWRIGHT_PROPERTY_SEEDS=N` runs N seeds from a
/// random start (the long run; a failure names its seed).
@Suite("Outbox against its model")
struct OutboxPropertyTests {
    static var seeds: [UInt64] { SeededGenerator.seeds(default: 1...40) }

    /// One outbox entry as the model keeps it.
    struct Entry: Equatable, CustomStringConvertible {
        var row: Int
        var kind: OperationKind
        var columns: [String]
        var sent: Bool
        var description: String { "row\(row) \(kind.rawValue) [\(columns.joined(separator: ","))]\(sent ? " sent" : "")" }
    }

    static let writableOrder = ["id", "title", "done", "priority", "dueOn", "projectId"]
    static let editable = ["title", "done", "priority"]

    @Test("the outbox coalesces and batches as its model does", arguments: seeds)
    func outboxFollowsModel(seed: UInt64) throws {
        var random = SeededGenerator(seed: seed)
        let temporary = try TemporaryStore()
        let store = temporary.store
        let ids = (0..<4).map { _ in UUID() }
        var exists = [Bool](repeating: false, count: ids.count)
        var model: [Entry] = []
        var inFlight: [PushOperation] = []
        var trace: [String] = []
        var counter = 0

        for _ in 0..<60 {
            let row = Int.random(in: 0..<ids.count, using: &random)
            let id = ids[row].databaseValue
            switch Int.random(in: 0..<10, using: &random) {
            case 0...5:
                counter += 1
                if !exists[row] {
                    trace.append("insert row\(row)")
                    try store.write { try $0.apply(LocalChange(entity: "TaskItem", kind: .insert, values: [
                        "id": id, "title": "t\(counter)".databaseValue, "done": false.databaseValue, "priority": 1.databaseValue,
                    ])) }
                    exists[row] = true
                    Self.record(&model, row: row, kind: .insert, columns: Self.writableOrder)
                } else {
                    let columns = Self.editable.filter { _ in Bool.random(using: &random) }
                    let changed = columns.isEmpty ? ["title"] : columns
                    trace.append("update row\(row) \(changed)")
                    var values: [String: DatabaseValue] = ["id": id]
                    for column in changed {
                        switch column {
                        case "title": values[column] = "t\(counter)".databaseValue
                        case "done": values[column] = try store.read { db in
                            try Bool.fetchOne(db, sql: "SELECT NOT done FROM task_item WHERE id = ?", arguments: [id]) }?.databaseValue
                        default: values[column] = (counter + 10).databaseValue
                        }
                    }
                    try store.write { try $0.apply(LocalChange(entity: "TaskItem", kind: .update, values: values)) }
                    Self.record(&model, row: row, kind: .update, columns: changed)
                }
            case 6, 7:
                guard exists[row] else { continue }
                trace.append("delete row\(row)")
                try store.write { try $0.apply(LocalChange(entity: "TaskItem", kind: .delete, values: ["id": id])) }
                exists[row] = false
                Self.record(&model, row: row, kind: .delete, columns: [])
            case 8:
                // The next batch goes out (its answer may come later, or never).
                let batch = try store.nextPushBatch(limit: 3)
                trace.append("push \(batch.count)")
                let rows = batch.map { op in ids.firstIndex { $0.uuidString.lowercased() == op.key.stringValue } ?? -1 }
                #expect(Set(rows).count == rows.count, "seed \(seed): two entries of one row in a batch\n\(trace.joined(separator: "\n"))")
                // The model's batch: the oldest entries, stopping at a row's second one.
                var expected: [Int] = []
                for entry in model where expected.count < 3 {
                    if expected.contains(entry.row) { break }
                    expected.append(entry.row)
                }
                #expect(rows == expected, "seed \(seed): batch\n\(trace.joined(separator: "\n"))")
                for index in model.indices.prefix(batch.count) { model[index].sent = true }
                inFlight = batch
            default:
                // The batch in flight is answered: every op applied.
                guard !inFlight.isEmpty else { continue }
                trace.append("answer \(inFlight.count)")
                counter += 1
                let response = PushResponse(results: inFlight.map {
                    PushResult(opId: $0.opId, status: .applied, version: $0.kind == .delete ? nil : Int64(counter))
                })
                _ = try store.applyPushResults(response, for: inFlight)
                model.removeFirst(inFlight.count)
                inFlight = []
            }
            let actual = try store.pendingChanges().map { change in
                Entry(row: ids.firstIndex { $0.uuidString.lowercased() == change.key.stringValue } ?? -1,
                      kind: change.kind, columns: change.changedColumns, sent: false)
            }
            let expected = model.map { Entry(row: $0.row, kind: $0.kind, columns: $0.columns, sent: false) }
            guard actual == expected else {
                Issue.record("""
                    seed \(seed): the outbox differs from its model after:
                    \(trace.joined(separator: "\n"))
                    outbox: \(actual)
                    model:  \(expected)
                    """)
                return
            }
            let unsent = Dictionary(grouping: model.filter { !$0.sent }, by: \.row)
            #expect(unsent.values.allSatisfy { $0.count == 1 }, "seed \(seed): two unsent entries of one row")
        }
    }

    /// The coalescing table of `SyncTransaction`, on the model.
    static func record(_ model: inout [Entry], row: Int, kind: OperationKind, columns: [String]) {
        guard let index = model.lastIndex(where: { $0.row == row && !$0.sent }) else {
            model.append(Entry(row: row, kind: kind, columns: columns, sent: false))
            return
        }
        switch (model[index].kind, kind) {
        case (.insert, .update):
            break
        case (.insert, .delete):
            model.remove(at: index)
        case (.update, .update):
            let union = Set(model[index].columns).union(columns)
            model[index].columns = writableOrder.filter(union.contains)
        case (.update, .delete):
            model[index].kind = .delete
            model[index].columns = []
        case (.delete, .insert):
            model[index].kind = .update
            model[index].columns = writableOrder
        default:
            model.append(Entry(row: row, kind: kind, columns: columns, sent: false))
        }
    }
}

/// SplitMix64: the same sequence for the same seed on every platform.
struct SeededGenerator: RandomNumberGenerator {
    /// The seeds of a property test: `fixed` in CI; with `SYNCWRIGHT_PROPERTY_SEEDS=N`,
    /// N seeds from a random start (the long run; a failure names its seed).
    static func seeds(default fixed: ClosedRange<UInt64>) -> [UInt64] {
        guard let count = ProcessInfo.processInfo.environment["SYNCWRIGHT_PROPERTY_SEEDS"].flatMap(Int.init) else {
            return Array(fixed)
        }
        let start = UInt64.random(in: 0..<UInt64.max / 2)
        return (0..<UInt64(count)).map { start + $0 }
    }

    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
