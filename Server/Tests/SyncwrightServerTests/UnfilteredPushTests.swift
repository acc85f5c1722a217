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

    @Test(arguments: DatabaseKind.underTest)
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
        // An answer's row is the row a pull delivers, updatedAt and version included.
        let pulledByKey = Dictionary(uniqueKeysWithValues: pulled.changes.map { ($0.key, $0) })
        #expect(pulledByKey[.string(a)]?.row == results[0].row)
        #expect(pulledByKey[.string(a)]?.version == results[0].version)
        #expect(pulledByKey[.string(b)]?.row == results[2].row)
        #expect(pulledByKey[.string(b)]?.version == results[2].version)
    }

    /// Inserts that can't be rejected after writing go in many rows to a statement on
    /// SQLite; each still gets the answer it would get alone.
    @Test(arguments: DatabaseKind.underTest)
    func insertsWrittenTogetherAnswerOneByOne(_ kind: DatabaseKind) async throws {
        let result = SchemaLoader.load(SchemaFile(path: "notes.yaml", text: Self.schemaText))
        let schema = try #require(result.model, "\(result.diagnostics)")
        let database = try await TestDatabases.make(kind)
        let service = SyncService(schema: schema, database: database, logger: TestDatabases.logger)
        try await service.prepare()
        // A rule of the database that the schema doesn't state.
        let table = database.dialect.quote(try #require(schema.entity(named: "Note")).tableName)
        try await database.write { try await $0.execute("CREATE UNIQUE INDEX notes_unique_text ON \(table) (text)") }
        let ids = (0..<6).map { _ in UUID().uuidString.lowercased() }
        func insert(_ index: Int, _ text: String, opId: String, pinned: Bool? = nil) -> PushOperation {
            var values: [String: JSONValue] = ["id": .string(ids[index]), "text": .string(text)]
            if let pinned { values["pinned"] = .bool(pinned) }
            return PushOperation(opId: opId, entity: "Note", kind: .insert, key: .string(ids[index]), baseVersion: nil, values: values)
        }
        let first = try await service.push(PushRequest(clientId: "c", subset: "everyone", schemaHash: schema.schemaHash,
                                                       ops: [insert(2, "already there", opId: "0")]), claims: [:])
        #expect(first.results.map(\.status) == [.applied])
        let results = try await service.push(PushRequest(clientId: "c", subset: "everyone", schemaHash: schema.schemaHash, ops: [
            insert(0, "zero", opId: "1"),
            insert(1, "one", opId: "2"),
            insert(2, "taken key", opId: "3"),
            insert(3, "zero", opId: "4"),  // breaks the unique index
            insert(4, "four", opId: "5", pinned: true),  // other columns: a statement of its own
            insert(5, "five", opId: "6"),
            insert(5, "five", opId: "6"),  // the same op twice: answered once
        ]), claims: [:]).results
        #expect(results.map(\.status) == [.applied, .applied, .conflict, .rejected, .applied, .applied, .applied])
        #expect(results[2].row?["text"] == .string("already there"))
        #expect(results[2].version == first.results[0].version)
        #expect(results[3].code == "constraint_violation")
        #expect(results[4].row?["pinned"] == .bool(true))
        #expect(results[5] == results[6])
        for index in [0, 1, 4, 5] {
            #expect(results[index].version != nil && results[index].row?["id"] == .string(ids[index]))
        }
        let pulled = try await service.pull(PullRequest(subset: "everyone", schemaHash: schema.schemaHash, units: ["Note": nil], limit: 10),
                                            claims: [:])
        #expect(Set(pulled.changes.compactMap { $0.row?["text"] }) == [.string("already there"), .string("zero"), .string("one"),
                                                                         .string("four"), .string("five")])
    }
}
