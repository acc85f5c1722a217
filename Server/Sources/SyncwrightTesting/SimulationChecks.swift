import Foundation
import Syncwright

/// The end of a simulation: faults stop, every device settles, then the checkers run.
struct SimulationChecks {
    let world: SimulationWorld
    let devices: [SimulatedDevice]

    func healAndCheck() async throws {
        world.faultsOn.withValue { $0 = false }
        world.setRound(0)
        world.trace(nil, "healing: no more faults")
        try await world.deliverDelayedPushes()
        // Each device pushes what it holds; then the app settles what the server refused
        // or kept for it, and every device syncs twice more so all see the last writes.
        for _ in 0..<2 {
            for device in devices { _ = try await device.sync() }
        }
        for device in devices {
            for rejected in try device.store.rejectedChanges() {
                world.settleVisibly(device: device.index, row: RowID(entity: rejected.entity, key: rejected.key.jsonText))
                try device.store.discard(rejected)
            }
            for conflict in try device.store.conflicts() {
                world.settleVisibly(device: device.index, row: RowID(entity: conflict.entity, key: conflict.key.jsonText))
                try device.store.resolve(conflict, .keepServer)
            }
        }
        for _ in 0..<2 {
            for device in devices {
                do {
                    _ = try await device.engine.sync()
                } catch {
                    world.problem("\(world.devices[device.index].name) can't sync without faults: \(error)")
                }
            }
        }
        try await checkNothingStuck()
        try await checkNothingLost()
        try await checkConvergence()
    }

    /// No queue is stuck: with faults gone, every outbox empties.
    private func checkNothingStuck() async throws {
        for device in devices {
            let pending = try device.store.pendingChanges()
            if !pending.isEmpty {
                world.problem("\(world.devices[device.index].name) still has \(pending.count) pending changes after healing: "
                    + pending.prefix(3).map { "\($0.kind.rawValue) \($0.entity) \($0.key.jsonText)" }.joined(separator: ", "))
            }
        }
    }

    /// Every local change was applied, or refused or reported to the app. A delete whose
    /// row the server doesn't hold is done either way.
    private func checkNothingLost() async throws {
        let ledgers = world.snapshot.ledgers
        for device in devices {
            for (row, ledger) in ledgers[device.index].sorted(by: { $0.key.description < $1.key.description }) {
                if ledger.deleted, ledger.columns.isEmpty {
                    let keys = try await world.serverKeys(row.entity)
                    if !keys.contains(where: { $0.jsonText == row.key }) { continue }
                }
                let what = ledger.deleted ? "its delete" : ledger.columns.keys.sorted().joined(separator: ", ")
                world.problem("\(world.devices[device.index].name) lost a write to \(row) (\(what)): never applied, refused or reported")
            }
        }
    }

    /// Every device holds exactly its user's subset: the same rows, values and versions
    /// a download from scratch gives it now.
    private func checkConvergence() async throws {
        let units = world.configuration.model.units.map(\.name)
        for device in devices {
            let name = world.devices[device.index].name
            let expected = try await world.subsetRows(claims: world.claims(device: device.index), units: units)
            let actual = try device.allRows()
            for row in Set(actual.keys).subtracting(expected.keys).sorted(by: { $0.description < $1.description }) {
                world.problem("\(name) holds \(row), which is not in its subset")
            }
            for row in Set(expected.keys).subtracting(actual.keys).sorted(by: { $0.description < $1.description }) {
                world.problem("\(name) misses \(row) of its subset")
            }
            for (row, change) in expected {
                guard let local = actual[row], let server = change.row else { continue }
                let descriptor = world.configuration.model.entities.first { $0.name == row.entity }
                for column in descriptor?.columns ?? [] where (server[column.name] ?? .null) != (local[column.name] ?? .null) {
                    world.problem("\(name) holds \(row) \(column.name) = \((local[column.name] ?? .null).jsonText), the server \((server[column.name] ?? .null).jsonText)")
                }
                if local["version"] != change.version.map(JSONValue.integer) {
                    world.problem("\(name) holds \(row) at version \((local["version"] ?? .null).jsonText), the server at \(change.version ?? -1)")
                }
            }
        }
    }
}
