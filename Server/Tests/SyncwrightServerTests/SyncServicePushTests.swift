import Foundation
import Syncwright
@testable import SyncwrightServer
import Testing

@Suite("Push: every op checked against the subset, replays change nothing")
struct SyncServicePushTests {
    static func op(_ kind: OperationKind, _ entity: String, _ key: String, base: Int64? = nil,
                   _ values: [String: JSONValue]? = nil, id: String = UUID().uuidString) -> PushOperation {
        PushOperation(opId: id, entity: entity, kind: kind, key: .string(key), baseVersion: base, values: values)
    }

    func version(_ service: SyncService, _ entity: String, _ key: String, claims: [String: JSONValue] = FieldService.annClaims)
        async throws -> Int64?
    {
        let unit = service.schema.subset(named: "technician")!.entity(named: entity)!.unit
        return try await service.pullAll(unit, claims: claims).changes.first { $0.key.stringValue == key }?.version
    }

    @Test(arguments: DatabaseKind.underTest)
    func everyRuleRejectsWithACodeAndTheBatchGoesOn(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let order = FieldService.id("e", 1)
        let bobsOrder = FieldService.id("e", 2)
        let base = try await version(service, "WorkOrder", order)
        let newOrder = FieldService.id("7", 1)
        let ops: [(PushOperation, String?)] = [
            (Self.op(.update, "Customer", FieldService.id("c", 1), base: 1, ["name": .string("X")]), "read_only"),
            (Self.op(.update, "WorkOrder", order, base: base, ["customerName": .string("X")]), "include_not_writable"),
            (Self.op(.update, "Invoice", order, base: base, ["x": .integer(1)]), "unknown_entity"),
            (Self.op(.update, "WorkOrder", order, base: base, ["version": .integer(1)]), "server_managed"),
            (Self.op(.update, "WorkOrder", order, base: base, ["bogus": .integer(1)]), "column_not_in_subset"),
            (Self.op(.update, "WorkOrder", order, base: base, ["number": .string("ten")]), "type_mismatch"),
            (Self.op(.update, "WorkOrder", order, base: base, ["number": .null]), "null_not_allowed"),
            (Self.op(.update, "WorkOrder", order, base: base, ["status": .string("paused")]), "unknown_enum_case"),
            (Self.op(.update, "WorkOrder", order, base: base, ["scheduledFor": .string("2024-13-01")]), "type_mismatch"),
            (Self.op(.update, "WorkOrder", bobsOrder, base: 1, ["notes": .string("mine now")]), "outside_subset"),
            (Self.op(.delete, "WorkOrder", bobsOrder, base: 1), "outside_subset"),
            (Self.op(.update, "WorkOrder", order, base: base, ["assigneeId": .string(FieldService.bob)]), "owner_mismatch"),
            (Self.op(.insert, "WorkOrder", newOrder, ["id": .string(newOrder), "number": .integer(7),
                                                      "customerId": .string(FieldService.id("c", 1)),
                                                      "assigneeId": .string(FieldService.bob)]), "owner_mismatch"),
            (Self.op(.insert, "WorkOrderLine", FieldService.id("8", 1), ["workOrderId": .string(bobsOrder),
                                                                         "productId": .string(FieldService.id("d", 1)),
                                                                         "quantity": .integer(1)]), "owner_mismatch"),
            (Self.op(.insert, "WorkOrder", FieldService.id("7", 2), ["number": .integer(8)]), "missing_value"),
            (Self.op(.update, "WorkOrder", FieldService.id("7", 9), base: 1, ["notes": .string("?")]), "not_found"),
            (Self.op(.update, "WorkOrder", order, base: base, ["id": .string(bobsOrder)]), "key_mismatch"),
            // After all those, a valid change still applies.
            (Self.op(.update, "WorkOrder", order, base: base, ["notes": .string("gate code 1234"), "status": .string("inProgress")]), nil),
        ]
        // Refusals on one row would make its later ops dependents of the first: each op
        // is pushed on its own, then all of them together, where the rows of refused
        // ops refuse the later ones with them and the rest goes on.
        var results: [PushResult] = []
        for (op, _) in ops {
            results += try await service.push([op], claims: FieldService.annClaims)
        }
        #expect(results.count == ops.count)
        let together = try await service.push(
            ops.map { Self.op($0.0.kind, $0.0.entity, $0.0.key.stringValue!, base: $0.0.baseVersion, $0.0.values) },
            claims: FieldService.annClaims)
        #expect(together[0].code == "read_only")
        #expect(together[1].code == "include_not_writable")
        #expect(together[2...].filter { $0.code == "depends_on_rejected" }.allSatisfy { $0.dependsOn == together[1].opId || $0.dependsOn != nil })
        #expect(together.last?.code == "depends_on_rejected" && together.last?.dependsOn == together[1].opId,
                "the valid change to the order waits with the order's first refusal")
        #expect(together[9].code == "outside_subset", "Bob's order is a row of its own")
        #expect(together[10].code == "depends_on_rejected" && together[10].dependsOn == together[9].opId)
        #expect(together[10].row == nil, "a dependent refusal never shows a row outside the subset")
        for ((op, code), result) in zip(ops, results) {
            #expect(result.opId == op.opId)
            if let code {
                #expect(result.status == .rejected, "\(code)")
                #expect(result.code == code, "\(result.reason ?? "")")
                #expect(result.reason?.isEmpty == false)
            } else {
                #expect(result.status == .applied, "\(result)")
                #expect(result.row?["notes"] == .string("gate code 1234"))
                #expect(result.row?["customerName"] == .string("Acme"))
                #expect(result.version.map { $0 > base! } == true)
            }
        }
        // Bob's order is untouched; nothing of the rejected ops landed.
        let bob = try await service.pullAll("jobs", claims: FieldService.bobClaims)
        #expect(bob.changes.keys("WorkOrder", .put) == [bobsOrder])
        #expect(bob.changes.first { $0.entity == "WorkOrder" }?.row?["notes"] == .null)
        #expect(bob.changes.keys("WorkOrderLine", .put) == [FieldService.id("f", 2)])
    }

    /// `assigneeId == $userId` is the only way a WorkOrder is in the subset: an insert
    /// that leaves it unset or null takes the caller's own id, and the answer says so.
    @Test(arguments: DatabaseKind.underTest)
    func anInsertLeavingTheOwnerUnsetGetsTheCallersValue(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let unset = FieldService.id("7", 1), null = FieldService.id("7", 2)
        let customer = JSONValue.string(FieldService.id("c", 1))
        let results = try await service.push([
            Self.op(.insert, "WorkOrder", unset, ["number": .integer(1), "customerId": customer]),
            Self.op(.insert, "WorkOrder", null, ["number": .integer(2), "customerId": customer, "assigneeId": .null]),
        ], claims: FieldService.annClaims)
        #expect(results.map(\.status) == [.applied, .applied], "\(results.map { $0.reason ?? "" })")
        for result in results {
            #expect(result.row?["assigneeId"] == .string(FieldService.ann), "the answer's row tells the device")
        }
        let pulled = try await service.pullAll("jobs", claims: FieldService.annClaims).changes
        #expect(pulled.keys("WorkOrder", .put).isSuperset(of: [unset, null]))
        // Bob's claims fill Bob's id, never Ann's.
        let bobs = FieldService.id("7", 3)
        let bobResult = try await service.push([Self.op(.insert, "WorkOrder", bobs, ["number": .integer(3), "customerId": .string(FieldService.id("c", 2))])],
                                               claims: FieldService.bobClaims)
        #expect(bobResult.first?.row?["assigneeId"] == .string(FieldService.bob), "\(bobResult.first?.reason ?? "")")
    }

    @Test(arguments: DatabaseKind.underTest)
    func aReplayedPushReturnsTheFirstResultsAndChangesNothing(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let line = FieldService.id("5", 1)
        let ops = [
            Self.op(.insert, "WorkOrderLine", line, ["workOrderId": .string(FieldService.id("e", 1)),
                                                     "productId": .string(FieldService.id("d", 1)), "quantity": .integer(4)]),
            Self.op(.update, "WorkOrderLine", line, base: nil, ["quantity": .integer(5)]),
        ]
        let first = try await service.push(ops, claims: FieldService.annClaims)
        #expect(first.map(\.status) == [.applied, .applied])
        #expect(first[0].row?["productName"] == .string("Bolt"))
        let cursor = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor

        let replay = try await service.push(ops, claims: FieldService.annClaims)
        #expect(replay == first)
        let after = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: cursor)
        #expect(after.changes.isEmpty)
        // The same op ids from another client are that client's own ops.
        let other = try await service.push([ops[0]], claims: FieldService.annClaims, client: "device-2")
        #expect(other.first?.status == .conflict)
    }

    @Test(arguments: DatabaseKind.underTest)
    func staleBaseVersionsFollowTheEntitysConflictPolicy(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let order = FieldService.id("e", 1)
        let line = FieldService.id("f", 1)
        let orderBase = try await version(service, "WorkOrder", order)
        let lineBase = try await version(service, "WorkOrderLine", line)
        try await FieldService.sql(service.database, "UPDATE work_orders SET notes = 'office note' WHERE id = '\(order)'")
        try await FieldService.sql(service.database, "UPDATE work_order_lines SET quantity = 9 WHERE id = '\(line)'")

        let results = try await service.push([
            // WorkOrder is server-wins: a conflict carrying the server's row.
            Self.op(.update, "WorkOrder", order, base: orderBase, ["notes": .string("device note")]),
            // WorkOrderLine is last-write-wins: the device's columns apply over the newer row.
            Self.op(.update, "WorkOrderLine", line, base: lineBase, ["quantity": .integer(3)]),
        ], claims: FieldService.annClaims)
        #expect(results[0].status == .conflict)
        #expect(results[0].row?["notes"] == .string("office note"))
        #expect(results[0].version.map { $0 > orderBase! } == true)
        #expect(results[1].status == .applied)
        #expect(results[1].row?["quantity"] == .integer(3))

        // Deleted on the server: an update conflicts with no row, a delete is already done.
        try await FieldService.sql(service.database, "DELETE FROM work_orders WHERE id = '\(order)'")
        let gone = try await service.push([
            Self.op(.update, "WorkOrder", order, base: results[0].version, ["notes": .string("late")]),
            Self.op(.delete, "WorkOrder", order, base: results[0].version),
        ], claims: FieldService.annClaims)
        #expect(gone[0].status == .conflict)
        #expect(gone[0].row == nil)
        #expect(gone[1].status == .applied)
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRowMayLeaveTheSubsetByItsOwnConditions(_ kind: DatabaseKind) async throws {
        let service = try await FieldService.service(kind)
        try await FieldService.seed(service.database)
        let order = FieldService.id("e", 1)
        let base = try await version(service, "WorkOrder", order)
        let start = try await service.pullAll("jobs", claims: FieldService.annClaims)
        let results = try await service.push([Self.op(.update, "WorkOrder", order, base: base, ["status": .string("cancelled")])],
                                             claims: FieldService.annClaims)
        #expect(results.first?.status == .applied)
        let after = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: start.cursor)
        #expect(after.changes.keys("WorkOrder", .remove) == [order])
    }
}
