import Foundation
import Testing
@testable import Syncwright

/// The engine's queue against a model of it: while one sync runs (its pull held), random
/// requests for one unit or the other, some discarding what is queued; then the held
/// pull is released. The syncs that run, in order, must be the model's: a request equal
/// to one queued joins it, a discarding request empties the queue first, and nothing runs
/// twice or loops.
@Suite("Engine queue against its model")
struct EngineQueuePropertyTests {
    static var seeds: [UInt64] { SeededGenerator.seeds(default: 1...20) }

    @Test("queued syncs run as the model says", arguments: seeds)
    func queueFollowsModel(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        let harness = try Harness()
        await harness.server.configure { $0.holdPulls = true }
        let running = Task { try await harness.engine.sync(units: ["work"]) }
        try await waitUntil("the first sync's pull to wait on the server") { await harness.server.waitingPulls == 1 }

        var model: [String] = []
        var requests: [String] = []
        for _ in 0..<Int.random(in: 1...12, using: &random) {
            let unit = Bool.random(using: &random) ? "work" : "comments"
            let discard = Int.random(in: 0..<5, using: &random) == 0
            requests.append("\(unit)\(discard ? " (discarding)" : "")")
            await harness.engine.requestSync(units: [SyncUnit(unit)], discardPending: discard)
            if discard { model.removeAll() }
            if !model.contains(unit) { model.append(unit) }
        }
        await harness.server.releasePulls()
        _ = try await running.value

        let expected = ["work"] + model
        // Every queued request has run once the queue is empty; nothing else can start one.
        await harness.engine.waitUntilIdle()
        let ran = await harness.server.pullRequests.flatMap { $0.units.keys.sorted() }
        #expect(ran == expected, "seed \(seed), requests while the first sync ran: \(requests)")
    }
}
