import Foundation
import Syncwright
@testable import SyncwrightServer
import Testing

@Suite("Change log by bucket: each device pays for and hears of its own rows only")
struct BucketLogTests {
    private func op(_ kind: OperationKind, _ entity: String, _ key: String, base: Int64? = nil,
                    _ values: [String: JSONValue]? = nil, id: String = UUID().uuidString) -> PushOperation {
        PushOperation(opId: id, entity: entity, kind: kind, key: .string(key), baseVersion: base, values: values)
    }

    @Test(arguments: DatabaseKind.underTest)
    func otherUsersChangesReachNobodyElse(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let start = try await service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(start.changes.keys("WorkOrder", .put) == [FieldService.id("e", 1)])
        // Bob's order and line change many times, and a new order of Bob's comes and goes.
        for round in 0..<20 {
            try await FieldService.sql(service.database, "UPDATE work_orders SET notes = 'n\(round)' WHERE id = '\(FieldService.id("e", 2))'")
            try await FieldService.sql(service.database, "UPDATE work_order_lines SET quantity = \(round + 3) WHERE id = '\(FieldService.id("f", 2))'")
        }
        try await FieldService.sql(service.database, """
            INSERT INTO work_orders (id, number, customer_id, assignee_id, status)
            VALUES ('\(FieldService.id("e", 9))', 900, '\(FieldService.id("c", 2))', '\(FieldService.bob)', 'open')
            """)
        try await FieldService.sql(service.database, "DELETE FROM work_orders WHERE id = '\(FieldService.id("e", 9))'")
        let next = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: start.cursor)
        #expect(next.changes.isEmpty, "Ann heard of Bob's rows: \(next.changes.map(\.key))")
        // Bob hears of all of it, and of the removal of the order he held for a moment.
        let bobs = try await service.pullAll("jobs", claims: FieldService.bobClaims)
        #expect(bobs.changes.keys("WorkOrder", .put) == [FieldService.id("e", 2)])
        #expect(bobs.changes.keys("WorkOrderLine", .put) == [FieldService.id("f", 2)])
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRemoveGoesOnlyToDevicesThatCouldSeeTheRow(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let ann = try await service.pullAll("jobs", claims: FieldService.annClaims)
        let bob = try await service.pullAll("jobs", claims: FieldService.bobClaims)
        // Bob's order is cancelled (it leaves his subset by its own conditions) and deleted.
        try await FieldService.sql(service.database, "UPDATE work_orders SET status = 'cancelled' WHERE id = '\(FieldService.id("e", 2))'")
        try await FieldService.sql(service.database, "DELETE FROM work_order_lines WHERE id = '\(FieldService.id("f", 2))'")
        let annNext = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: ann.cursor)
        #expect(annNext.changes.isEmpty)
        let bobNext = try await service.pullAll("jobs", claims: FieldService.bobClaims, cursor: bob.cursor)
        #expect(bobNext.changes.keys("WorkOrder", .remove) == [FieldService.id("e", 2)])
        #expect(bobNext.changes.keys("WorkOrderLine", .remove) == [FieldService.id("f", 2)])
    }

    @Test(arguments: DatabaseKind.underTest)
    func theEstimateCountsTheCallersOwnChanges(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        // Many orders of Bob's: Ann's estimate must not count them.
        for index in 10..<60 {
            try await FieldService.sql(service.database, """
                INSERT INTO work_orders (id, number, customer_id, assignee_id, status)
                VALUES ('\(FieldService.id("e", index))', \(index), '\(FieldService.id("c", 2))', '\(FieldService.bob)', 'open')
                """)
        }
        let hash = service.schema.schemaHash
        let first = try await service.pull(PullRequest(subset: "technician", schemaHash: hash, units: ["jobs": nil], limit: 1),
                                           claims: FieldService.annClaims)
        let all = try await service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(first.changes.count == 1)
        #expect(first.estimate == all.changes.count - 1, "estimate \(first.estimate ?? -1) for \(all.changes.count) changes")
    }

    @Test(arguments: DatabaseKind.underTest)
    func allowDecidesWhoMayUseTheSubset(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        var office = FieldService.annClaims
        office["role"] = .string("office")
        var roleless = FieldService.annClaims
        roleless["role"] = nil
        let hash = service.schema.schemaHash
        for (claims, code) in [(office, "subset_forbidden"), (roleless, "claim_missing")] {
            do {
                _ = try await service.pull(PullRequest(subset: "technician", schemaHash: hash, units: ["catalog": nil], limit: 10),
                                           claims: claims)
                Issue.record("pull with \(claims) succeeded")
            } catch let error as ProtocolError {
                #expect(error.status == 403)
                #expect(error.code == code)
            }
            do {
                _ = try await service.push(PushRequest(clientId: "c", subset: "technician", schemaHash: hash, ops: [
                    op(.update, "WorkOrder", FieldService.id("e", 1), base: 1, ["notes": .string("x")]),
                ]), claims: claims)
                Issue.record("push with \(claims) succeeded")
            } catch let error as ProtocolError {
                #expect(error.status == 403)
                #expect(error.code == code)
            }
        }
        let notes = try await service.database.read("SELECT notes FROM work_orders WHERE id = '\(FieldService.id("e", 1))'", [])
        #expect(notes.first?.first?.isNull == true)
    }

    @Test(arguments: DatabaseKind.underTest)
    func storedResultsAnswerOnlyTheirOwner(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let annsOrder = FieldService.id("e", 1)
        let base = try #require(try await service.pullAll("jobs", claims: FieldService.annClaims).changes.first { $0.key.stringValue == annsOrder }?.version)
        let first = try await service.push(
            [op(.update, "WorkOrder", annsOrder, base: base, ["notes": .string("Ann's secret")], id: "op-1")],
            claims: FieldService.annClaims, client: "shared-client")
        #expect(first.first?.status == .applied)
        // Bob sends the same client id and op id: he gets an answer about his own op.
        let bobs = try await service.push(
            [op(.update, "WorkOrder", annsOrder, base: base, ["notes": .string("x")], id: "op-1")],
            claims: FieldService.bobClaims, client: "shared-client")
        #expect(bobs.first?.status == .rejected)
        #expect(bobs.first?.code == "outside_subset")
        #expect(bobs.first?.row == nil)
        // Ann's replay still returns her first result.
        let replay = try await service.push(
            [op(.update, "WorkOrder", annsOrder, base: base, ["notes": .string("changed")], id: "op-1")],
            claims: FieldService.annClaims, client: "shared-client")
        #expect(replay.first?.row?["notes"] == .string("Ann's secret"))
    }

    @Test(arguments: DatabaseKind.underTest)
    func aKeyChangedByAnotherSystemRemovesTheRowsThatReferencedIt(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let start = try await service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(start.changes.keys("WorkOrderLine", .put) == [FieldService.id("f", 1)])
        let newKey = FieldService.id("e", 7)
        try await FieldService.sql(service.database, "UPDATE work_orders SET id = '\(newKey)' WHERE id = '\(FieldService.id("e", 1))'")
        let next = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: start.cursor)
        #expect(next.changes.keys("WorkOrder", .remove) == [FieldService.id("e", 1)])
        #expect(next.changes.keys("WorkOrder", .put) == [newKey])
        // The line still points at the old key, which no longer exists: it leaves.
        #expect(next.changes.keys("WorkOrderLine", .remove) == [FieldService.id("f", 1)])
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRowWrittenOutsideTheSubsetIsAnsweredLeftSubset(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let key = FieldService.id("9", 1)
        let results = try await service.push([op(.insert, "WorkOrder", key, [
            "number": .integer(5), "customerId": .string(FieldService.id("c", 1)),
            "assigneeId": .string(FieldService.ann), "status": .string("cancelled"),
        ])], claims: FieldService.annClaims)
        #expect(results.first?.status == .applied)
        #expect(results.first?.leftSubset == true)
        // No pull mentions it: it was never in anyone's subset.
        let pulled = try await service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(!pulled.changes.keys("WorkOrder", .put).contains(key))
        // An order written inside the subset isn't marked.
        let kept = try await service.push([op(.insert, "WorkOrder", FieldService.id("9", 2), [
            "number": .integer(6), "customerId": .string(FieldService.id("c", 1)),
            "assigneeId": .string(FieldService.ann), "status": .string("open"),
        ])], claims: FieldService.annClaims)
        #expect(kept.first?.status == .applied)
        #expect(kept.first?.leftSubset == nil)
    }

    @Test(arguments: DatabaseKind.underTest)
    func aWrittenReferenceMustPointInsideTheSubset(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        func order(_ number: Int, customer: String) -> PushOperation {
            op(.insert, "WorkOrder", FieldService.id("8", number), [
                "number": .integer(Int64(number)), "customerId": .string(customer),
                "assigneeId": .string(FieldService.ann), "status": .string("open"),
            ])
        }
        // Globex is in the south: Ann's subset doesn't hold it, so she can't read its
        // name and phone through an order's includes.
        let results = try await service.push([order(1, customer: FieldService.id("c", 2)), order(2, customer: FieldService.id("c", 1))],
                                             claims: FieldService.annClaims)
        #expect(results.map(\.status) == [.rejected, .applied])
        #expect(results.first?.code == "reference_outside_subset")
        #expect(results.first?.row == nil)
        #expect(results.last?.row?["customerName"] == .string("Acme"))
        let rows = try await service.database.read("SELECT count(*) FROM work_orders WHERE number = 1", [])
        #expect(rows.first?.first?.integer == 0)
        // A reference an update leaves alone isn't judged again, even once it points
        // outside the subset (the product was discontinued).
        try await FieldService.sql(service.database, "UPDATE products SET discontinued = \(kind == .sqlite ? "1" : "TRUE")")
        let line = try await service.push([
            op(.update, "WorkOrderLine", FieldService.id("f", 1), ["productId": .string(FieldService.id("d", 1)), "quantity": .integer(9)]),
        ], claims: FieldService.annClaims)
        #expect(line.first?.status == .applied)
    }

    @Test func textIsKeptWholeOnSQLite() async throws {
        let service = try await FieldService.service(.sqlite)
        try await FieldService.seed(service.database)
        let annsOrder = FieldService.id("e", 1)
        let base = try #require(try await service.pullAll("jobs", claims: FieldService.annClaims).changes.first { $0.key.stringValue == annsOrder }?.version)
        // Two op ids that differ only after a NUL are two ops.
        let results = try await service.push([
            op(.update, "WorkOrder", annsOrder, base: base, ["notes": .string("before\u{0}after")], id: "op\u{0}1"),
            op(.update, "WorkOrderLine", FieldService.id("f", 1), base: nil, ["quantity": .integer(77)], id: "op\u{0}2"),
        ], claims: FieldService.annClaims)
        #expect(results.map(\.status) == [.applied, .applied])
        let replay = try await service.push([
            op(.update, "WorkOrder", annsOrder, base: base, ["notes": .string("other")], id: "op\u{0}1"),
        ], claims: FieldService.annClaims)
        #expect(replay.first?.row?["notes"] == .string("before\u{0}after"))
        let pulled = try await service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(pulled.changes.first { $0.key.stringValue == annsOrder }?.row?["notes"] == .string("before\u{0}after"))
        // A claim with a NUL selects nothing of the region before it.
        var sly = FieldService.annClaims
        sly["region"] = .string("north\u{0}' OR 1=1")
        let customers = try await service.pullAll("Customer", claims: sly)
        #expect(customers.changes.isEmpty)
        // Invalid UTF-8 written by another system arrives replaced, as valid JSON.
        try await FieldService.sql(service.database, "UPDATE customers SET name = CAST(X'41FF42' AS TEXT) WHERE region = 'north'")
        let (body, _) = try await service.pullJSON(
            PullRequest(subset: "technician", schemaHash: service.schema.schemaHash, units: ["Customer": nil], limit: 10),
            claims: FieldService.annClaims)
        let decoded = try JSONSerialization.jsonObject(with: body) as? [String: Any]
        let rows = (decoded?["changes"] as? [[String: Any]])?.compactMap { $0["row"] as? [String: Any] }
        #expect(rows?.first?["name"] as? String == "A\u{FFFD}B")
    }

    @Test(.enabled(if: DatabaseKind.postgresUnderTest, "this run leaves PostgreSQL out"))
    func textWithNULIsRefusedClearlyOnPostgreSQL() async throws {
        let service = try await FieldService.service(.postgres)
        try await FieldService.seed(service.database)
        let results = try await service.push([
            op(.update, "WorkOrder", FieldService.id("e", 1), base: nil, ["notes": .string("a\u{0}b")]),
        ], claims: FieldService.annClaims)
        #expect(results.first?.status == .rejected)
        #expect(results.first?.code == "type_mismatch")
        var sly = FieldService.annClaims
        sly["region"] = .string("north\u{0}x")
        await #expect(throws: ProtocolError.self) { try await service.pullAll("Customer", claims: sly) }
    }

    @Test(arguments: DatabaseKind.underTest)
    func aDatabaseFromBeforeBucketsIsRefiledAndOldCursorsResync(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let before = try await service.pullAll("jobs", claims: FieldService.annClaims)
        // What a server from before left behind: the old log, and no record of the layout.
        let removed = kind == .sqlite ? "INTEGER" : "boolean"
        try await FieldService.sql(service.database, """
            CREATE TABLE syncwright_changes (seq bigint PRIMARY KEY, entity text NOT NULL, key text NOT NULL, removed \(removed) NOT NULL, changed_at text NOT NULL)
            """)
        try await FieldService.sql(service.database, "INSERT INTO syncwright_changes VALUES (90000, 'WorkOrder', 'x', \(kind == .sqlite ? "0" : "FALSE"), 'now')")
        try await FieldService.sql(service.database, "DELETE FROM syncwright_state WHERE name = 'bucket_layout'")
        // …and stored push results without an owner.
        try await FieldService.sql(service.database, "DROP TABLE syncwright_push_results")
        try await FieldService.sql(service.database, """
            CREATE TABLE syncwright_push_results (client_id text NOT NULL, op_id text NOT NULL, result text NOT NULL,
                applied_at \(kind == .sqlite ? "text" : "timestamptz") NOT NULL, PRIMARY KEY (client_id, op_id))
            """)
        try await FieldService.sql(service.database, """
            INSERT INTO syncwright_push_results VALUES ('device-1', 'old-op', '{"opId":"old-op","status":"rejected","reason":"old","code":"old"}', \(kind == .sqlite ? "'then'" : "now()"))
            """)
        let restarted = SyncService(schema: service.schema, database: service.database)
        try await restarted.prepare()
        let kept = try await restarted.database.read("SELECT owner, op_id FROM syncwright_push_results", [])
        #expect(kept.map { $0.map { $0.text ?? "" } } == [["", "old-op"]])
        // Nobody's replay reads an unowned result: the same op id is a new op.
        let replayed = try await restarted.push([op(.update, "WorkOrderLine", FieldService.id("f", 1), ["quantity": .integer(4)], id: "old-op")],
                                             claims: FieldService.annClaims)
        #expect(replayed.first?.status == .applied)
        await #expect(throws: ProtocolError.self) {
            _ = try await restarted.pullAll("jobs", claims: FieldService.annClaims, cursor: before.cursor)
        }
        let fresh = try await restarted.pullAll("jobs", claims: FieldService.annClaims)
        #expect(fresh.changes.keys("WorkOrder", .put) == [FieldService.id("e", 1)])
        #expect(fresh.changes.keys("WorkOrderLine", .put) == [FieldService.id("f", 1)])
        // New writes carry on past the old log.
        try await FieldService.sql(restarted.database, "UPDATE work_orders SET notes = 'later' WHERE id = '\(FieldService.id("e", 1))'")
        let later = try await restarted.pullAll("jobs", claims: FieldService.annClaims, cursor: fresh.cursor)
        #expect(later.changes.keys("WorkOrder", .put) == [FieldService.id("e", 1)])
        let version = later.changes.first?.version ?? 0
        #expect(version > 90000)
    }
}
