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
        #expect(WorkOrderSync.descriptor.access == .readWrite)
        #expect(ProductSync.descriptor.access == .readOnly)
    }

    @Test("a technician edits a work order offline")
    func offlineEdit() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "fieldservice-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try openTechnicianStore(at: folder.appending(path: "device.sqlite").path())
        var order = WorkOrder(id: UUID(), number: 1001, customerId: UUID(), status: .scheduled)
        try store.write { try $0.insert(order) }
        order.status = .inProgress
        order.notes = "Replaced the valve"
        try store.write { try $0.update(order) }
        try store.write { try $0.insert(WorkOrderLine(id: UUID(), workOrderId: order.id, productId: UUID(), quantity: 2)) }
        #expect(try store.pendingChanges().map(\.kind) == [.insert, .insert])
        let fetched = try store.read { try WorkOrder.fetchOne($0, key: order.id) }
        #expect(fetched?.status == .inProgress)
    }
}
