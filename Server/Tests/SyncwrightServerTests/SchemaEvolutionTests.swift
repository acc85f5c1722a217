import Foundation
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// A schema the rest of the suite doesn't use, in the versions a team would deploy.
enum Chores {
    static let v1 = """
        syncwright: 1
        name: Chores
        entities:
          Chore:
            table: chores
            fields:
              id: uuid
              owner: string
              title: string
              code: string?
              state: { enum: [todo, done], default: todo }
        subsets:
          mine:
            parameters: { me: { claim: sub, type: string } }
            entities:
              Chore:
                columns: [id, owner, title, state]
                rows: owner == $me
                access: read-write
        """

    /// v1 plus a nullable field, a defaulted field, a new entity in the subset, and one
    /// in no subset.
    static let v2 = v1
        .replacingOccurrences(of: "      state: { enum: [todo, done], default: todo }\n",
                              with: "      state: { enum: [todo, done], default: todo }\n      fragile: bool?\n      minutes: { type: int, default: 15 }\n  Room:\n    table: rooms\n    fields: { id: uuid, owner: string, name: string }\n  Audit:\n    table: audits\n    fields: { id: uuid, note: string }\n")
        .replacingOccurrences(of: "[id, owner, title, state]", with: "[id, owner, title, state, fragile, minutes]")
        + "\n      Room:\n        rows: owner == $me\n        access: read-write\n"

    static func model(_ text: String, file: String = "chores.yaml") throws -> SchemaModel {
        let result = SchemaLoader.load(SchemaFile(path: file, text: text))
        guard let model = result.model else {
            throw TestSetupError(description: DiagnosticFormatter.format(result.diagnostics, as: .text))
        }
        return model
    }

    static let ann: [String: JSONValue] = ["sub": .string("ann")]
    static let bob: [String: JSONValue] = ["sub": .string("bob")]

    static func id(_ number: Int) -> String { String(format: "c0000000-0000-4000-8000-%012d", number) }

    static func insert(_ number: Int, owner: String = "ann", title: String, extra: [String: JSONValue] = [:]) -> PushOperation {
        var values: [String: JSONValue] = ["id": .string(id(number)), "owner": .string(owner), "title": .string(title), "state": .string("todo")]
        values.merge(extra) { _, new in new }
        return PushOperation(opId: "op-\(number)-\(UUID().uuidString.prefix(8))", entity: "Chore", kind: .insert,
                             key: .string(id(number)), baseVersion: nil, values: values)
    }

    static func push(_ service: SyncService, _ model: SchemaModel, _ ops: [PushOperation], claims: [String: JSONValue] = ann)
        async throws -> PushResponse
    {
        try await service.push(PushRequest(clientId: "device-\(model.schemaHash.prefix(6))", subset: "mine",
                                           schemaHash: model.schemaHash, ops: ops), claims: claims)
    }

    static func pull(_ service: SyncService, _ model: SchemaModel, units: [String], claims: [String: JSONValue] = ann)
        async throws -> PullResponse
    {
        try await service.pull(PullRequest(subset: "mine", schemaHash: model.schemaHash,
                                           units: Dictionary(uniqueKeysWithValues: units.map { ($0, String?.none) }), limit: 1000),
                               claims: claims)
    }
}

@Suite("Schema evolution on the server")
struct SchemaEvolutionTests {
    @Test("a compatible deploy keeps v1 devices syncing in v1's shape while v2 devices get the new fields", arguments: DatabaseKind.underTest)
    func compatibleDeploy(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(Chores.v1)
        let v2 = try Chores.model(Chores.v2)
        let first = SyncService(schema: v1, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await first.prepare()
        let before = try await Chores.push(first, v1, [Chores.insert(1, title: "dishes")]).results
            + Chores.push(first, v1, [Chores.insert(2, owner: "bob", title: "floor")], claims: Chores.bob).results
        #expect(before.allSatisfy { $0.status == .applied }, "\(before)")

        let second = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        try await second.prepare()
        #expect(try await second.servedHashes() == [v2.schemaHash, v1.schemaHash])

        // A v1 device pulls its rows in v1's shape, pushes an insert, and its fields
        // unknown to it get their defaults.
        let oldPull = try await Chores.pull(second, v1, units: ["Chore"])
        #expect(oldPull.changes.map(\.key) == [.string(Chores.id(1))])
        let oldRow = try #require(oldPull.changes.first?.row)
        #expect(Set(oldRow.keys) == ["id", "owner", "title", "state", "updatedAt"])
        let oldPush = try await Chores.push(second, v1, [Chores.insert(3, title: "windows")])
        #expect(oldPush.results.first?.status == .applied, "\(oldPush.results)")
        // v1 has no Room unit.
        await #expect(throws: ProtocolError.self) {
            try await Chores.pull(second, v1, units: ["Room"])
        }
        // A v1 device may not write a field it doesn't know.
        let sneaky = try await Chores.push(second, v1, [Chores.insert(4, title: "attic", extra: ["minutes": .integer(5)])])
        #expect(sneaky.results.first?.status == .rejected)

        // A v2 device sees every row with the new fields: old rows and the v1 insert got the defaults.
        let newPull = try await Chores.pull(second, v2, units: ["Chore", "Room"])
        let rows = Dictionary(uniqueKeysWithValues: newPull.changes.compactMap { change in change.row.map { (change.key, $0) } })
        #expect(Set(rows.keys) == [.string(Chores.id(1)), .string(Chores.id(3))])
        for row in rows.values {
            #expect(row["minutes"] == .integer(15))
            #expect(row["fragile"] == .null)
        }
        let newPush = try await Chores.push(second, v2, [Chores.insert(5, title: "garden", extra: ["fragile": .bool(true), "minutes": .integer(40)])])
        #expect(newPush.results.first?.status == .applied, "\(newPush.results)")
        let room = PushOperation(opId: "room-1", entity: "Room", kind: .insert, key: .string(Chores.id(90)), baseVersion: nil,
                                 values: ["id": .string(Chores.id(90)), "owner": .string("ann"), "name": .string("kitchen")])
        #expect(try await Chores.push(second, v2, [room]).results.first?.status == .applied)

        // The entity no subset keeps takes writes from other systems.
        try await FieldService.sql(first.database, "INSERT INTO audits (id, note) VALUES ('\(Chores.id(70))', 'x')")
        try await FieldService.sql(first.database, "UPDATE audits SET note = 'y'")
        try await FieldService.sql(first.database, "DELETE FROM audits")

        // Restarting on v2 changes nothing and serves both still; the rows are all kept.
        let third = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        try await third.prepare()
        #expect(try await third.servedHashes() == [v2.schemaHash, v1.schemaHash])
        let count = try await first.database.read("SELECT count(*) FROM chores", []).first?.first?.integer
        #expect(count == 4)
        try await first.database.close()
    }

    @Test("a deploy that adds an entity to a subset files only its rows: every cursor continues", arguments: DatabaseKind.underTest)
    func addingAnEntityKeepsCursors(_ kind: DatabaseKind) async throws {
        // v1 with rooms in a table no subset keeps yet; v2 adds them to the subset.
        let v1 = try Chores.model(Chores.v1.replacingOccurrences(
            of: "subsets:\n", with: "  Room:\n    table: rooms\n    fields: { id: uuid, owner: string, name: string }\nsubsets:\n"))
        let v2 = try Chores.model(Chores.v2)
        let first = SyncService(schema: v1, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await first.prepare()
        _ = try await Chores.push(first, v1, [Chores.insert(1, title: "dishes"), Chores.insert(2, title: "floor")])
        try await FieldService.sql(first.database, "INSERT INTO rooms (id, owner, name) VALUES ('\(Chores.id(90))', 'ann', 'kitchen')")
        let v1Pull = try await Chores.pull(first, v1, units: ["Chore"])
        #expect(v1Pull.changes.count == 2 && !v1Pull.more)
        let v1Cursor = try #require(v1Pull.units["Chore"] ?? nil)
        func entries() async throws -> [[String]] {
            try await first.database.read("SELECT bucket, key, seq FROM syncwright_log WHERE entity = 'Chore' ORDER BY seq", [])
                .map { $0.map { $0.text ?? $0.integer.map(String.init) ?? "" } }
        }
        let choreEntries = try await entries()
        let second = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        try await second.prepare()
        try await FieldService.sql(first.database, "INSERT INTO rooms (id, owner, name) VALUES ('\(Chores.id(91))', 'ann', 'hall')")
        #expect(try await entries() == choreEntries, "the existing buckets' entries keep their numbers")
        // What the start filed, by unit: the one room there was, and nothing to download again.
        #expect(second.bucketFiling == BucketFiling(extent: .definitions,
                                                    units: [.init(subset: "mine", unit: "Room", entries: 1, downloadsAgain: false)]))

        // An app on v1 goes on from its cursor and receives nothing.
        let oldNext = try await second.pull(PullRequest(subset: "mine", schemaHash: v1.schemaHash, units: ["Chore": v1Cursor], limit: 100),
                                            claims: Chores.ann)
        #expect(oldNext.changes.isEmpty && !oldNext.more)
        // An app on v2 downloads the new unit: the rooms from before the deploy and after.
        let newNext = try await second.pull(PullRequest(subset: "mine", schemaHash: v2.schemaHash, units: ["Room": nil], limit: 100),
                                            claims: Chores.ann)
        #expect(newNext.changes.map(\.entity) == ["Room", "Room"])
        #expect(Set(newNext.changes.map(\.key)) == [.string(Chores.id(90)), .string(Chores.id(91))])
        // A restart on v2 files nothing again.
        let third = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        try await third.prepare()
        let again = try await third.pull(PullRequest(subset: "mine", schemaHash: v1.schemaHash, units: ["Chore": v1Cursor], limit: 100),
                                         claims: Chores.ann)
        #expect(again.changes.isEmpty)
        #expect(third.bucketFiling == BucketFiling(extent: .nothing, units: []))

        try await first.database.close()
    }

    @Test("a retired version is answered 409 schema_retired, by running servers too", arguments: DatabaseKind.underTest)
    func retiredVersion(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(Chores.v1)
        let v2 = try Chores.model(Chores.v2)
        let first = SyncService(schema: v1, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await first.prepare()
        let second = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        try await second.prepare()
        let other = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        try await other.prepare()
        _ = try await Chores.pull(other, v1, units: ["Chore"])

        await #expect(throws: SchemaDeployError.self) { try await second.retire(hashPrefix: String(v2.schemaHash.prefix(12))) }
        await #expect(throws: SchemaDeployError.self) { try await second.retire(hashPrefix: "abc") }
        let retired = try await second.retire(hashPrefix: String(v1.schemaHash.prefix(10)))
        #expect(retired == [v1.schemaHash])
        #expect(try await second.servedHashes() == [v2.schemaHash])
        // The other server trusts its last look for a few seconds: still served, then not.
        // (Its look is dated now, so a slow machine can't let the interval pass first.)
        other.retirementChecks.withValue { $0[v1.schemaHash] = ContinuousClock.now }
        _ = try await Chores.pull(other, v1, units: ["Chore"])
        other.retirementChecks.withValue { $0.removeAll() }  // as once retirementCheckInterval has passed
        for service in [second, other] {
            do {
                _ = try await Chores.pull(service, v1, units: ["Chore"])
                Issue.record("a retired version was served")
            } catch let error as ProtocolError {
                #expect(error.status == 409)
                #expect(error.code == "schema_retired")
                #expect(error.message.contains("update the app"))
            }
        }
        // A version nobody ever served is unknown.
        var unknown = v1
        unknown.schemaHash = String(repeating: "0", count: 64)
        do {
            _ = try await Chores.pull(second, unknown, units: ["Chore"])
            Issue.record("an unknown version was served")
        } catch let error as ProtocolError {
            #expect(error.code == "schema_hash_unknown")
        }
        try await first.database.close()
    }

    @Test("during a rolling deploy the server still on v1 lists v2 as upcoming and answers it 503, not 'update the app'",
          arguments: DatabaseKind.underTest)
    func rollingDeploy(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(Chores.v1)
        let v2 = try Chores.model(Chores.v2)
        let old = SyncService(schema: v1, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await old.prepare()
        let new = SyncService(schema: v2, database: old.database, logger: TestDatabases.logger)
        try await new.prepare()
        let answer = try await old.schemaResponse()
        #expect(answer.served == [v1.schemaHash])
        #expect(answer.upcoming == [v2.schemaHash])
        #expect(try await new.schemaResponse().upcoming.isEmpty)
        do {
            _ = try await Chores.pull(old, v2, units: ["Chore"])
            Issue.record("an old server served a newer schema")
        } catch let error as ProtocolError {
            #expect(error.status == 503)
            #expect(error.code == "schema_upcoming")
        }
        // Retired, it is neither served nor upcoming.
        _ = try await new.retire(hashPrefix: String(v1.schemaHash.prefix(16)))
        #expect(try await new.schemaResponse().served == [v2.schemaHash])
        try await old.database.close()
    }

    @Test("a breaking deploy is refused at start with the located changes, and changes nothing", arguments: DatabaseKind.underTest)
    func breakingDeployRefused(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(Chores.v1)
        let broken = try Chores.model(Chores.v1
            .replacingOccurrences(of: "[id, owner, title, state]", with: "[id, owner, state]")
            + "\n", file: "v3.yaml")
        let first = SyncService(schema: v1, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await first.prepare()
        _ = try await Chores.push(first, v1, [Chores.insert(1, title: "dishes")])

        let refused = SyncService(schema: broken, database: first.database, logger: TestDatabases.logger)
        do {
            try await refused.prepare()
            Issue.record("a breaking deploy started")
        } catch let error as SchemaDeployError {
            #expect(error.message.contains("(chores.yaml as served since"))
            #expect(error.message.contains("breaking: subset 'mine' no longer selects 'Chore.title', which old apps read [column-removed]"))
            #expect(error.message.contains("syncwright-server retire"))
        }
        let recorded = try await SyncService.recordedVersions(first.database).map(\.hash)
        #expect(recorded == [v1.schemaHash])
        #expect(try await Chores.pull(first, v1, units: ["Chore"]).changes.count == 1)

        // Retired first, the same deploy goes through.
        _ = try await refused.retire(hashPrefix: String(v1.schemaHash.prefix(16)))
        try await refused.prepare()
        #expect(try await refused.servedHashes() == [broken.schemaHash])
        try await first.database.close()
    }

    @Test("a column type changes in place when every value converts, and the start stops when one doesn't", arguments: DatabaseKind.underTest)
    func typeChange(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(Chores.v1)
        let retyped = Chores.v1.replacingOccurrences(of: "code: string?", with: "code: int?")
        let v2 = try Chores.model(retyped, file: "retyped.yaml")
        let first = SyncService(schema: v1, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await first.prepare()
        _ = try await Chores.push(first, v1, [Chores.insert(1, title: "a"), Chores.insert(2, title: "b")])
        let p = first.dialect.placeholder(1)
        try await FieldService.sql(first.database, "UPDATE chores SET code = '12' WHERE title = 'a'")
        try await FieldService.sql(first.database, "UPDATE chores SET code = 'twelve' WHERE title = 'b'")

        let refused = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        do {
            try await refused.prepare()
            Issue.record("a column with a value that doesn't convert was converted")
        } catch let error as SchemaDeployError {
            #expect(error.message.hasPrefix("retyped.yaml:10:7: error: 'Chore.code' can't become int: 1 row of 'chores' hold values that don't convert, such as \"twelve\""),
                    "\(error.message)")
            #expect(error.message.contains("the database is unchanged"))
        }
        #expect(try await first.database.read("SELECT count(*) FROM chores WHERE code = \(p)", [.text("twelve")]).first?.first?.integer == 1)

        try await FieldService.sql(first.database, "UPDATE chores SET code = '7' WHERE title = 'b'")
        let converted = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        try await converted.prepare()
        let codes = try await first.database.read("SELECT code FROM chores ORDER BY code", []).map { $0.first }
        #expect(codes == [.integer(7), .integer(12)])
        // Converting again on the next start is a no-op: the layout matches.
        let layout = DatabaseLayout(schema: v2, dialect: first.dialect)
        let report = try await first.database.write { connection in try await layout.migrate(connection) }
        #expect(report.addedColumns.isEmpty && report.convertedColumns.isEmpty && report.rebuiltTables.isEmpty)
        try await first.database.close()
    }

    @Test("changed defaults reach the existing table; the next start alters nothing", arguments: DatabaseKind.underTest)
    func defaultsAndNullability(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(Chores.v1)
        let first = SyncService(schema: v1, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await first.prepare()
        _ = try await Chores.push(first, v1, [Chores.insert(1, title: "a")])
        let changed = Chores.v1.replacingOccurrences(of: "default: todo", with: "default: done")
            .replacingOccurrences(of: "code: string?", with: "code: { type: string?, default: none }")
        let v2 = try Chores.model(changed, file: "v2.yaml")
        let service = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        try await service.prepare()
        let placeholder = first.dialect.placeholder(1) + first.dialect.cast(for: .uuid)
        try await first.database.write { connection in
            try await connection.execute("INSERT INTO chores (id, owner, title) VALUES (\(placeholder), 'ann', 'raw')",
                                         [.text(Chores.id(2))])
        }
        let row = try await first.database.read("SELECT state, code FROM chores WHERE title = 'raw'", []).first
        #expect(row?.first?.text == "done")
        #expect(row?.last?.text == "none")
        let layout = DatabaseLayout(schema: v2, dialect: first.dialect)
        let columns = try await first.database.write { connection in try await layout.columns(of: "chores", connection) } ?? []
        #expect(columns.first { $0.name == "code" }?.isNotNull == false)
        let report = try await first.database.write { connection in try await layout.migrate(connection) }
        #expect(report.addedColumns.isEmpty && report.convertedColumns.isEmpty && report.rebuiltTables.isEmpty)
        try await first.database.close()
    }

    @Test("FieldService: a table other tables' triggers read is rebuilt for a retyped column, and syncing goes on", arguments: DatabaseKind.underTest)
    func rebuildUnderDependents(_ kind: DatabaseKind) async throws {
        let first = try await FieldService.service(kind)
        try await FieldService.seed(first.database)
        try await FieldService.sql(first.database, "UPDATE customers SET credit_limit = 1500.5")
        let before = try await first.pullAll("jobs", claims: FieldService.annClaims)
        let text = try String(contentsOfFile: FieldService.schemaPath, encoding: .utf8)
        let retyped = text.replacingOccurrences(of: "creditLimit: decimal?", with: "creditLimit: double?")
        #expect(retyped != text)
        let v2 = try Chores.model(retyped, file: "fieldservice-v2.yaml")
        let service = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        try await service.prepare()
        let limits = try await first.database.read("SELECT credit_limit FROM customers", [])
        #expect(limits.allSatisfy { $0.first == .real(1500.5) }, "\(limits)")
        // Renaming a customer still refreshes the include of Ann's order, in both versions.
        try await FieldService.sql(first.database, "UPDATE customers SET name = 'Acme Two' WHERE region = 'north'")
        for hash in [v2.schemaHash, FieldService.schema.schemaHash] {
            let page = try await service.pull(PullRequest(subset: "technician", schemaHash: hash, units: ["jobs": before.cursor], limit: 100),
                                              claims: FieldService.annClaims)
            #expect(page.changes.contains { $0.row?["customerName"] == .string("Acme Two") }, "\(page.changes)")
        }
        try await first.database.close()
    }

    @Test("a required field without a default can't be added to a table with rows", arguments: DatabaseKind.underTest)
    func requiredFieldRefused(_ kind: DatabaseKind) async throws {
        let v1 = try Chores.model(Chores.v1)
        let first = SyncService(schema: v1, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await first.prepare()
        _ = try await Chores.push(first, v1, [Chores.insert(1, title: "a")])
        // Retire v1 so the diff doesn't refuse it first: the table still has rows.
        let v2 = try Chores.model(Chores.v1.replacingOccurrences(of: "      code: string?\n", with: "      code: string?\n      size: int\n"),
                                  file: "required.yaml")
        let service = SyncService(schema: v2, database: first.database, logger: TestDatabases.logger)
        _ = try await service.retire(hashPrefix: String(v1.schemaHash.prefix(16)))
        do {
            try await service.prepare()
            Issue.record("a required column was added to a table with rows")
        } catch let error as SchemaDeployError {
            #expect(error.message.hasPrefix("required.yaml:11:7: error: 'Chore.size' is new and may not be null, but 'chores' has 1 row"),
                    "\(error.message)")
        }
        let columns = try await first.database.write { connection in
            try await DatabaseLayout(schema: v2, dialect: first.dialect).columns(of: "chores", connection)
        }
        #expect(columns?.contains { $0.name == "size" } == false)

        // On an empty table it is added, required, and the next start changes nothing.
        try await FieldService.sql(first.database, "DELETE FROM chores")
        try await service.prepare()
        let layout = DatabaseLayout(schema: v2, dialect: first.dialect)
        let added = try await first.database.write { connection in try await layout.columns(of: "chores", connection) }
        #expect(added?.first { $0.name == "size" }?.isNotNull == true)
        let report = try await first.database.write { connection in try await layout.migrate(connection) }
        #expect(report.addedColumns.isEmpty && report.rebuiltTables.isEmpty)
        try await first.database.close()
    }
}
