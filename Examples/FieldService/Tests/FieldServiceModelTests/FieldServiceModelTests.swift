import FieldServiceModel
import Foundation
import Syncwright
import Testing

/// The code the build plugin generated from syncwright.yaml, compiled into FieldServiceModel.
@Suite("FieldService model")
struct FieldServiceModelTests {
    @Test("the technician subset's entities, units and access modes")
    func model() {
        let model = FieldServiceTechnician.model
        #expect(model.entities.map(\.name) == ["WorkOrder", "WorkOrderLine", "Customer", "Technician", "Product"])
        #expect(model.units.first?.name == "jobs")
        #expect(FieldServiceTechnician.Unit.jobs == "jobs")
        let constants: [SyncUnit] = [FieldServiceTechnician.Unit.jobs, FieldServiceTechnician.Unit.customer,
                                     FieldServiceTechnician.Unit.profile, FieldServiceTechnician.Unit.catalog]
        #expect(Set(constants.map(\.rawValue)) == Set(model.units.map(\.name)))
        #expect(WorkOrderSync.descriptor.access == .readWrite)
        #expect(ProductSync.descriptor.access == .readOnly)
    }

    @Test("a technician edits a work order offline")
    func offlineEdit() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "fieldservice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try openTechnicianStore(at: folder.appending(path: "device.sqlite").path())
        var order = WorkOrder(id: UUID(), number: 1001, customerId: UUID(), status: .scheduled, scheduledFor: "2026-03-04")
        #expect(order.version == nil && order.updatedAt == nil, "a new row has no server version yet")
        try store.write { try $0.insert(order) }
        order.status = .inProgress
        order.notes = "Replaced the valve"
        try store.write { try $0.update(order) }
        try store.write { try $0.insert(WorkOrderLine(id: UUID(), workOrderId: order.id, productId: UUID(), quantity: 2)) }
        #expect(try store.pendingChanges().map(\.kind) == [.insert, .insert])
        let fetched = try store.read { try WorkOrder.fetchOne($0, key: order.id) }
        #expect(fetched?.status == .inProgress)
        #expect(fetched?.scheduledFor == SyncDate(year: 2026, month: 3, day: 4))
        let stored = try store.read { try String.fetchOne($0, sql: "SELECT scheduledFor FROM work_orders") }
        #expect(stored == "2026-03-04", "a date is stored as YYYY-MM-DD")
    }

    @Test("a pulled row's version, update time and date are readable on the generated struct")
    func serverManagedValues() async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "fieldservice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try openTechnicianStore(at: folder.appending(path: "device.sqlite").path())
        let id = UUID()
        let row: [String: JSONValue] = [
            "id": .string(id.uuidString.lowercased()), "number": .integer(7), "customerId": .string(UUID().uuidString.lowercased()),
            "assigneeId": .string(UUID().uuidString.lowercased()), "status": .string("open"), "scheduledFor": .string("2026-12-31"),
            "notes": .null, "signature": .null, "photo": .null, "customerName": .string("Acme"), "customerPhone": .null,
            "updatedAt": .string("2026-12-03T10:20:30.456Z"),
        ]
        try await store.applyPulledPage(PullResponse(changes: [PullChange(entity: "WorkOrder", op: .put, key: row["id"]!, row: row, version: 42)],
                                                     units: ["jobs": "c1"], more: false), unit: "jobs")
        let order = try #require(try await store.read { try WorkOrder.fetchOne($0, key: id) })
        #expect(order.version == 42)
        #expect(order.updatedAt.map { abs($0.timeIntervalSince1970 - 1_796_293_230.456) < 0.001 } == true)
        #expect(order.scheduledFor == "2026-12-31")
        #expect(order.scheduledFor.map { $0 > SyncDate(year: 2026, month: 12, day: 30)! } == true)
        // Writing the row back never sends the server-managed values.
        var changed = order
        changed.notes = "gate code"
        let edited = changed
        try await store.write { try $0.update(edited) }
        #expect(try await store.pendingChanges().first?.changedColumns == ["notes"])
    }
}
