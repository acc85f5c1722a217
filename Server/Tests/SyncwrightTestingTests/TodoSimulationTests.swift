import Foundation
import Syncwright
import SyncwrightServer
import SyncwrightTesting
import Testing

/// docs/testing.md's example, as an app team writes it: the Todo example's generated
/// model (the golden files, through a link) and schema, under the fault simulator.
@Suite("Fault simulator on another schema")
struct TodoSimulationTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appending(path: "Examples/Todo/Sources/TodoModel/syncwright.yaml").path
    static let kim = "11111111-0000-4000-8000-000000000001", lee = "22222222-0000-4000-8000-000000000002"

    @Test("two users' devices edit todos offline under faults; nothing is lost", arguments: [UInt64(11), 12])
    func todosSurviveFaults(seed: UInt64) async throws {
        let simulator = FaultSimulator(.init(
            schema: try SyncServer.loadSchema(Self.schema), model: TodoOwner.model,
            users: [.init(name: "kim", claims: ["sub": .string(Self.kim)], devices: 2),
                    .init(name: "lee", claims: ["sub": .string(Self.lee)], devices: 1)],
            seed: seed, rounds: 150
        ) { database in
            try await database.write { db in
                for (list, owner) in [("aaaaaaaa-0000-4000-8000-000000000001", Self.kim), ("aaaaaaaa-0000-4000-8000-000000000002", Self.lee)] {
                    try await db.execute("INSERT INTO todo_lists (id, owner_id, title) VALUES ('\(list)', '\(owner)', 'Groceries')")
                }
            }
        })
        do {
            let report = try await simulator.run()
            #expect(report.applied > 0)
        } catch let failure as SimulationFailure {
            Issue.record("\(failure)")
        }
    }
}
