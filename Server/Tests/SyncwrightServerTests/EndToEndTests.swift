import Foundation
import Syncwright
@testable import SyncwrightServer
import Testing

/// The runtime (SyncStore, SyncEngine, HTTPSyncTransport) against the real server over
/// loopback, on SQLite and on PostgreSQL.
@Suite("End to end over HTTP")
struct EndToEndTests {
    @Test(arguments: DatabaseKind.underTest)
    func twoUsersEditOfflineSyncAndConverge(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        let bob = try await Device(server: server, claims: FieldService.bobClaims)
        _ = try await ann.engine.sync()
        _ = try await bob.engine.sync()
        #expect(try ann.keys("work_orders") == [FieldService.id("e", 1)])
        #expect(try bob.keys("work_orders") == [FieldService.id("e", 2)])
        #expect(try ann.keys("customers") == [FieldService.id("c", 1)])
        #expect(try ann.value("work_orders", "customerName", id: FieldService.id("e", 1)) == "Acme".databaseValue)

        // Offline edits on both devices, then a sync each.
        try await ann.update("WorkOrder", id: FieldService.id("e", 1), ["notes": "ring twice".databaseValue, "status": "inProgress".databaseValue])
        let newLine = UUID()
        try await ann.insert("WorkOrderLine", ["id": newLine.databaseValue, "workOrderId": UUID(uuidString: FieldService.id("e", 1))!.databaseValue,
                                               "productId": UUID(uuidString: FieldService.id("d", 1))!.databaseValue, "quantity": 6.databaseValue])
        try await bob.update("WorkOrder", id: FieldService.id("e", 2), ["status": "done".databaseValue])
        let annReport = try await ann.engine.sync()
        let bobReport = try await bob.engine.sync()
        #expect(annReport.pushed == 2)
        #expect(bobReport.pushed == 1)
        #expect(try await ann.store.pendingChangeCount() == 0)
        // The server's include reached the device with the insert's answer.
        #expect(try ann.value("work_order_lines", "productName", id: newLine.uuidString) == "Bolt".databaseValue)

        // The server holds both users' changes; each device sees its own rows only.
        let annPull = try await server.service.pullAll("jobs", claims: FieldService.annClaims)
        #expect(annPull.changes.first { $0.entity == "WorkOrder" }?.row?["notes"] == .string("ring twice"))
        #expect(annPull.changes.keys("WorkOrderLine", .put) == [FieldService.id("f", 1), newLine.uuidString.lowercased()])
        let bobPull = try await server.service.pullAll("jobs", claims: FieldService.bobClaims)
        #expect(bobPull.changes.first { $0.entity == "WorkOrder" }?.row?["status"] == .string("done"))
        #expect(try bob.keys("work_order_lines") == [FieldService.id("f", 2)])
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func aReassignedOrderLeavesAAndAppearsOnB(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        let bob = try await Device(server: server, claims: FieldService.bobClaims)
        _ = try await ann.engine.sync()
        _ = try await bob.engine.sync()

        try await FieldService.sql(server.database,
            "UPDATE work_orders SET assignee_id = '\(FieldService.bob)' WHERE id = '\(FieldService.id("e", 1))'")
        _ = try await ann.engine.sync()
        _ = try await bob.engine.sync()
        #expect(try ann.keys("work_orders").isEmpty)
        #expect(try ann.keys("work_order_lines").isEmpty)
        #expect(try bob.keys("work_orders") == [FieldService.id("e", 1), FieldService.id("e", 2)])
        #expect(try bob.keys("work_order_lines") == [FieldService.id("f", 1), FieldService.id("f", 2)])
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRejectedOpDoesNotBlockTheQueue(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        _ = try await ann.engine.sync()

        // Handing the order to Bob is refused; the note after it still lands.
        try await ann.update("WorkOrder", id: FieldService.id("e", 1), ["assigneeId": UUID(uuidString: FieldService.bob)!.databaseValue])
        try await ann.update("WorkOrderLine", id: FieldService.id("f", 1), ["quantity": 11.databaseValue])
        let report = try await ann.engine.sync()
        #expect(report.rejected == 1)
        #expect(report.pushed == 1)
        let rejected = try ann.store.rejectedChanges()
        #expect(rejected.map(\.code) == ["owner_mismatch"])
        #expect(try await ann.store.pendingChangeCount() == 0)
        let lines = try await server.service.pullAll("jobs", claims: FieldService.annClaims).changes.filter { $0.entity == "WorkOrderLine" }
        #expect(lines.first?.row?["quantity"] == .integer(11))
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func discardingARefusalLeavesExactlyTheSubset(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        _ = try await ann.engine.sync()
        #expect(try ann.keys("work_orders") == [FieldService.id("e", 1)])
        #expect(try ann.keys("work_order_lines") == [FieldService.id("f", 1)])

        // The office hands Ann's order to Bob while she edits it offline; her push is
        // refused and, pushing only, she still holds the order and its line.
        try await FieldService.sql(server.database,
            "UPDATE work_orders SET assignee_id = '\(FieldService.bob)' WHERE id = '\(FieldService.id("e", 1))'")
        try await ann.update("WorkOrder", id: FieldService.id("e", 1), ["notes": "on my way".databaseValue])
        let report = try await ann.engine.sync(units: [])
        #expect(report.rejected == 1)
        let rejected = try #require(try ann.store.rejectedChanges().first)
        #expect(rejected.code == "outside_subset")

        // The order isn't hers any more: the refusal carries no row, and discarding it
        // removes her copy at once; the next sync removes the line.
        #expect(rejected.row == SyncRowID(entity: "WorkOrder", key: .uuid(UUID(uuidString: FieldService.id("e", 1))!)))
        try ann.store.discard(rejected)
        #expect(try ann.keys("work_orders").isEmpty)
        _ = try await ann.engine.sync()
        #expect(try ann.keys("work_orders").isEmpty)
        #expect(try ann.keys("work_order_lines").isEmpty)
        #expect(try ann.keys("customers") == [FieldService.id("c", 1)])
        #expect(try await ann.store.pendingChangeCount() == 0)
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func aReplayedPushChangesNothing(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await Device(server: server, claims: FieldService.annClaims) { LosingTransport($0) }
        _ = try await ann.engine.sync()
        let before = try await server.service.pullAll("jobs", claims: FieldService.annClaims)
        let line = UUID()
        try await ann.insert("WorkOrderLine", ["id": line.databaseValue, "workOrderId": UUID(uuidString: FieldService.id("e", 1))!.databaseValue,
                                               "productId": UUID(uuidString: FieldService.id("d", 1))!.databaseValue, "quantity": 1.databaseValue])
        let report = try await ann.engine.sync()
        #expect(report.pushed == 1)
        let transport = try #require(ann.transport as? LosingTransport)
        let pushes = await transport.pushes
        // The same op id went twice; the server applied it once.
        #expect(pushes.count == 2)
        #expect(pushes[0].ops.map(\.opId) == pushes[1].ops.map(\.opId))
        let after = try await server.service.pullAll("jobs", claims: FieldService.annClaims, cursor: before.cursor)
        #expect(after.changes.map(\.key.stringValue) == [line.uuidString.lowercased()])
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func forgedTokensAndOtherUsersRowsAreRefused(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let hash = server.service.schema.schemaHash
        let forged = try await LiveServer.token(FieldService.annClaims, secret: "someone-elses-secret-0123456789abcdef")
        let forgedTransport = HTTPSyncTransport(baseURL: server.baseURL) { forged }
        let pull = PullRequest(subset: "technician", schemaHash: hash, units: ["jobs": nil], limit: 10)
        let error = await #expect(throws: SyncTransportError.self) { try await forgedTransport.pull(pull) }
        #expect(error?.status == 401)

        let noRegion = try await LiveServer.token(["sub": .string(FieldService.ann)])
        let forbidden = await #expect(throws: SyncTransportError.self) {
            try await HTTPSyncTransport(baseURL: server.baseURL) { noRegion }.pull(pull)
        }
        #expect(forbidden?.status == 403)

        // Ann's token, Bob's order: refused op by op.
        let annToken = try await LiveServer.token(FieldService.annClaims)
        let transport = HTTPSyncTransport(baseURL: server.baseURL) { annToken }
        let response = try await transport.push(PushRequest(clientId: "intruder", subset: "technician", schemaHash: hash, ops: [
            PushOperation(opId: "1", entity: "WorkOrder", kind: .update, key: .string(FieldService.id("e", 2)), baseVersion: 1,
                          values: ["notes": .string("hi")]),
            PushOperation(opId: "2", entity: "WorkOrder", kind: .delete, key: .string(FieldService.id("e", 2)), baseVersion: 1, values: nil),
        ]))
        #expect(response.results.map(\.code) == ["outside_subset", "depends_on_rejected"])
        #expect(response.results[1].dependsOn == "1" && response.results[1].row == nil,
                "the dependent names the refusal it waits on and shows nothing of Bob's row")
        let stale = await #expect(throws: SyncTransportError.self) {
            try await transport.pull(PullRequest(subset: "technician", schemaHash: "stale", units: ["jobs": nil], limit: 10))
        }
        #expect(stale?.status == 409)
        await server.stop()
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRowWrittenBySQLReachesTheDeviceAndAnOldCursorResyncs(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        _ = try await ann.engine.sync()
        let order = "0e000000-0000-4000-8000-000000000777"
        try await FieldService.sql(server.database, """
            INSERT INTO work_orders (id, number, customer_id, assignee_id, status, notes)
            VALUES ('\(order)', 777, '\(FieldService.id("c", 1))', '\(FieldService.ann)', 'scheduled', 'from the office')
            """)
        _ = try await ann.engine.sync()
        #expect(try ann.keys("work_orders") == [FieldService.id("e", 1), order])
        #expect(try ann.value("work_orders", "notes", id: order) == "from the office".databaseValue)

        // A deletion the device can no longer be told about: it resyncs the unit.
        try await FieldService.sql(server.database, "DELETE FROM work_orders WHERE id = '\(order)'")
        try await server.service.compactRemovals(before: Date().addingTimeInterval(60))
        _ = try await ann.engine.sync()
        #expect(try ann.keys("work_orders") == [FieldService.id("e", 1)])
        await server.stop()
    }
}

/// A server with a small body limit: the device's batch that passes it is split on the
/// `413`, the change too large alone is set aside, and every other change gets through.
@Suite("Push size end to end")
struct PushSizeEndToEndTests {
    @Test(arguments: DatabaseKind.underTest)
    func aChangeTooLargeForTheServerNeverBlocksTheOthers(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(service: try await FieldService.service(kind),
                                                limits: ServerLimits(maximumBodyBytes: 48 * 1024))
        try await FieldService.seed(server.database)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        try await ann.engine.sync()
        let order = FieldService.id("e", 1)
        // Random bytes don't compress: well over the limit even gzipped.
        var generator = SystemRandomNumberGenerator()
        let signature = Data((0..<96 * 1024).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try await ann.update("WorkOrder", id: order, ["signature": signature.databaseValue])
        var lines: [UUID] = []
        for _ in 0..<3 {
            let line = UUID()
            lines.append(line)
            try await ann.insert("WorkOrderLine", ["id": line.databaseValue, "workOrderId": UUID(uuidString: order)!.databaseValue,
                                                   "productId": UUID(uuidString: FieldService.id("d", 1))!.databaseValue,
                                                   "quantity": 1.databaseValue])
        }
        let report = try await ann.engine.sync()
        #expect(report.pushed == 3)
        #expect(report.changes.filter { $0.outcome == .refused(.tooLarge) }.count == 1)
        #expect(try await ann.store.pendingChangeCount() == 0)
        let onServer = try await server.database.read("SELECT count(*) FROM work_order_lines", []).first?.first?.integer
        #expect(onServer == Int64(5), "the two seeded lines and the three new ones")
        let stored = try await server.database.read("SELECT signature FROM work_orders WHERE number = 100", []).first?.first
        #expect(stored == .null, "the signature never reached the server")
        await server.stop()
    }
}
