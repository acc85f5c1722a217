import Foundation
import GRDB
import Testing
@testable import Syncwright

@Suite("Wire values")
struct WireValueTests {
    @Test("JSON values keep 64-bit integers exact and round-trip")
    func jsonRoundTrip() throws {
        let text = #"{"big":9007199254740993,"list":[1,2.5,"x",true,null],"nested":{"a":false}}"#
        let value = try JSONValue(jsonText: text)
        guard case .object(let object) = value else {
            Issue.record("expected an object")
            return
        }
        #expect(object["big"] == .integer(9_007_199_254_740_993))
        #expect(object["list"] == .array([.integer(1), .number(2.5), .string("x"), .bool(true), .null]))
        #expect(value.jsonText == text)
        #expect(try JSONValue(jsonText: value.jsonText) == value)
    }

    static let conversions: [(ColumnType, JSONValue, DatabaseValue)] = [
        (ColumnType.string, JSONValue.string("Zoë"), "Zoë".databaseValue),
        (.int, .integer(-42), (-42 as Int64).databaseValue),
        (.double, .number(2.5), 2.5.databaseValue),
        (.decimal, .string("12345678901234567890.0001"), "12345678901234567890.0001".databaseValue),
        (.bool, .bool(true), true.databaseValue),
        (.uuid, .string("8c3d0f52-5b1e-4a8e-9d55-4f1ab8f0d7e2"), UUID(uuidString: "8c3d0f52-5b1e-4a8e-9d55-4f1ab8f0d7e2")!.databaseValue),
        (.date, .string("2024-02-29"), "2024-02-29".databaseValue),
        (.timestamp, .string("2024-01-31T09:30:00.125Z"), "2024-01-31 09:30:00.125".databaseValue),
        (.blob, .string("AAEC/w=="), Data([0, 1, 2, 255]).databaseValue),
        (.json, .object(["a": .array([.integer(1)])]), #"{"a":[1]}"#.databaseValue),
        (.string, .null, DatabaseValue.null),
    ]

    @Test("wire values convert to stored values and back", arguments: conversions)
    func roundTrip(type: ColumnType, wire: JSONValue, stored: DatabaseValue) throws {
        #expect(try type.databaseValue(fromWire: wire) == stored)
        #expect(type.wireValue(fromDatabase: stored) == wire)
    }

    @Test("UUIDs are stored as GRDB stores them, so queries by UUID find them")
    func uuidStorage() throws {
        let stored = try ColumnType.uuid.databaseValue(fromWire: .string("8C3D0F52-5B1E-4A8E-9D55-4F1AB8F0D7E2"))
        let uuid = UUID(uuidString: "8c3d0f52-5b1e-4a8e-9d55-4f1ab8f0d7e2")!
        #expect(stored == uuid.databaseValue)
        #expect(ColumnType.uuid.wireValue(fromDatabase: stored) == .string("8c3d0f52-5b1e-4a8e-9d55-4f1ab8f0d7e2"))
        let temporary = try TemporaryStore()
        try temporary.store.applyPulledPage(PullResponse(changes: [
            PullChange(entity: "TaskItem", op: .put, key: .string(uuid.uuidString), row: taskRow(uuid, title: "Found"), version: 1),
        ], units: [:], more: false), unit: "work")
        #expect(try temporary.store.read { try TaskItem.fetchOne($0, key: uuid) }?.title == "Found")
    }

    @Test("timestamps with an offset or without milliseconds are normalized to UTC", arguments: [
        ("2024-01-31T11:30:00.5+02:00", "2024-01-31 09:30:00.500"),
        ("2024-01-31T09:30:00Z", "2024-01-31 09:30:00.000"),
        ("2024-01-31T09:30:00.1234Z", "2024-01-31 09:30:00.123"),
    ])
    func timestamps(wire: String, stored: String) throws {
        #expect(try ColumnType.timestamp.databaseValue(fromWire: .string(wire)) == stored.databaseValue)
    }

    @Test("values that don't fit their type are refused", arguments: [
        (ColumnType.int, JSONValue.string("3")), (.int, .number(2.5)), (.bool, .integer(1)),
        (.uuid, .string("not-a-uuid")), (.date, .string("31/01/2024")), (.timestamp, .string("yesterday")),
        (.decimal, .string("1e5")), (.blob, .string("***")), (.string, .integer(3)),
    ])
    func invalid(type: ColumnType, wire: JSONValue) {
        #expect(throws: SyncValueError.self) { try type.databaseValue(fromWire: wire) }
    }

    /// Defence in depth: a server that let another system write a value of the wrong
    /// type doesn't stop the device. The row is set aside, located and explained; the
    /// rest of the page and its cursor apply; a later version that fits takes it back.
    @Test("a pulled row that doesn't fit the model is set aside; the rest of the page applies")
    func badRowIsSetAside() throws {
        let temporary = try TemporaryStore()
        let goodID = UUID(), badID = UUID()
        var bad = taskRow(badID, title: "Bad")
        bad["priority"] = .string("high")
        let page = PullResponse(changes: [
            PullChange(entity: "TaskItem", op: .put, key: .string(goodID.uuidString.lowercased()), row: taskRow(goodID, title: "Good"), version: 1),
            PullChange(entity: "TaskItem", op: .put, key: bad["id"]!, row: bad, version: 2),
        ], units: ["work": "2"], more: false, requestID: "req-7")
        #expect(try temporary.store.applyPulledPage(page, unit: "work") == 1)
        #expect(try temporary.store.tasks().map(\.title) == ["Good"])
        #expect(try temporary.store.cursor(forUnit: "work") == "2")
        let aside = try #require(try temporary.store.setAsideRows().first)
        #expect(try temporary.store.setAsideRows().count == 1)
        #expect(aside.row.entity == "TaskItem")
        #expect(aside.row.key.wireValue == bad["id"]!)
        #expect(aside.version == 2)
        #expect(aside.requestID == "req-7")
        #expect(aside.problem.contains("priority") || aside.problem.contains("high"), "\(aside.problem)")
        let explanation = try temporary.store.explain(entity: "TaskItem", key: badID.databaseValue)
        #expect(explanation.verdict.hasPrefix("set aside"), "\(explanation.verdict)")
        #expect(explanation.description.contains("req-7"))

        // The server repairs the row: the next version fits and takes it back.
        let repaired = PullResponse(changes: [PullChange(entity: "TaskItem", op: .put, key: bad["id"]!, row: taskRow(badID, title: "Bad"),
                                                         version: 3)], units: ["work": "3"], more: false)
        try temporary.store.applyPulledPage(repaired, unit: "work")
        #expect(try temporary.store.setAsideRows().isEmpty)
        #expect(try temporary.store.tasks().map(\.title) == ["Bad", "Good"])

        // An unknown entity is not a row problem: the page isn't applied at all.
        let unknown = PullResponse(changes: [PullChange(entity: "Nope", op: .remove, key: .integer(1))], units: ["work": "4"], more: false)
        #expect(throws: SyncStoreError.self) { try temporary.store.applyPulledPage(unknown, unit: "work") }
        #expect(try temporary.store.cursor(forUnit: "work") == "3")
    }

    @Test("a push operation encodes as the protocol describes")
    func pushEncoding() throws {
        let operation = PushOperation(opId: "op-1", entity: "TaskItem", kind: .update, key: .string("k"), baseVersion: 3,
                                      values: ["title": .string("T")])
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let text = String(decoding: try encoder.encode(operation), as: UTF8.self)
        #expect(text == #"{"baseVersion":3,"entity":"TaskItem","key":"k","kind":"update","opId":"op-1","values":{"title":"T"}}"#)
        let request = PullRequest(subset: "s", schemaHash: "h", units: ["a": nil, "b": "7"], limit: 10)
        let decoded = try JSONDecoder().decode(PullRequest.self, from: try encoder.encode(request))
        #expect(decoded == request)
        #expect(String(decoding: try encoder.encode(request), as: UTF8.self).contains(#""a":null"#))
    }

    @Test("the local entity reads back what the server sent, include and all")
    func entityDecoding() throws {
        let temporary = try TemporaryStore()
        let id = UUID()
        var row = taskRow(id, title: "Decoded", done: true, priority: 3, projectName: "Boilers")
        row["dueOn"] = .string("2024-03-01")
        try temporary.store.applyPulledPage(PullResponse(changes: [
            PullChange(entity: "TaskItem", op: .put, key: row["id"]!, row: row, version: 4),
        ], units: ["work": "1"], more: false), unit: "work")
        let task = try #require(try temporary.store.tasks().first)
        #expect(task == TaskItem(id: id, title: "Decoded", done: true, priority: 3, dueOn: "2024-03-01", projectName: "Boilers"))
        #expect(task.dueOn == SyncDate(year: 2024, month: 3, day: 1))
        #expect(wireDate(task) == .string("2024-03-01"))
        let wire = try TaskItemSync.wireValues(from: task)
        #expect(wire["id"] == row["id"])
        #expect(wire["projectName"] == nil)
        #expect(try TaskItemSync.databaseValues(fromServerRow: row).count == TaskItemSync.descriptor.columns.count)
    }

    @Test("gzip round-trips and detects corruption")
    func gzip() throws {
        let data = Data(String(repeating: "syncwright ", count: 10_000).utf8)
        let compressed = try Gzip.compress(data)
        #expect(Gzip.isCompressed(compressed))
        #expect(compressed.count < data.count / 20)
        #expect(try Gzip.decompress(compressed) == data)
        #expect(throws: (any Error).self) { try Gzip.decompress(compressed.prefix(compressed.count / 2)) }
    }

    @Test("units follow priority, then order; a unit takes its lowest priority")
    func units() {
        let units = TestModel.model().units
        #expect(units.map(\.name) == ["work", "comments"])
        #expect(units.first?.priority == 0)
        #expect(units.first?.entityNames == ["Project", "TaskItem"])
    }

    @Test("the retry delay doubles up to its cap, with jitter")
    func retryDelay() {
        let policy = RetryPolicy(initialDelay: .seconds(1), maximumDelay: .seconds(8))
        for attempt in 1...6 {
            let delay = policy.delay(afterAttempt: attempt)
            let full = min(Duration.seconds(1 << (attempt - 1)), .seconds(8))
            #expect(delay >= full / 2 && delay <= full)
        }
    }
}

/// A task's `dueOn` as a push sends it.
private func wireDate(_ task: TaskItem) -> JSONValue? {
    (try? TaskItemSync.wireValues(from: task))?["dueOn"]
}

@Suite("SyncDate: the schema's date as a value")
struct SyncDateTests {
    @Test("reads, writes, orders and refuses as the protocol says")
    func rules() throws {
        let text = "2026-03-04", february30 = "2026-02-30"
        let day = try #require(SyncDate(text))
        let literal: SyncDate = "2026-03-04"
        #expect(literal == day)
        #expect(day.year == 2026 && day.month == 3 && day.day == 4)
        #expect(day.description == "2026-03-04")
        #expect(SyncDate(year: 12, month: 1, day: 2)?.description == "0012-01-02")
        #expect(day < SyncDate(year: 2026, month: 11, day: 1)!)
        #expect(SyncDate(year: 2026, month: 3, day: 5)! > day)
        for bad in ["2026-3-04", "2026-13-01", "2026-00-10", "2026-01-32", "20260304", "2026-03-04T00:00:00Z", ""] {
            #expect(SyncDate(bad) == nil, "\(bad)")
        }
        #expect(SyncDate(february30)?.isValidCalendarDay == false)
        #expect(day.isValidCalendarDay)
        #expect(try JSONDecoder().decode([SyncDate].self, from: Data(#"["2026-03-04"]"#.utf8)) == [day])
        #expect(String(decoding: try JSONEncoder().encode([day]), as: UTF8.self) == #"["2026-03-04"]"#)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode([SyncDate].self, from: Data(#"["tomorrow"]"#.utf8)) }
        #expect(SyncDate.fromDatabaseValue("2026-03-04".databaseValue) == day)
        #expect(day.databaseValue == "2026-03-04".databaseValue)
    }
}
