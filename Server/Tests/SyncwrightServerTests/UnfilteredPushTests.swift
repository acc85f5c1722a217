import Foundation
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// An entity without a row filter: its written rows are read back once per push.
@Suite("Push to an entity without a filter")
struct UnfilteredPushTests {
    static let schemaText = """
        syncwright: 1
        name: Notes
        entities:
          Note:
            fields:
              id: uuid
              text: string
              pinned: { type: bool, default: false }
        subsets:
          everyone:
            entities:
              Note: { access: read-write, conflict: last-write-wins }
        """

    @Test(arguments: DatabaseKind.allCases)
    func writtenRowsComeBackWithTheirVersions(_ kind: DatabaseKind) async throws {
        let result = SchemaLoader.load(SchemaFile(path: "notes.yaml", text: Self.schemaText))
        let schema = try #require(result.model, "\(result.diagnostics)")
        let service = SyncService(schema: schema, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await service.prepare()
        let (a, b) = (UUID().uuidString.lowercased(), UUID().uuidString.lowercased())
        func insert(_ id: String, _ text: String, opId: String) -> PushOperation {
            PushOperation(opId: opId, entity: "Note", kind: .insert, key: .string(id), baseVersion: nil,
                          values: ["id": .string(id), "text": .string(text)])
        }
        let request = PushRequest(clientId: "c", subset: "everyone", schemaHash: schema.schemaHash, ops: [
            insert(a, "first", opId: "1"),
            insert(b, "second", opId: "2"),
            PushOperation(opId: "3", entity: "Note", kind: .update, key: .string(b), baseVersion: nil, values: ["text": .string("changed")]),
            PushOperation(opId: "4", entity: "Note", kind: .insert, key: .string(a), baseVersion: nil, values: ["id": .string(a), "text": .string("again")]),
        ])
        let results = try await service.push(request, claims: [:]).results
        #expect(results.map(\.status) == [.applied, .applied, .applied, .conflict])
        #expect(results[0].row?["text"] == .string("first"))
        #expect(results[0].row?["pinned"] == .bool(false))
        #expect(results[0].version != nil)
        #expect(results[1].row?["text"] == .string("second"))
        #expect(results[2].row?["text"] == .string("changed"))
        #expect(results[2].version.map { $0 > results[1].version! } == true)
        #expect(results[3].row?["text"] == .string("first"))
        // A replay answers the same, read-back rows included.
        #expect(try await service.push(request, claims: [:]).results == results)
        let pulled = try await service.pull(PullRequest(subset: "everyone", schemaHash: schema.schemaHash, units: ["Note": nil], limit: 10),
                                            claims: [:])
        #expect(Set(pulled.changes.compactMap { $0.row?["text"] }) == [.string("first"), .string("changed")])
    }
}
