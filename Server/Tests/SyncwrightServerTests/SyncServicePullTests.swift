import Foundation
import Syncwright
@testable import SyncwrightServer
import ServiceLifecycle
import Testing

@Suite("Pull: only the caller's rows, removals and refreshed includes")
struct SyncServicePullTests {
    @Test(arguments: DatabaseKind.underTest)
    func pullReturnsOnlyTheCallersRowsWithIncludes(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)

        let jobs = try await service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(jobs.changes.keys("WorkOrder", .put) == [FieldService.id("e", 1)])
        #expect(jobs.changes.keys("WorkOrderLine", .put) == [FieldService.id("f", 1)])
        #expect(jobs.changes.allSatisfy { $0.op == .put })
        let order = try #require(jobs.changes.first { $0.entity == "WorkOrder" })
        #expect(order.row?["customerName"] == .string("Acme"))
        #expect(order.row?["number"] == .integer(100))
        #expect(order.row?["status"] == .string("open"))
        #expect(order.row?["updatedAt"]?.stringValue?.hasSuffix("Z") == true)
        #expect(order.version != nil)
        let line = try #require(jobs.changes.first { $0.entity == "WorkOrderLine" })
        #expect(line.row?["productName"] == .string("Bolt"))

        // Columns outside the subset never leave the server.
        try await FieldService.sql(service.database, "UPDATE customers SET internal_notes = 'owes money'")
        let customers = try await service.pullAll("Customer", claims: FieldService.annClaims)
        #expect(customers.changes.keys("Customer", .put) == [FieldService.id("c", 1)])
        #expect(customers.changes.first?.row?["internalNotes"] == nil)
        #expect(Set(customers.changes.first?.row?.keys.map { $0 } ?? []) == ["id", "name", "phone", "region", "updatedAt"])

        let catalog = try await service.pullAll("catalog", claims: FieldService.bobClaims)
        #expect(catalog.changes.first?.row?["unitPrice"] == .string("1.50"))
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRowThatLeavesDuringADownloadFromScratchArrivesAsARemove(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        // The first page of Ann's download delivers her order; it is handed to Bob
        // before the download ends.
        let first = try await service.pull(PullRequest(subset: "technician", schemaHash: service.schema.schemaHash,
                                                       units: ["jobs": nil], limit: 1), claims: FieldService.annClaims)
        #expect(first.changes.keys("WorkOrder", .put) == [FieldService.id("e", 1)])
        #expect(first.more)
        try await FieldService.sql(service.database,
            "UPDATE work_orders SET assignee_id = '\(FieldService.bob)' WHERE id = '\(FieldService.id("e", 1))'")

        let rest = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: first.units["jobs"], limit: 1)

        // Applied in order, the download leaves Ann with nothing of the unit.
        var held = Set(first.changes.map { RowKey($0) })
        for change in rest.changes {
            if change.op == .put { held.insert(RowKey(change)) } else { held.remove(RowKey(change)) }
        }
        #expect(held.isEmpty)
        #expect(rest.changes.keys("WorkOrder", .remove) == [FieldService.id("e", 1)])
        #expect(rest.changes.keys("WorkOrder", .put).isEmpty)
        // And a download that starts now sends nothing of it.
        #expect(try await service.pullAll("jobs", claims: FieldService.annClaims).changes.isEmpty)
    }

    /// An entity and key, to replay pulled changes.
    private struct RowKey: Hashable {
        var entity: String
        var key: String
        init(_ change: PullChange) {
            entity = change.entity
            key = change.key.jsonText
        }
    }

    @Test(arguments: DatabaseKind.underTest)
    func reassignedOrderLeavesOneDeviceAndReachesTheOther(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let ann = try await service.pullAll("jobs", claims: FieldService.annClaims)
        let bob = try await service.pullAll("jobs", claims: FieldService.bobClaims)

        try await FieldService.sql(service.database,
            "UPDATE work_orders SET assignee_id = '\(FieldService.bob)' WHERE id = '\(FieldService.id("e", 1))'")

        let annAfter = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: ann.cursor)
        #expect(annAfter.changes.keys("WorkOrder", .remove) == [FieldService.id("e", 1)])
        // The line follows its order: its filter reads workOrder.assigneeId.
        #expect(annAfter.changes.keys("WorkOrderLine", .remove) == [FieldService.id("f", 1)])
        #expect(annAfter.changes.allSatisfy { $0.op == .remove })

        let bobAfter = try await service.pullAll("jobs", claims: FieldService.bobClaims, cursor: bob.cursor)
        #expect(bobAfter.changes.keys("WorkOrder", .put) == [FieldService.id("e", 1)])
        #expect(bobAfter.changes.keys("WorkOrderLine", .put) == [FieldService.id("f", 1)])

        // Nothing changed since: an empty page, the same position.
        let again = try await service.pullAll("jobs", claims: FieldService.bobClaims, cursor: bobAfter.cursor)
        #expect(again.changes.isEmpty)
    }

    @Test(arguments: DatabaseKind.underTest)
    func renamingACustomerRefreshesTheIncludeOnItsOrders(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let before = try await service.pullAll("jobs", claims: FieldService.annClaims)

        try await FieldService.sql(service.database, "UPDATE customers SET name = 'Acme Corp' WHERE id = '\(FieldService.id("c", 1))'")
        let after = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: before.cursor)
        let order = try #require(after.changes.first { $0.entity == "WorkOrder" })
        #expect(order.op == .put)
        #expect(order.row?["customerName"] == .string("Acme Corp"))
        // Columns no include reads don't re-log anything.
        try await FieldService.sql(service.database, "UPDATE customers SET region = 'north' WHERE id = '\(FieldService.id("c", 1))'")
        let quiet = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: after.cursor)
        #expect(quiet.changes.isEmpty)
    }

    @Test(arguments: DatabaseKind.underTest)
    func deletedAndFilteredOutRowsArriveAsRemovals(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let start = try await service.pullAll("jobs", claims: FieldService.annClaims)
        try await FieldService.sql(service.database, "DELETE FROM work_order_lines WHERE id = '\(FieldService.id("f", 1))'")
        try await FieldService.sql(service.database, "UPDATE work_orders SET status = 'cancelled' WHERE id = '\(FieldService.id("e", 1))'")
        let after = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: start.cursor)
        #expect(after.changes.keys("WorkOrderLine", .remove) == [FieldService.id("f", 1)])
        #expect(after.changes.keys("WorkOrder", .remove) == [FieldService.id("e", 1)])
        // A device pulling from scratch gets neither.
        let fresh = try await service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(fresh.changes.isEmpty)
    }

    @Test(arguments: DatabaseKind.underTest)
    func pagesFollowTheLimitAndMissNothing(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let d = service.dialect
        try await service.database.write { connection in
            for number in 1...25 {
                try await connection.execute(
                    "INSERT INTO products (id, sku, name, unit_price) VALUES (\(d.placeholder(1))\(d.cast(for: .uuid)), \(d.placeholder(2)), 'Nut', 0.10)",
                    [.text(FieldService.id("9", number)), .text("N-\(number)")])
            }
        }
        var cursor: String?
        var seen: [String] = []
        var pages = 0
        while true {
            let page = try await service.pull(PullRequest(subset: "technician", schemaHash: service.schema.schemaHash,
                                                          units: ["catalog": cursor], limit: 7), claims: FieldService.annClaims)
            #expect(page.changes.count <= 7)
            pages += 1
            seen += page.changes.compactMap(\.key.stringValue)
            cursor = page.units["catalog"]
            // The estimate counts what remains after the page.
            if pages == 1 { #expect(page.estimate == 19) }
            if !page.more { break }
        }
        #expect(pages == 4)
        #expect(Set(seen).count == 26)
        #expect(seen.count == 26)
    }

    @Test(arguments: DatabaseKind.underTest)
    func claimsAndCursorsAreChecked(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let hash = service.schema.schemaHash
        func pull(_ claims: [String: JSONValue], cursor: String? = nil, hash: String = hash) async throws -> PullResponse {
            try await service.pull(PullRequest(subset: "technician", schemaHash: hash, units: ["jobs": cursor], limit: 10), claims: claims)
        }
        await #expect(throws: ProtocolError.claimMissing("the token has no region claim, which the technician subset needs for $region")) {
            try await pull(["sub": .string(FieldService.ann)])
        }
        await #expect(throws: ProtocolError.self) { try await pull(["sub": .string("not-a-uuid"), "region": .string("north")]) }
        await #expect(throws: ProtocolError.schemaHashUnknown("0000", expected: hash)) { try await pull(FieldService.annClaims, hash: "0000") }
        await #expect(throws: ProtocolError.invalidRequest("the cursor of unit jobs is not one this server made")) {
            try await pull(FieldService.annClaims, cursor: "bogus")
        }
        // A cursor made for other claims can't be reused: the device must start over.
        let annCursor = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        let error = await #expect(throws: ProtocolError.self) { try await pull(FieldService.bobClaims, cursor: annCursor) }
        #expect(error?.status == 410)
        #expect(error?.code == "resync_required")
    }

    /// A client that pulls every unit in one request, with pages smaller than its first
    /// unit, on a server that has dropped tombstones: the cursors the server hands back
    /// for units a page didn't reach are continued, never answered with `410`.
    @Test(arguments: DatabaseKind.underTest)
    func everyUnitInOneRequestOnACompactedServer(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        // A third line of Ann's, then one deleted and compacted away: compacted_through ≥ 1.
        try await FieldService.sql(service.database,
            "INSERT INTO work_order_lines (id, work_order_id, product_id, quantity) VALUES ('\(FieldService.id("f", 3))', '\(FieldService.id("e", 1))', '\(FieldService.id("d", 1))', 5)")
        try await FieldService.sql(service.database,
            "INSERT INTO work_order_lines (id, work_order_id, product_id, quantity) VALUES ('\(FieldService.id("f", 9))', '\(FieldService.id("e", 1))', '\(FieldService.id("d", 1))', 1)")
        try await FieldService.sql(service.database, "DELETE FROM work_order_lines WHERE id = '\(FieldService.id("f", 9))'")
        #expect(try await service.compactRemovals(before: Date().addingTimeInterval(60)) == 1)

        let unitNames = FieldService.schema.subsets.first { $0.name == "technician" }!.units.map(\.name)
        #expect(unitNames.count >= 3)
        var cursors: [String: String?] = Dictionary(uniqueKeysWithValues: unitNames.map { ($0, nil) })
        var held: [String: Set<String>] = [:]
        var requests = 0
        while true {
            requests += 1
            #expect(requests < 50, "the download never ends")
            guard requests < 50 else { return }
            // The first unit (jobs: an order and two lines) is larger than a page.
            let page = try await service.pull(
                PullRequest(subset: "technician", schemaHash: service.schema.schemaHash, units: cursors, limit: 2),
                claims: FieldService.annClaims)
            #expect(page.changes.count <= 2)
            #expect(Set(page.units.keys) == Set(unitNames), "every requested unit gets a cursor back")
            for change in page.changes {
                let key = change.key.stringValue ?? ""
                if change.op == .put { held[change.entity, default: []].insert(key) } else { held[change.entity]?.remove(key) }
            }
            for (name, cursor) in page.units { cursors[name] = cursor }
            if !page.more { break }
        }
        #expect(requests > 2)
        // The same rows as pulling each unit on its own.
        var separately: [String: Set<String>] = [:]
        for name in unitNames {
            for change in try await service.pullAll(name, claims: FieldService.annClaims).changes where change.op == .put {
                separately[change.entity, default: []].insert(change.key.stringValue ?? "")
            }
        }
        #expect(held == separately)
        #expect(held["WorkOrderLine"] == [FieldService.id("f", 1), FieldService.id("f", 3)])
        #expect(held["Product"]?.isEmpty == false)
    }

    /// A row that comes into the caller's buckets and leaves them again between two of
    /// its pulls is never sent: not its put (it left) and not its remove (the device
    /// never had it), whether it was deleted, reassigned, or came and went twice.
    @Test(arguments: DatabaseKind.underTest)
    func aRowThatCameAndWentBetweenTwoPullsSendsNothing(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let caughtUp = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        let order = FieldService.id("9", 1), other = FieldService.id("9", 2)
        func insert(_ id: String) async throws {
            try await FieldService.sql(service.database,
                "INSERT INTO work_orders (id, number, customer_id, assignee_id, status) VALUES ('\(id)', 7, '\(FieldService.id("c", 1))', '\(FieldService.ann)', 'open')")
        }
        try await insert(order)
        try await FieldService.sql(service.database, "UPDATE work_orders SET notes = 'in and out' WHERE id = '\(order)'")
        try await FieldService.sql(service.database, "DELETE FROM work_orders WHERE id = '\(order)'")
        try await insert(other)
        for assignee in [FieldService.bob, FieldService.ann, FieldService.bob] {
            try await FieldService.sql(service.database, "UPDATE work_orders SET assignee_id = '\(assignee)' WHERE id = '\(other)'")
        }
        let next = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: caughtUp, limit: 1)
        #expect(next.changes.isEmpty, "\(next.changes.map { "\($0.op) \($0.key.jsonText)" })")

        // A row Ann received and that then leaves is still removed.
        try await insert(order)
        let received = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: next.cursor)
        #expect(received.changes.keys("WorkOrder", .put) == [order])
        try await FieldService.sql(service.database, "UPDATE work_orders SET assignee_id = '\(FieldService.bob)' WHERE id = '\(order)'")
        let removed = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: received.cursor)
        #expect(removed.changes.keys("WorkOrder", .remove) == [order])
    }

    /// A `410` names, in `units`, every unit of the request to start over; the others keep
    /// their cursors.
    @Test(arguments: DatabaseKind.underTest)
    func resyncRequiredNamesTheUnitsToStartOver(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let jobs = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        let catalog = try await service.pullAll("catalog", claims: FieldService.annClaims).cursor
        try await FieldService.sql(service.database, "DELETE FROM work_order_lines WHERE id = '\(FieldService.id("f", 1))'")
        #expect(try await service.compactRemovals(before: Date().addingTimeInterval(60)) == 1)
        // Both cursors were made before the dropped tombstone: both units start over.
        let error = await #expect(throws: ProtocolError.self) {
            try await service.pull(PullRequest(subset: "technician", schemaHash: service.schema.schemaHash,
                                               units: ["jobs": jobs, "catalog": catalog, "Customer": nil], limit: 10),
                                   claims: FieldService.annClaims)
        }
        #expect(error?.status == 410)
        #expect(error?.code == "resync_required")
        #expect(error?.units == ["jobs", "catalog"] || error?.units == ["catalog", "jobs"])
        #expect(error?.message.contains("unit jobs") == true)
        // A cursor made after the compaction is continued next to a stale one, which alone is named.
        let fresh = try await service.pullAll("catalog", claims: FieldService.annClaims).cursor
        let second = await #expect(throws: ProtocolError.self) {
            try await service.pull(PullRequest(subset: "technician", schemaHash: service.schema.schemaHash,
                                               units: ["jobs": jobs, "catalog": fresh], limit: 10),
                                   claims: FieldService.annClaims)
        }
        #expect(second?.units == ["jobs"])
    }

    @Test(arguments: DatabaseKind.underTest)
    func cursorsOlderThanTheKeptTombstonesAnswerResyncRequired(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let cursor = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        try await FieldService.sql(service.database, "DELETE FROM work_order_lines WHERE id = '\(FieldService.id("f", 1))'")
        #expect(try await service.compactRemovals(before: Date().addingTimeInterval(60)) == 1)
        let error = await #expect(throws: ProtocolError.self) {
            try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: cursor)
        }
        #expect(error?.code == "resync_required")
        // From the start it works, and the deleted line is simply absent.
        let fresh = try await service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(fresh.changes.keys("WorkOrderLine", .put).isEmpty)
        #expect(fresh.changes.keys("WorkOrder", .put) == [FieldService.id("e", 1)])
    }

    /// A row the device inserted and pushed is held without being pulled: when it leaves
    /// the subset before the device's next pull, the device still hears of it. One another
    /// system inserted and moved away in the same time is never sent.
    @Test(arguments: DatabaseKind.underTest)
    func aRowTheDevicePushedArrivesAsARemoveWhenItLeaves(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let cast = kind == .postgres ? "::uuid" : ""
        let cursor = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        let pushed = FieldService.id("9", 1), inserted = FieldService.id("9", 2)
        let results = try await service.push([
            PushOperation(opId: "line-1", entity: "WorkOrderLine", kind: .insert, key: .string(pushed), baseVersion: nil,
                          values: ["workOrderId": .string(FieldService.id("e", 1)), "productId": .string(FieldService.id("d", 1)),
                                   "quantity": .integer(3)]),
        ], claims: FieldService.annClaims)
        #expect(results.map(\.status) == [.applied])
        try await FieldService.sql(service.database, """
            INSERT INTO work_order_lines (id, work_order_id, product_id, quantity)
            VALUES ('\(inserted)'\(cast), '\(FieldService.id("e", 1))'\(cast), '\(FieldService.id("d", 1))'\(cast), 1)
            """)
        // Both lines move to Bob's order before Ann pulls again.
        try await FieldService.sql(service.database,
            "UPDATE work_order_lines SET work_order_id = '\(FieldService.id("e", 2))'\(cast) WHERE id IN ('\(pushed)'\(cast), '\(inserted)'\(cast))")
        let changes = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: cursor).changes
        #expect(changes.keys("WorkOrderLine", .remove) == [pushed])
        #expect(changes.keys("WorkOrderLine", .put).isEmpty)
    }

    /// A log made before entries kept where they were made, their earlier positions and
    /// whether a push wrote them gains the columns at start, and pulls go on.
    @Test(arguments: DatabaseKind.underTest)
    func aLogFromBeforeVersionsWereKeptGainsThem(_ kind: DatabaseKind) async throws {
        let database = try await TestDatabases.make(kind)
        let old = kind == .sqlite
            ? "CREATE TABLE syncwright_log (seq INTEGER PRIMARY KEY AUTOINCREMENT, bucket TEXT NOT NULL, entity TEXT NOT NULL, key TEXT NOT NULL, removed INTEGER NOT NULL, changed_at TEXT NOT NULL, UNIQUE (bucket, key))"
            : "CREATE TABLE syncwright_log (seq bigint PRIMARY KEY, bucket text COLLATE \"C\" NOT NULL, entity text NOT NULL, key text NOT NULL, removed boolean NOT NULL, changed_at timestamptz NOT NULL, UNIQUE (bucket, key))"
        try await database.write { connection in try await connection.execute(old) }
        let service = SyncService(schema: FieldService.schema, database: database, logger: TestDatabases.logger)
        try await service.prepare()
        let names = Set(try await database.write { connection in
            try await DatabaseLayout.columnNames(of: "syncwright_log", connection, database.dialect)
        })
        #expect(names.isSuperset(of: ["origin_seq", "versions", "pushed"]))
        try await FieldService.seed(database)
        let jobs = try await service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(jobs.changes.keys("WorkOrder", .put) == [FieldService.id("e", 1)])
    }

    /// A row's tombstones stay while it has a later entry: a pull that held back the
    /// remove because the row was in another of the caller's buckets reads it to know
    /// the device may hold the row. Once every entry of the row is an old remove, they go.
    @Test(arguments: DatabaseKind.underTest)
    func compactionKeepsTheTombstonesOfARowThatMovedOn(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let cast = kind == .postgres ? "::uuid" : ""
        func entries(_ key: String) async throws -> [String] {
            let rows = try await service.database.read(
                "SELECT CASE WHEN removed = \(service.dialect.boolean(true)) THEN 'remove' ELSE 'put' END FROM syncwright_log WHERE key = '\(key)' AND entity = 'WorkOrder' ORDER BY seq", [])
            return rows.compactMap { $0.first?.text }
        }
        // Ann's order goes to Bob: a remove in Ann's bucket, a put in Bob's.
        try await FieldService.sql(service.database, "UPDATE work_orders SET assignee_id = '\(FieldService.bob)'\(cast) WHERE id = '\(FieldService.id("e", 1))'\(cast)")
        #expect(try await entries(FieldService.id("e", 1)) == ["remove", "put"])
        #expect(try await service.compactRemovals(before: Date().addingTimeInterval(60)) == 0)
        #expect(try await entries(FieldService.id("e", 1)) == ["remove", "put"])
        // Deleted: every entry of the order is a remove, and the next compaction drops them.
        try await FieldService.sql(service.database, "DELETE FROM work_order_lines WHERE work_order_id = '\(FieldService.id("e", 1))'\(cast)")
        try await FieldService.sql(service.database, "DELETE FROM work_orders WHERE id = '\(FieldService.id("e", 1))'\(cast)")
        #expect(try await entries(FieldService.id("e", 1)) == ["remove", "remove"])
        #expect(try await service.compactRemovals(before: Date().addingTimeInterval(60)) >= 2)
        #expect(try await entries(FieldService.id("e", 1)) == [])
    }

    /// A running server drops old tombstones on its own, not only when it starts: the
    /// compaction is a service of the application's lifecycle and stops with it.
    @Test func tombstonesAreDroppedPeriodicallyWhileTheServerRuns() async throws {
        let service = try await FieldService.service(.sqlite)
        try await FieldService.seed(service.database)
        try await FieldService.sql(service.database, "DELETE FROM work_order_lines WHERE id = '\(FieldService.id("f", 1))'")
        func tombstones() async throws -> Int64 {
            try await service.database.read("SELECT count(*) FROM syncwright_log WHERE removed = 1", []).first?.first?.integer ?? -1
        }
        #expect(try await tombstones() >= 1)
        let compaction = TombstoneCompactionService(service: service, retention: .seconds(0), interval: .milliseconds(20),
                                                    logger: TestDatabases.logger)
        let group = ServiceGroup(configuration: .init(services: [compaction], logger: TestDatabases.logger))
        let finished = Locked(false)
        let running = Task {
            try await group.run()
            finished.withValue { $0 = true }
        }
        try await waitUntil("the compaction service to drop every tombstone") { try await tombstones() == 0 }
        // Shut down gracefully, the service returns promptly and the group ends.
        await group.triggerGracefulShutdown()
        try await waitUntil("the service group to end after the graceful shutdown", within: .seconds(5)) { finished.withValue { $0 } }
        running.cancel()
    }

    /// SQLite's own row writer (from its column buffers) and the one every other database
    /// uses (through values) write the same bytes for the same rows.
    @Test func sqliteBufferWriterAndValueWriterWriteTheSameBytes() async throws {
        let service = try await FieldService.service(.sqlite)
        try await FieldService.seed(service.database)
        try await FieldService.sql(service.database, """
            UPDATE work_orders SET notes = 'a "quoted" note\\ with é', scheduled_for = '2024-05-01', signature = X'00FF10' \
            WHERE id = '\(FieldService.id("e", 1))'
            """)
        let throughValues = SyncService(schema: service.schema, database: ValuesOnlyDatabase(base: service.database),
                                        logger: TestDatabases.logger)
        #expect(service.rowReader is SQLiteWireRowReader)
        #expect(throughValues.rowReader is ValueWireRowReader)
        let start = try await service.pullAll("jobs", claims: FieldService.annClaims)
        try await FieldService.sql(service.database, "DELETE FROM work_order_lines WHERE id = '\(FieldService.id("f", 1))'")
        for cursor in [nil, start.cursor] {
            let request = PullRequest(subset: "technician", schemaHash: service.schema.schemaHash, units: ["jobs": cursor], limit: 10)
            let fast = try await service.pullJSON(request, claims: FieldService.annClaims)
            let general = try await throughValues.pullJSON(request, claims: FieldService.annClaims)
            #expect(fast.changes > 0)
            #expect(String(decoding: fast.body, as: UTF8.self) == String(decoding: general.body, as: UTF8.self))
        }
    }

    @Test(arguments: DatabaseKind.underTest)
    func theHTTPBodyIsTheSamePageWrittenStraightFromSQL(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        try await FieldService.sql(service.database, "UPDATE work_orders SET notes = 'a \"quoted\" note' WHERE id = '\(FieldService.id("e", 1))'")
        let start = try await service.pullAll("jobs", claims: FieldService.annClaims)
        try await FieldService.sql(service.database, "DELETE FROM work_order_lines WHERE id = '\(FieldService.id("f", 1))'")
        for cursor in [nil, start.cursor] {
            let request = PullRequest(subset: "technician", schemaHash: service.schema.schemaHash, units: ["jobs": cursor], limit: 10)
            let response = try await service.pull(request, claims: FieldService.annClaims)
            let body = try await service.pullJSON(request, claims: FieldService.annClaims)
            #expect(!response.changes.isEmpty)
            #expect(body.body == PullResponseWriter.json(response))
            #expect(try JSONDecoder().decode(PullResponse.self, from: body.body) == response)
        }
    }
}

/// A database that forwards to another but offers no row reader of its own, so a
/// service over it takes the general path (``ValueWireRowReader``).
private struct ValuesOnlyDatabase: ServerDatabase {
    let base: any ServerDatabase
    var dialect: SQLDialect { base.dialect }
    func write<T: Sendable>(_ body: @Sendable (any SQLConnection) async throws -> T) async throws -> T {
        try await base.write(body)
    }
    func read(_ sql: String, _ arguments: [SQLValue]) async throws -> SQLRows { try await base.read(sql, arguments) }
    func close() async throws { try await base.close() }
}
