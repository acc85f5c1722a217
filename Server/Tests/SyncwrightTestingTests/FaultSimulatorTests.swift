import Foundation
import Syncwright
import SyncwrightSchema
import SyncwrightServer
@testable import SyncwrightTesting
import Testing
@testable import syncwright_simulate

/// The fault simulator on the FieldService example (`FieldServiceScenario`): its
/// generated model and schema, three technicians with five devices.
///
/// CI runs a few fixed seeds; `SYNCWRIGHT_SIMULATION_SEEDS=N` runs N seeds from a
/// random start and `SYNCWRIGHT_SIMULATION_ROUNDS=R` sets the rounds (the long run);
/// `SYNCWRIGHT_SIMULATION_SEED=S` runs seed S alone (to reproduce a failure).
@Suite("Fault simulator")
struct FaultSimulatorTests {
    static var seeds: [UInt64] {
        if let seed = ProcessInfo.processInfo.environment["SYNCWRIGHT_SIMULATION_SEED"].flatMap(UInt64.init) {
            return [seed]
        }
        if let count = ProcessInfo.processInfo.environment["SYNCWRIGHT_SIMULATION_SEEDS"].flatMap(Int.init) {
            let start = UInt64.random(in: 0..<UInt64.max / 2)
            return (0..<UInt64(count)).map { start + $0 }
        }
        return [1, 2, 3, 4]
    }

    /// Fault rates from `SYNCWRIGHT_SIMULATION_FAULTS=heavy`: three times the default.
    static var faults: FaultSimulator.Faults {
        ProcessInfo.processInfo.environment["SYNCWRIGHT_SIMULATION_FAULTS"] == "heavy" ? FieldServiceScenario.heavyFaults : .init()
    }

    static var rounds: Int {
        ProcessInfo.processInfo.environment["SYNCWRIGHT_SIMULATION_ROUNDS"].flatMap(Int.init) ?? 120
    }

    static func configuration(seed: UInt64, rounds: Int, faults: FaultSimulator.Faults = .init()) throws -> FaultSimulator.Configuration {
        try FieldServiceScenario.configuration(seed: seed, rounds: rounds, faults: faults)
    }

    @Test("a seeded run under faults loses nothing, duplicates nothing, sticks nowhere and converges", arguments: seeds)
    func seededRun(seed: UInt64) async throws {
        do {
            let report = try await FaultSimulator(try Self.configuration(seed: seed, rounds: Self.rounds, faults: Self.faults)).run()
            // The run did what it claims: faults happened and the devices worked.
            #expect(report.localChanges > 0)
            #expect(report.applied > 0)
            #expect(report.droppedRequests + report.droppedAnswers + report.duplicates + report.deviceKills > 0)
            print("seed \(seed): \(report)")
        } catch let failure as SimulationFailure {
            Issue.record("\(failure)")
        }
    }

    @Test("without faults the devices converge too")
    func noFaults() async throws {
        let report = try await FaultSimulator(try Self.configuration(seed: 99, rounds: 60, faults: .none)).run()
        #expect(report.droppedRequests + report.droppedAnswers + report.duplicates + report.deviceKills == 0)
        #expect(report.applied > 0)
    }

    @Test("the same seed runs the same simulation")
    func deterministic() async throws {
        let configuration = try Self.configuration(seed: 7, rounds: 40)
        let first = try await FaultSimulator(configuration).runOnce(rounds: 40)
        let second = try await FaultSimulator(configuration).runOnce(rounds: 40)
        #expect(first.report == second.report)
        #expect(first.trace.count == second.trace.count)
    }
}

