import Foundation
import GRDB
import Syncwright
import SyncwrightServer
@testable import SyncwrightTesting
import Testing
@testable import syncwright_simulate

/// Each checker of the fault simulator, shown a world in which its property is broken.
@Suite("Fault simulator's checkers")
struct SimulationCheckTests {
    /// A seeded world with faults off, in a temporary folder.
    private func world() async throws -> (SimulationWorld, [SimulatedDevice], URL) {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-checks-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let simulator = FaultSimulator(try FaultSimulatorTests.configuration(seed: 1, rounds: 0, faults: .none))
        let (world, devices) = try await simulator.makeWorld(folder: folder)
        world.faultsOn.withValue { $0 = false }
        for device in devices { _ = try await device.sync() }
        return (world, devices, folder)
    }

    private let order = JSONValue.string(Seed.id("e", 1))

    @Test("a conflict nobody else caused is a problem; one after another writer's change is not")
    func conflictChecker() async throws {
        let (world, _, folder) = try await world()
        defer { try? FileManager.default.removeItem(at: folder) }
        let op = PushOperation(opId: "op-1", entity: "WorkOrder", kind: .update, key: order, baseVersion: 5, values: ["notes": .string("x")])
        world.observePush(device: 0, request: PushRequest(clientId: "c", subset: "technician", schemaHash: "h", ops: [op]),
                          response: PushResponse(results: [PushResult(opId: "op-1", status: .conflict, version: 9)]))
        #expect(world.snapshot.problems.count == 1)
        #expect(world.snapshot.problems.first?.contains("nobody else wrote the row") == true)

        world.recordSystemWrite(row: RowID(entity: "WorkOrder", key: order.jsonText), version: 9)
        let second = PushOperation(opId: "op-2", entity: "WorkOrder", kind: .update, key: order, baseVersion: 5, values: ["notes": .string("y")])
        world.observePush(device: 0, request: PushRequest(clientId: "c", subset: "technician", schemaHash: "h", ops: [second]),
                          response: PushResponse(results: [PushResult(opId: "op-2", status: .conflict, version: 9)]))
        #expect(world.snapshot.problems.count == 1)
    }

    @Test("a replayed op answered differently is a problem")
    func replayChecker() async throws {
        let (world, _, folder) = try await world()
        defer { try? FileManager.default.removeItem(at: folder) }
        let op = PushOperation(opId: "op-1", entity: "WorkOrder", kind: .update, key: order, baseVersion: 5, values: ["notes": .string("x")])
        let request = PushRequest(clientId: "c", subset: "technician", schemaHash: "h", ops: [op])
        world.observePush(device: 0, request: request, response: PushResponse(results: [PushResult(opId: "op-1", status: .applied, version: 6)]))
        #expect(world.snapshot.problems.isEmpty)
        world.checkReplay(device: 0, request: request, response: PushResponse(results: [PushResult(opId: "op-1", status: .applied, version: 7)]))
        #expect(world.snapshot.problems.first?.contains("replayed as applied v7, first answered applied v6") == true)
    }

    @Test("a pulled row outside the caller's subset is a problem")
    func pullChecker() async throws {
        let (world, _, folder) = try await world()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Bob's order, sent to Ann's device (device 0).
        let bobs = PullChange(entity: "WorkOrder", op: .put, key: .string(Seed.id("e", 3)), row: ["id": .string(Seed.id("e", 3))], version: 1)
        try await world.observePull(device: 0, request: PullRequest(subset: "technician", schemaHash: "h", units: ["jobs": nil], limit: 10),
                                    page: PullResponse(changes: [bobs], units: [:], more: false))
        #expect(world.snapshot.problems.first?.contains("outside its subset") == true)
    }

    @Test("a change dropped from the outbox behind the engine's back is a lost write; a foreign row held is not convergence")
    func lostWriteAndConvergenceCheckers() async throws {
        let (world, devices, folder) = try await world()
        defer { try? FileManager.default.removeItem(at: folder) }
        let ann = devices[0]
        var changed = false
        for _ in 0..<20 where !changed {
            try await ann.editSomething()
            changed = try !ann.store.pendingChanges().isEmpty
        }
        #expect(changed)
        // Sabotage: the outbox loses its entries, and a row of Bob's appears on Ann's device.
        let queue = try DatabaseQueue(path: ann.path)
        try await queue.write { db in
            try db.execute(sql: "DELETE FROM syncwright_outbox")
            try db.execute(sql: """
                INSERT INTO customers (id, name, region, phone, version, updatedAt) VALUES (?, 'Globex', 'south', NULL, 1, '2026-01-01T00:00:00.000Z')
                """, arguments: [UUID(uuidString: Seed.id("c", 2))!])
        }
        try queue.close()

        try await SimulationChecks(world: world, devices: devices).healAndCheck()

        let problems = world.snapshot.problems
        #expect(problems.contains { $0.contains("ann#1 lost a write") }, "\(problems)")
        #expect(problems.contains { $0.contains("ann#1 holds Customer") && $0.contains("not in its subset") }, "\(problems)")
    }
}
