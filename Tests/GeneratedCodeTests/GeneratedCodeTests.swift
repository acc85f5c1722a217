import Foundation
import Syncwright
import Testing

/// The golden files, compiled (through the symlinked folders beside this file) and
/// used against the real runtime.
@Suite("Generated code")
struct GeneratedCodeTests {
    final class Folder: @unchecked Sendable {
        let url = FileManager.default.temporaryDirectory.appending(path: "syncwright-generated-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        func path(_ name: String) -> String { url.appending(path: name).path() }
        deinit { try? FileManager.default.removeItem(at: url) }
    }

    @Test("the registry lists the subset's entities with their settings")
    func registry() {
        let model = FieldServiceTechnician.model
        #expect(model.subset == "technician")
        #expect(model.schemaHash == FieldServiceTechnician.schemaHash)
        #expect(model.schemaHash.count == 64)
        #expect(model.entities.map(\.name) == ["WorkOrder", "WorkOrderLine", "Customer", "Technician", "Product"])
        #expect(model.units.map(\.name) == ["jobs", "Customer", "catalog", "profile"])
        #expect(WorkOrderSync.descriptor.access == .readWrite)
        #expect(CustomerSync.descriptor.access == .readOnly)
        #expect(WorkOrderLineSync.descriptor.conflictPolicy == .lastWriteWins)
    }

    @Test("writing a read-write entity lands in the outbox")
    func writes() throws {
        let folder = try Folder()
        let store = try SyncStore(path: folder.path("fs.sqlite"), model: FieldServiceTechnician.model)
        let order = WorkOrder(id: UUID(), number: 42, customerId: UUID(), status: .scheduled)
        try store.write { try $0.insert(order) }
        var changed = order
        changed.status = .inProgress
        changed.notes = "Parts ordered"
        try store.write { try $0.update(changed) }
        let pending = try store.pendingChanges()
        #expect(pending.map(\.entity) == ["WorkOrder"])
        #expect(pending.first?.kind == .insert)
        let stored = try store.read { try WorkOrder.fetchOne($0, key: order.id) }
        #expect(stored == changed)
        // Columns are usable in queries.
        let open = try store.read { try WorkOrder.filter(WorkOrder.Columns.status == WorkOrder.Status.inProgress.rawValue).fetchCount($0) }
        #expect(open == 1)
    }

    @Test("pulled rows decode into the generated types, includes and enums included")
    func pulledRows() throws {
        let folder = try Folder()
        let store = try SyncStore(path: folder.path("fs.sqlite"), model: FieldServiceTechnician.model)
        let id = UUID()
        let customer = UUID()
        try store.applyPulledPage(PullResponse(changes: [
            PullChange(entity: "WorkOrder", op: .put, key: .string(id.uuidString), row: [
                "id": .string(id.uuidString), "number": .integer(7), "customerId": .string(customer.uuidString),
                "assigneeId": .null, "status": .string("done"), "scheduledFor": .string("2024-06-01"),
                "notes": .null, "signature": .string("AAEC"), "photo": .null, "customerName": .string("Acme"), "customerPhone": .null,
            ], version: 3),
        ], units: ["jobs": "1"], more: false), unit: "jobs")
        let order = try #require(try store.read { try WorkOrder.fetchOne($0, key: id) })
        #expect(order.status == .done)
        #expect(order.customerName == "Acme")
        #expect(order.customerPhone == nil)
        #expect(order.scheduledFor == "2024-06-01")
        #expect(order.signature == Data([0, 1, 2]))
        #expect(order.photo == nil)
        #expect(WorkOrder.Status.allCases.map(\.rawValue) == ["open", "scheduled", "inProgress", "done", "cancelled"])
        let wire = try WorkOrderSync.wireValues(from: order)
        #expect(wire["status"] == .string("done"))
        #expect(wire["customerName"] == nil)
    }

    @Test("schema defaults become initializer defaults")
    func defaults() {
        let product = Product(id: UUID(), sku: "S-1", name: "Valve", unitPrice: 12.5)
        #expect(product.unitPrice == 12.5)
        let order = WorkOrder(id: UUID(), number: 1, customerId: UUID())
        #expect(order.status == .open)
        let list = TodoList(id: UUID(), ownerId: UUID(), title: "Groceries")
        #expect(list.archived == false)
    }

    @Test("keyword names compile and round-trip through the store")
    func keywords() throws {
        let folder = try Folder()
        let store = try SyncStore(path: folder.path("keywords.sqlite"), model: KeywordsStatic.model)
        let value = `Protocol`(id: UUID(), class: "c", default: 3, self: true, is: .where, return: "2024-01-01")
        try store.write { try $0.insert(value) }
        let fetched = try store.read { try `Protocol`.fetchOne($0, key: value.id) }
        #expect(fetched == value)
        #expect(fetched?.is == .where)
        #expect(fetched?.in == 1.5)
        #expect(`Protocol`.Is.allCases.map(\.rawValue) == ["default", "case", "self", "where", "plain"])
        try store.write { try $0.insert(Extension(id: "e1", ownerId: value.id)) }
        #expect(try store.pendingChanges().map(\.entity) == ["Protocol", "Extension"])
        #expect(ExtensionSync.descriptor.access == .insertOnly)
    }
}

@Suite("Generated documentation")
struct GeneratedDocumentationTests {
    /// The generator states each local table's DDL in the Sync action's doc comment; it
    /// must be what the runtime really creates.
    @Test("the DDL in the doc comments is the runtime's", arguments: [
        ("WorkOrder", WorkOrderSync.descriptor.createTableSQL),
        ("WorkOrderLine", WorkOrderLineSync.descriptor.createTableSQL),
        ("Customer", CustomerSync.descriptor.createTableSQL),
        ("Technician", TechnicianSync.descriptor.createTableSQL),
        ("Product", ProductSync.descriptor.createTableSQL),
    ])
    func ddl(entity: String, runtimeDDL: String) throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "FieldService")
        let text = try FileManager.default.contentsOfDirectory(atPath: folder.path())
            .map { try String(contentsOf: folder.appending(path: $0), encoding: .utf8) }.joined()
        let marker = "/// The Sync action of ``\(entity)``: its local table, columns and sync settings.\n"
        let start = try #require(text.range(of: marker), "no Sync action doc for \(entity)")
        let table = try #require(text[start.upperBound...].range(of: "/// The local table: `"))
        let documented = text[table.upperBound...].prefix { $0 != "`" }
        #expect(String(documented) == runtimeDDL)
    }
}

@Suite("Generated types and wire values")
struct GeneratedWireTests {
    @Test("json, decimal, timestamp and blob values survive a local write, a push encoding and a pull")
    func roundTrip() throws {
        let folder = try GeneratedCodeTests.Folder()
        let store = try SyncStore(path: folder.path("types.sqlite"), model: KeywordsStatic.model)
        let owner = `Protocol`(id: UUID(), class: "c", self: false, case: Date(timeIntervalSince1970: 1_700_000_000.125),
                               protocol: Decimal(string: "12345.678"))
        let payload = JSONValue.object(["tags": .array([.string("a"), .integer(2)]), "ok": .bool(true)])
        let ext = Extension(id: "e1", ownerId: owner.id, struct: payload, init: Data([1, 2, 3]))
        try store.write { transaction in
            try transaction.insert(owner)
            try transaction.insert(ext)
        }
        #expect(try store.read { try Extension.fetchOne($0, key: "e1") } == ext)
        #expect(try store.read { try `Protocol`.fetchOne($0, key: owner.id) } == owner)

        // What a push sends.
        let ownerWire = try ProtocolSync.wireValues(from: owner)
        #expect(ownerWire["case"] == .string("2023-11-14T22:13:20.125Z"))
        #expect(ownerWire["protocol"] == .string("12345.678"))
        let extWire = try ExtensionSync.wireValues(from: ext)
        #expect(extWire["struct"] == payload)
        #expect(extWire["init"] == .string("AQID"))

        // What a pull brings, back into the generated types.
        try store.applyPulledPage(PullResponse(changes: [
            PullChange(entity: "Extension", op: .put, key: .string("e2"), row: [
                "id": .string("e2"), "ownerId": .string(owner.id.uuidString), "struct": payload, "init": .string("AQID"),
                "ownerClass": .string("c"), "ownerIs": .string("where"),
            ], version: 1),
        ], units: [:], more: false), unit: "Extension")
        let pulled = try #require(try store.read { try Extension.fetchOne($0, key: "e2") })
        #expect(pulled.struct == payload)
        #expect(pulled.`init` == Data([1, 2, 3]))
        #expect(pulled.ownerIs == "where")
    }
}
