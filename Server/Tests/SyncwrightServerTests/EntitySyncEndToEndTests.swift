import Foundation
import Syncwright
@testable import SyncwrightServer
import Testing

/// The generated per-entity Sync actions, hooks and queries (FieldServiceGenerated holds
/// the generated code of the FieldService schema) against the real server over loopback.
@Suite("Per-entity Sync actions end to end")
struct EntitySyncEndToEndTests {
    /// Collects a hook's events as text, in order.
    final class Events: Sendable {
        let lines = Locked<[String]>([])
        func append(_ line: String) { lines.withValue { $0.append(line) } }
        var all: [String] { lines.withValue { $0 } }
    }

    @Test(arguments: DatabaseKind.underTest)
    func refusedPulledAndRemovedRows(_ kind: DatabaseKind) async throws {
        let server = try await LiveServer.start(kind)
        try await FieldService.seed(server.database)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        let store = ann.store
        let events = Events()
        let hook = ann.engine.on(WorkOrder.self) { event in
            switch event {
            case .pulled(let order):
                // Called after the page's transaction: the store already has the row.
                let stored = try? store.read { db in try WorkOrder.fetchOne(db, key: order.id) }
                events.append("pulled \(order.number) \(order.customerName ?? "-") stored=\(stored?.number == order.number)")
            case .removed(let key):
                events.append("removed \(key)")
            case .applied(_, let kind, let order):
                events.append("applied \(kind) \(order?.number ?? 0)")
            case .refused(_, let kind, let code, _, let order):
                let kept = (try? WorkOrderSync.refused(in: store).count) ?? 0
                events.append("refused \(kind) \(order?.number ?? 0) \(code) kept=\(kept)")
            case .conflict(let conflict):
                events.append("conflict \(conflict.resolution)")
            }
        }

        let first = try await WorkOrderSync.sync(ann.engine)
        #expect(first.unit == "jobs")
        #expect(first.pulled == 1)
        #expect(first.changes.isEmpty)
        let customers = try await CustomerSync.pull(ann.engine)
        #expect(customers.pulled == 1)

        // An order for Bob made on Ann's phone: the server refuses it as someone else's.
        let forBob = WorkOrder(id: UUID(), number: 777, customerId: UUID(uuidString: FieldService.id("c", 1))!,
                               assigneeId: UUID(uuidString: FieldService.bob)!)
        var mine = try #require(try await store.read { db in try WorkOrder.fetchOne(db, key: UUID(uuidString: FieldService.id("e", 1))!) })
        mine.notes = "gate code 4411"
        let edited = mine
        try await store.write { transaction in
            try transaction.insert(forBob)
            try transaction.update(edited)
        }
        #expect(try WorkOrderSync.pending(in: store).map(\.kind) == [.insert, .update])
        let second = try await WorkOrderSync.sync(ann.engine)
        #expect(second.refused.map(\.refusalCode) == [.ownerMismatch])
        #expect(second.refused.first?.row?.number == 777)
        #expect(second.applied.map(\.row?.notes) == ["gate code 4411"])
        let refused = try WorkOrderSync.refused(in: store)
        #expect(refused.map(\.key) == [.uuid(forBob.id)])
        #expect(refused.first?.row?.number == 777)
        #expect(try WorkOrderSync.pending(in: store).isEmpty)

        // The office hands Ann's order to Bob: it leaves her phone.
        try await FieldService.sql(server.database,
            "UPDATE work_orders SET assignee_id = '\(FieldService.bob)' WHERE id = '\(FieldService.id("e", 1))'")
        let third = try await WorkOrderSync.pull(ann.engine)
        #expect(third.pulled == 1)
        await hook.idle()
        #expect(events.all == [
            "pulled 100 Acme stored=true",
            "refused insert 777 owner_mismatch kept=1",
            "applied update 100",
            // The pull after the push brings the device's own change back, as the server has it.
            "pulled 100 Acme stored=true",
            "removed \(FieldService.id("e", 1))",
        ])
        await server.stop()
    }

    @Test(arguments: [SyncConflictPolicy.serverWins, .clientWins, .lastWriteWins, .manual])
    func conflictUnderEveryPolicy(_ policy: SyncConflictPolicy) async throws {
        let server = try await LiveServer.start(.sqlite)
        try await FieldService.seed(server.database)
        let phone = try await Device(server: server, claims: FieldService.annClaims)
        let tablet = try await Device(server: server, claims: FieldService.annClaims, conflictPolicy: policy)
        try await WorkOrderSync.sync(phone.engine)
        try await WorkOrderSync.sync(tablet.engine)
        let key = UUID(uuidString: FieldService.id("e", 1))!

        var onPhone = try #require(try await phone.store.read { db in try WorkOrder.fetchOne(db, key: key) })
        onPhone.notes = "valve replaced"
        let phoneEdit = onPhone
        try await phone.store.write { try $0.update(phoneEdit) }
        try await WorkOrderSync.sync(phone.engine)
        var onTablet = try #require(try await tablet.store.read { db in try WorkOrder.fetchOne(db, key: key) })
        onTablet.status = .done
        let tabletEdit = onTablet
        try await tablet.store.write { try $0.update(tabletEdit) }

        let conflicts = Locked<[EntityConflictEvent<WorkOrder>]>([])
        let hook = tablet.engine.on(WorkOrder.self) { event in
            if case .conflict(let conflict) = event { conflicts.withValue { $0.append(conflict) } }
        }
        let result = try await WorkOrderSync.sync(tablet.engine)
        await hook.idle()
        #expect(result.conflicts.count == 1)
        let conflict = try #require(conflicts.withValue { $0.first })
        #expect(conflict.policy == policy)
        #expect(conflict.local?.number == 100)
        #expect(conflict.local?.status == .done)
        #expect(conflict.local?.notes == nil)
        #expect(conflict.server?.notes == "valve replaced")
        #expect(conflict.server?.status == .open)
        #expect(conflict.server?.version != nil)
        let onServer = { try await server.service.pullAll("jobs", claims: FieldService.annClaims).changes
            .first { $0.entity == "WorkOrder" && $0.key == .string(FieldService.id("e", 1)) }?.row }
        switch policy {
        case .serverWins:
            #expect(conflict.resolution == .serverKept)
            #expect(try await onServer()?["status"] == .string("open"))
        case .clientWins:
            #expect(conflict.resolution == .resent)
            try await WorkOrderSync.sync(tablet.engine)
            #expect(try await onServer()?["status"] == .string("done"))
        case .lastWriteWins:
            #expect(conflict.resolution == .resent)
            try await WorkOrderSync.sync(tablet.engine)
            #expect(try await onServer()?["status"] == .string("done"))
            #expect(try await onServer()?["notes"] == .string("valve replaced"))
        case .manual:
            #expect(conflict.resolution == .keptForApp)
            let pending = try #require(conflict.pending)
            #expect(try WorkOrderSync.conflicts(in: tablet.store).map(\.key) == [.uuid(key)])
            var merged = try #require(pending.server)
            merged.status = .done
            try pending.resolve(merging: merged, in: tablet.store)
            try await WorkOrderSync.sync(tablet.engine)
            #expect(try WorkOrderSync.conflicts(in: tablet.store).isEmpty)
            #expect(try await onServer()?["status"] == .string("done"))
            #expect(try await onServer()?["notes"] == .string("valve replaced"))
        }
        await server.stop()
    }
}
