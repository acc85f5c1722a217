import Foundation
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// Another system writes a uuid in upper case, a timestamp with an offset: the server
/// stores, compares and answers the canonical form, so devices can write those rows.
@Suite("Canonical keys: values another system wrote in another form sync as canonical text")
struct CanonicalKeyTests {
    static let upperAnn = FieldService.ann.uppercased()
    static let order = "EEEEEEEE-0000-4000-8000-0000000000AA"
    static let line = "FFFFFFFF-0000-4000-8000-0000000000AA"

    /// Seeds the usual rows, then one order and line written with upper-case keys and
    /// references, as another system might.
    static func seedUpperCase(_ database: any ServerDatabase) async throws {
        try await FieldService.seed(database)
        try await FieldService.sql(database, """
            INSERT INTO work_orders (id, number, customer_id, assignee_id, status, scheduled_for)
            VALUES ('\(order)', 500, '\(FieldService.id("c", 1).uppercased())', '\(upperAnn)', 'open', '2026-03-04')
            """)
        try await FieldService.sql(database, """
            INSERT INTO work_order_lines (id, work_order_id, product_id, quantity)
            VALUES ('\(line)', '\(order)', '\(FieldService.id("d", 1).uppercased())', 3)
            """)
    }

    @Test(arguments: DatabaseKind.underTest)
    func upperCaseRowsReachTheirOwnerInLowerCaseAndTakeWrites(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await Self.seedUpperCase(service.database)

        let pulled = try await service.pullAll("jobs", claims: FieldService.annClaims).changes
        let order = try #require(pulled.first { $0.entity == "WorkOrder" && $0.key.stringValue == Self.order.lowercased() })
        #expect(order.row?["assigneeId"] == .string(FieldService.ann))
        #expect(order.row?["customerId"] == .string(FieldService.id("c", 1)))
        #expect(order.row?["customerName"] == .string("Acme"), "the include joins through the canonical reference")
        let line = try #require(pulled.first { $0.entity == "WorkOrderLine" && $0.key.stringValue == Self.line.lowercased() })
        #expect(line.row?["workOrderId"] == .string(Self.order.lowercased()))
        #expect(line.row?["productName"] == .string("Bolt"))
        #expect(pulled.allSatisfy { ($0.key.stringValue ?? "") == ($0.key.stringValue ?? "").lowercased() })
        // Bob's device sees none of it.
        let bobs = try await service.pullAll("jobs", claims: FieldService.bobClaims).changes
        #expect(!bobs.contains { $0.key.stringValue == Self.order.lowercased() })

        // The device writes the keys as it received them: the server finds the rows.
        let results = try await service.push([
            SyncServicePushTests.op(.update, "WorkOrder", Self.order.lowercased(), base: order.version, ["notes": .string("ring twice")]),
            SyncServicePushTests.op(.update, "WorkOrderLine", Self.line.lowercased(), base: line.version, ["quantity": .integer(4)]),
        ], claims: FieldService.annClaims)
        #expect(results.map(\.status) == [.applied, .applied], "\(results.map { $0.code ?? "" })")
    }

    @Test(arguments: DatabaseKind.underTest)
    func aDeviceMayWriteAKeyInUpperCaseToo(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await Self.seedUpperCase(service.database)
        let version = try await service.pullAll("jobs", claims: FieldService.annClaims).changes
            .first { $0.key.stringValue == Self.order.lowercased() }?.version
        let results = try await service.push([
            SyncServicePushTests.op(.update, "WorkOrder", Self.order, base: version, ["notes": .string("upper")]),
        ], claims: FieldService.annClaims)
        #expect(results.first?.status == .applied, "\(results.first?.code ?? "")")
    }

    @Test(arguments: DatabaseKind.underTest)
    func storedValuesAreCanonicalAndUnreadableOnesAreRefused(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await Self.seedUpperCase(service.database)
        let database = service.database
        let read = database.dialect.read("id", .uuid)
        let stored = try await database.read("SELECT \(read), \(database.dialect.read("assignee_id", .uuid)) FROM work_orders WHERE number = 500", [])
        #expect(stored.first?.map { $0.text } == [Self.order.lowercased(), FieldService.ann])

        await #expect(throws: (any Error).self) {
            try await FieldService.sql(database, "UPDATE work_orders SET assignee_id = 'not-a-uuid' WHERE number = 500")
        }
        let after = try await database.read("SELECT \(database.dialect.read("assignee_id", .uuid)) FROM work_orders WHERE number = 500", [])
        #expect(after.first?.first?.text == FieldService.ann, "a refused write changes nothing")
    }

    /// A date written with a time, on SQLite, is kept as its day; text that isn't a date
    /// is refused on both databases.
    @Test(arguments: DatabaseKind.underTest)
    func datesAreCanonicalOrRefused(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await Self.seedUpperCase(service.database)
        let database = service.database
        if kind == .sqlite {
            try await FieldService.sql(database, "UPDATE work_orders SET scheduled_for = '2026-05-06 10:30:00' WHERE number = 500")
            let stored = try await database.read("SELECT scheduled_for FROM work_orders WHERE number = 500", [])
            #expect(stored.first?.first?.text == "2026-05-06")
        }
        await #expect(throws: (any Error).self) {
            try await FieldService.sql(database, "UPDATE work_orders SET scheduled_for = 'next tuesday' WHERE number = 500")
        }
        let pulled = try await service.pullAll("jobs", claims: FieldService.annClaims).changes
        let order = pulled.first { $0.key.stringValue == Self.order.lowercased() }
        #expect(order?.row?["scheduledFor"] == .string(kind == .sqlite ? "2026-05-06" : "2026-03-04"))
    }

    @Test func aCaseOnlyRewriteIsNotANewVersion() async throws {
        let service = try await FieldService.service(.sqlite)
        try await Self.seedUpperCase(service.database)
        let before = try await service.pullAll("jobs", claims: FieldService.annClaims)
        try await FieldService.sql(service.database, "UPDATE work_orders SET assignee_id = upper(assignee_id) WHERE number = 500")
        let after = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: before.cursor)
        #expect(after.changes.isEmpty)
        let stored = try await service.database.read("SELECT assignee_id FROM work_orders WHERE number = 500", [])
        #expect(stored.first?.first?.text == FieldService.ann)
    }

    /// A database filled before the server canonicalized values: the next start brings
    /// them to canonical form and devices receive the rows again under canonical keys.
    @Test func aStartCanonicalizesRowsWrittenBefore() async throws {
        let service = try await FieldService.service(.sqlite)
        try await FieldService.seed(service.database)
        let before = try await service.pullAll("jobs", claims: FieldService.annClaims)
        // As an older server left it: no canonicalizing triggers and no record of them,
        // an upper-case key logged.
        for suffix in ["insert", "canonical_insert"] {
            try await FieldService.sql(service.database, "DROP TRIGGER syncwright_work_orders_\(suffix)")
        }
        try await FieldService.sql(service.database, "DELETE FROM syncwright_state WHERE name = 'canonical_columns'")
        try await FieldService.sql(service.database, """
            INSERT INTO work_orders (id, number, customer_id, assignee_id, status, version)
            VALUES ('\(Self.order)', 500, '\(FieldService.id("c", 1))', '\(FieldService.ann)', 'open', 99)
            """)
        try await FieldService.sql(service.database, """
            INSERT INTO syncwright_log (bucket, entity, key, removed, changed_at)
            SELECT bucket, entity, '\(Self.order)', 0, changed_at FROM syncwright_log WHERE key = '\(FieldService.id("e", 1))'
            """)
        let stale = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: before.cursor)
        #expect(stale.changes.keys("WorkOrder", .put) == [Self.order], "the old behaviour this start repairs")

        let restarted = SyncService(schema: FieldService.schema, database: service.database, logger: TestDatabases.logger)
        try await restarted.prepare()
        let repaired = try await restarted.pullAll("jobs", claims: FieldService.annClaims, cursor: stale.cursor)
        #expect(repaired.changes.keys("WorkOrder", .remove) == [Self.order])
        #expect(repaired.changes.keys("WorkOrder", .put) == [Self.order.lowercased()])
    }

    /// Once the triggers keep the columns canonical, a start records them and later
    /// starts don't scan their rows again (a 1,000,000-row table would cost every start).
    @Test func laterStartsDontScanColumnsTheTriggersKeepCanonical() async throws {
        let service = try await FieldService.service(.sqlite)
        let recorded = try await service.database.read("SELECT value FROM syncwright_state WHERE name = 'canonical_columns'", [])
        let columns = Set((recorded.first?.first?.text ?? "").split(separator: "\n").map(String.init))
        #expect(columns.isSuperset(of: ["work_orders.id:uuid", "work_orders.assignee_id:uuid", "work_orders.scheduled_for:date"]))
        #expect(!columns.contains { $0.hasPrefix("work_orders.notes:") }, "text of no canonical form isn't listed")

        // A value smuggled past the triggers stays as it is: the start trusts the record.
        try await FieldService.seed(service.database)
        try await FieldService.sql(service.database, "DROP TRIGGER syncwright_work_orders_canonical_update")
        try await FieldService.sql(service.database, "UPDATE work_orders SET scheduled_for = '2026-03-04 10:00:00' WHERE number = 100")
        let restarted = SyncService(schema: FieldService.schema, database: service.database, logger: TestDatabases.logger)
        try await restarted.prepare()
        let stored = try await service.database.read("SELECT scheduled_for FROM work_orders WHERE number = 100", [])
        #expect(stored.first?.first?.text == "2026-03-04 10:00:00")
        // Without the record, the start scans and repairs it.
        try await FieldService.sql(service.database, "DELETE FROM syncwright_state WHERE name = 'canonical_columns'")
        try await SyncService(schema: FieldService.schema, database: service.database, logger: TestDatabases.logger).prepare()
        let repaired = try await service.database.read("SELECT scheduled_for FROM work_orders WHERE number = 100", [])
        #expect(repaired.first?.first?.text == "2026-03-04")
    }
}
