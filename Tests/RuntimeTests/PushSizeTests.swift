import Foundation
import GRDB
import Testing
@testable import Syncwright

/// No stall by size: batches are bounded by bytes as well as by count, a `413` splits
/// the batch, and a change too large on its own is set aside instead of blocking every
/// change behind it on every sync.
@Suite("Push size")
struct PushSizeTests {
    static func text(_ kilobytes: Int) -> String { String(repeating: "x", count: kilobytes * 1024) }

    @Test("a batch stops before the change that would pass its byte bound; a large change goes alone")
    func batchesAreBoundedByBytes() async throws {
        let harness = try Harness()
        for size in [1, 1, 30, 1, 1] {
            try harness.write { try $0.insert(TaskItem(title: Self.text(size))) }
        }
        var batches: [Int] = []
        var inFlight: [PushOperation] = []
        while true {
            let batch: [PushOperation] = try await harness.store.nextPushBatch(limit: 100, maximumBytes: 8 * 1024, after: inFlight)
            if batch.isEmpty { break }
            batches.append(batch.count)
            inFlight += batch
        }
        #expect(batches == [2, 1, 2], "the 30 KB change travels alone, the small ones together")
    }

    @Test("a 413 splits the batch; a change the server refuses alone is set aside as too_large and the rest go on")
    func a413SplitsTheBatch() async throws {
        let harness = try Harness(configuration: SyncConfiguration(pushBatchSize: 100, pullPageSize: 1000, maximumPushBytes: 1 << 30))
        let small = (0..<6).map { TaskItem(title: "small \($0)") }
        let huge = TaskItem(title: Self.text(64))
        for task in small.prefix(3) { try harness.write { try $0.insert(task) } }
        try harness.write { try $0.insert(huge) }
        for task in small.suffix(3) { try harness.write { try $0.insert(task) } }
        await harness.server.configure { server in
            // More than two ops, or any op over 32 KB, is too large for this server.
            server.tooLarge = { request in
                request.ops.count > 2 || request.ops.contains { ($0.values?["title"]?.stringValue?.utf8.count ?? 0) > 32 * 1024 }
            }
        }
        let report = try await harness.engine.sync()
        #expect(report.pushed == 6)
        #expect(report.changes.filter { $0.outcome == .refused(.tooLarge) }.map(\.row.key) == [.uuid(huge.id)])
        for task in small { #expect(await harness.server.row("TaskItem", task.id) != nil) }
        #expect(await harness.server.row("TaskItem", huge.id) == nil)
        let rejected = try harness.store.rejectedChanges()
        #expect(rejected.map(\.code) == [.tooLarge])
        #expect(rejected.first?.reason.contains("413") == true)
        #expect(try await harness.store.pendingChangeCount() == 0, "nothing is stuck behind the large change")

        // The next sync sends nothing again: the large change waits for the app.
        let before = await harness.server.refusedAsTooLarge.count
        let again = try await harness.engine.sync()
        #expect(again.changes.isEmpty)
        #expect(await harness.server.refusedAsTooLarge.count == before)
        // Made smaller, it goes.
        var smaller = huge
        smaller.title = "a shorter note"
        try harness.store.discard(try #require(rejected.first))
        try harness.write { try $0.insert(smaller) }
        #expect(try await harness.engine.sync().pushed == 1)
    }
}
