import ArgumentParser
import Foundation
import SyncwrightTesting

/// `syncwright-simulate`: the fault simulator on the FieldService example, for long runs.
///
///     swift run --package-path Server syncwright-simulate --rounds 10000
///     swift run --package-path Server syncwright-simulate --seed 42 --runs 50 --faults heavy
@main
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncwright-simulate",
        abstract: "Runs the deterministic fault simulation of the FieldService example and checks that nothing is lost.")

    enum FaultMix: String, ExpressibleByArgument, CaseIterable {
        case none, normal, heavy
    }

    @Option(help: "The first seed (random when left out).")
    var seed: UInt64?

    @Option(help: "Rounds of edits, syncs and faults per run.")
    var rounds = 1000

    @Option(help: "Runs, with seeds counting up from --seed.")
    var runs = 1

    @Option(help: "The fault mix: \(FaultMix.allCases.map(\.rawValue).joined(separator: ", ")).")
    var faults: FaultMix = .normal

    mutating func run() async throws {
        let first = seed ?? UInt64.random(in: 0..<UInt64.max / 2)
        let mix: FaultSimulator.Faults = switch faults {
        case .none: .none
        case .normal: .init()
        case .heavy: FieldServiceScenario.heavyFaults
        }
        for index in 0..<UInt64(max(1, runs)) {
            let seed = first &+ index
            let started = Date()
            do {
                let report = try await FaultSimulator(try FieldServiceScenario.configuration(seed: seed, rounds: rounds, faults: mix)).run()
                print("seed \(seed): passed in \(String(format: "%.1f", Date().timeIntervalSince(started))) s: \(report)")
            } catch let failure as SimulationFailure {
                print(failure)
                throw ExitCode.failure
            }
        }
    }
}
