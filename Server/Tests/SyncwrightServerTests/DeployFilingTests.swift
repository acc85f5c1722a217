import Foundation
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// A week of deploys, one after the other, each checked from the devices' side: what an
/// app on the previous version and one updated to the new version receive when they go
/// on from their cursors, and whether their replicas hold exactly the rows the filters
/// select, evaluated here in SQL apart from the server.
@Suite("Deploys file only what changed")
struct DeployFilingTests {
    /// Chores with rooms and tags in tables no subset keeps yet.
    static let base = """
        syncwright: 1
        name: Chores
        entities:
          Chore:
            table: chores
            fields:
              id: uuid
              owner: string
              title: string
              state: { enum: [todo, done], default: todo }
              minutes: { type: int, default: 15 }
          Room:
            table: rooms
            fields: { id: uuid, owner: string, name: string }
          Tag:
            table: tags
            fields: { id: uuid, owner: string, label: string }
        subsets:
          mine:
            parameters: { me: { claim: sub, type: string } }
            entities:
              Chore:
                columns: [id, owner, title, state]
                rows: owner == $me
                access: read-write

        """
    /// A field more in the subset's columns.
    static let addField = base.replacingOccurrences(of: "[id, owner, title, state]", with: "[id, owner, title, state, minutes]")
    /// Rooms join the subset, in a unit of their own.
    static let addEntity = addField + "      Room:\n        rows: owner == $me\n"
    /// Done chores leave the subset: the bucket ids keep their form.
    static let changeFilter = addEntity.replacingOccurrences(of: "columns: [id, owner, title, state, minutes]\n        rows: owner == $me",
                                                             with: "columns: [id, owner, title, state, minutes]\n        rows: owner == $me and state == \"todo\"")
    /// Rooms gain a branch: their buckets are filed from scratch.
    static let changeShape = changeFilter.replacingOccurrences(of: "      Room:\n        rows: owner == $me\n",
                                                               with: "      Room:\n        rows: owner == $me or name == \"hall\"\n")
    /// Tags join the subset in a new unit.
    static let addUnit = changeShape + "      Tag:\n        rows: owner == $me\n        unit: labels\n"

    /// One device: its schema version, its cursors and the rows it holds.
    struct Device {
        var model: SchemaModel
        var cursors: [String: String?]
        var rows: [String: Set<String>] = [:]
        var received = 0

        /// Pulls every unit until caught up; returns the rows received, or the units the
        /// server asked to download again.
        mutating func pull(_ service: SyncService) async throws -> Int {
            var count = 0
            var resyncs = 0
            while true {
                let answer: PullResponse
                do {
                    answer = try await service.pull(PullRequest(subset: "mine", schemaHash: model.schemaHash, units: cursors, limit: 1000),
                                                    claims: Chores.ann)
                } catch let error as ProtocolError where error.code == "resync_required" {
                    // As the runtime does: the units named start over, their rows dropped.
                    // A unit asked again right after starting over would never settle.
                    resyncs += 1
                    guard resyncs <= 1 else { throw error }
                    for unit in error.units ?? [] {
                        cursors[unit] = String?.none
                        for entity in model.subset(named: "mine")?.units.first(where: { $0.name == unit })?.entityNames ?? [] {
                            rows[entity] = nil
                        }
                    }
                    continue
                }
                for change in answer.changes {
                    let key = change.key.stringValue ?? ""
                    if change.op == .put { rows[change.entity, default: []].insert(key) } else { rows[change.entity]?.remove(key) }
                }
                count += answer.changes.count
                for (unit, cursor) in answer.units { cursors[unit] = cursor }
                if !answer.more { break }
            }
            received += count
            return count
        }

        /// The app updated to `next`: it keeps the cursors of the units whose entities
        /// and columns stayed, as the runtime does, and downloads the others.
        func updated(to next: SchemaModel) -> Device {
            let before = model.subset(named: "mine")!, after = next.subset(named: "mine")!
            var device = Device(model: next, cursors: [:])
            for unit in after.units {
                let kept = before.units.first { $0.name == unit.name }.map { old in
                    old.entityNames == unit.entityNames
                        && unit.entityNames.allSatisfy { before.entity(named: $0)?.columns == after.entity(named: $0)?.columns }
                } ?? false
                device.cursors[unit.name] = .some(kept ? cursors[unit.name] ?? nil : nil)
                for entity in unit.entityNames where kept { device.rows[entity] = rows[entity] }
            }
            return device
        }
    }

    /// What `filters` (an SQL condition on each entity's table) select, evaluated apart
    /// from the server, for the entities `model`'s subset keeps.
    static func expected(_ database: any ServerDatabase, _ model: SchemaModel, _ filters: [String: String]) async throws -> [String: Set<String>] {
        let tables = ["Chore": "chores", "Room": "rooms", "Tag": "tags"]
        var expected: [String: Set<String>] = [:]
        for entity in model.subset(named: "mine")?.entities.map(\.entityName) ?? [] {
            let keys = try await database.read("SELECT id FROM \(tables[entity]!) WHERE \(filters[entity]!)", [])
                .compactMap { $0.first?.text?.lowercased() }
            if !keys.isEmpty { expected[entity] = Set(keys) }
        }
        return expected
    }

    static func held(_ device: Device) -> [String: Set<String>] {
        device.rows.filter { !$0.value.isEmpty }.mapValues { Set($0.map { $0.lowercased() }) }
    }

    @Test("add a field, an entity, a filter, a branch, a unit: old and new apps receive only what changed and hold what the filters select",
          arguments: DatabaseKind.underTest)
    func weekOfDeploys(_ kind: DatabaseKind) async throws {
        let database = try await TestDatabases.make(kind)
        func deploy(_ text: String, file: String) async throws -> (SchemaModel, SyncService) {
            let model = try Chores.model(text, file: file)
            let service = SyncService(schema: model, database: database, logger: TestDatabases.logger)
            // What `syncwright-server plan` says beforehand is what the start then files.
            let planned = try await service.plannedFiling()
            try await service.prepare()
            #expect(planned == service.bucketFiling, "\(file)")
            return (model, service)
        }
        func sql(_ text: String) async throws { try await FieldService.sql(database, text) }
        // The filters the server applies, to every app version, as SQL.
        var filters = ["Chore": "owner = 'ann'", "Room": "owner = 'ann'", "Tag": "owner = 'ann'"]
        func check(_ device: Device, _ comment: Comment) async throws {
            #expect(Self.held(device) == (try await Self.expected(database, device.model, filters)), comment)
        }

        let (v0, s0) = try await deploy(Self.base, file: "v0.yaml")
        for n in 1...6 {
            try await sql("INSERT INTO chores (id, owner, title, state) VALUES ('\(Chores.id(n))', '\(n % 3 == 0 ? "bob" : "ann")', 'c\(n)', '\(n % 2 == 0 ? "done" : "todo")')")
        }
        for n in 11...14 {
            try await sql("INSERT INTO rooms (id, owner, name) VALUES ('\(Chores.id(n))', '\(n == 14 ? "bob" : "ann")', '\(n == 14 ? "hall" : "r\(n)")')")
            try await sql("INSERT INTO tags (id, owner, label) VALUES ('\(Chores.id(n + 10))', '\(n == 14 ? "bob" : "ann")', 't\(n)')")
        }
        var old = Device(model: v0, cursors: ["Chore": nil])
        #expect(try await old.pull(s0) == 4)  // ann's chores 1, 2, 4, 5
        try await check(old, "v0")

        // A field more: nothing filed; the old app receives nothing, the updated one downloads Chore again.
        let (v1, s1) = try await deploy(Self.addField, file: "v1.yaml")
        #expect(s1.bucketFiling == BucketFiling(extent: .nothing, units: []))
        #expect(try await old.pull(s1) == 0)
        var new = old.updated(to: v1)
        #expect(new.cursors.count == 1 && new.cursors["Chore"] == .some(nil))
        #expect(try await new.pull(s1) == 4)
        try await check(new, "v1, updated")
        old = new

        // An entity more: only its rows are filed; the old app receives nothing, the updated one the new unit.
        let (v2, s2) = try await deploy(Self.addEntity, file: "v2.yaml")
        #expect(s2.bucketFiling == BucketFiling(extent: .definitions, units: [.init(subset: "mine", unit: "Room", entries: 4, downloadsAgain: false)]))
        #expect(try await old.pull(s2) == 0)
        new = old.updated(to: v2)
        #expect(new.cursors["Room"] == .some(nil) && new.cursors["Chore"] != .some(nil))
        #expect(try await new.pull(s2) == 3)  // ann's rooms 11, 12, 13
        try await check(old, "v2, old app")
        try await check(new, "v2, updated")
        old = new

        // A narrower filter: filed as the difference (the removes of the three done
        // chores, one of them bob's), so both apps receive just ann's two and go on.
        let (v3, s3) = try await deploy(Self.changeFilter, file: "v3.yaml")
        filters["Chore"] = "owner = 'ann' AND state = 'todo'"
        #expect(s3.bucketFiling == BucketFiling(extent: .definitions, units: [.init(subset: "mine", unit: "Chore", entries: 3, downloadsAgain: false)]))
        var stayed = old
        #expect(try await stayed.pull(s3) == 2)
        new = old.updated(to: v3)
        #expect(try await new.pull(s3) == 2)
        try await check(stayed, "v3, old app")
        try await check(new, "v3, updated")
        // Ordinary changes go on reaching both: a chore done, one todo again, one new.
        try await sql("UPDATE chores SET state = 'done' WHERE id = '\(Chores.id(1))'")
        try await sql("UPDATE chores SET state = 'todo' WHERE id = '\(Chores.id(2))'")
        try await sql("INSERT INTO chores (id, owner, title, state) VALUES ('\(Chores.id(7))', 'ann', 'c7', 'todo')")
        #expect(try await stayed.pull(s3) == 3)
        #expect(try await new.pull(s3) == 3)
        try await check(stayed, "v3 after writes, old app")
        try await check(new, "v3 after writes, updated")
        old = new

        // Rooms gain a branch: only Room is filed from scratch and downloads again; Chore goes on.
        let (v4, s4) = try await deploy(Self.changeShape, file: "v4.yaml")
        filters["Room"] = "owner = 'ann' OR name = 'hall'"
        #expect(s4.bucketFiling == BucketFiling(extent: .definitions, units: [.init(subset: "mine", unit: "Room", entries: 5, downloadsAgain: true)]))
        stayed = old
        #expect(try await stayed.pull(s4) == 4)  // rooms 11, 12, 13 and bob's hall
        try await check(stayed, "v4, old app")
        new = old.updated(to: v4)
        #expect(try await new.pull(s4) == 4)
        try await check(new, "v4, updated")
        old = new

        // A unit more: the old app receives nothing, the updated one the new unit only.
        let (v5, s5) = try await deploy(Self.addUnit, file: "v5.yaml")
        #expect(s5.bucketFiling == BucketFiling(extent: .definitions, units: [.init(subset: "mine", unit: "labels", entries: 4, downloadsAgain: false)]))
        stayed = old
        #expect(try await stayed.pull(s5) == 0)
        new = old.updated(to: v5)
        #expect(new.cursors["labels"] == .some(nil))
        #expect(try await new.pull(s5) == 3)
        try await check(stayed, "v5, old app")
        try await check(new, "v5, updated")
        try await database.close()
    }
}

extension DeployFilingTests {
    @Test("a rolling deploy: servers of the new schema file once between them; one of the old schema restarting changes nothing and keeps serving",
          arguments: DatabaseKind.underTest)
    func rollingDeploy(_ kind: DatabaseKind) async throws {
        let database = try await TestDatabases.make(kind)
        let v1 = try Chores.model(Self.addField, file: "v1.yaml")
        let v2 = try Chores.model(Self.addEntity, file: "v2.yaml")
        let v3 = try Chores.model(Self.changeShape, file: "v3.yaml")
        let old = SyncService(schema: v1, database: database, logger: TestDatabases.logger)
        try await old.prepare()
        for n in 1...3 {
            try await FieldService.sql(database, "INSERT INTO chores (id, owner, title) VALUES ('\(Chores.id(n))', 'ann', 'c\(n)')")
            try await FieldService.sql(database, "INSERT INTO rooms (id, owner, name) VALUES ('\(Chores.id(n + 10))', 'ann', 'r\(n)')")
        }
        var device = Device(model: v1, cursors: ["Chore": nil])
        #expect(try await device.pull(old) == 3)

        // Two servers of v2 start at once: the maintenance lock lets one file the rooms.
        let first = SyncService(schema: v2, database: database, logger: TestDatabases.logger)
        let second = SyncService(schema: v2, database: database, logger: TestDatabases.logger)
        async let a: Void = first.prepare()
        async let b: Void = second.prepare()
        _ = try await (a, b)
        let filings = [first.bucketFiling, second.bucketFiling]
        #expect(filings.contains(BucketFiling(extent: .definitions, units: [.init(subset: "mine", unit: "Room", entries: 3, downloadsAgain: false)])))
        #expect(filings.contains(BucketFiling(extent: .nothing, units: [])))
        let roomEntries = try await database.read("SELECT count(*) FROM syncwright_log WHERE entity = 'Room'", []).first?.first?.integer
        #expect(roomEntries == 3)

        // A server of v1 restarts meanwhile: it leaves v2's triggers and buckets as they are.
        let restarted = SyncService(schema: v1, database: database, logger: TestDatabases.logger)
        try await restarted.prepare()
        #expect(restarted.bucketFiling == BucketFiling(extent: .nothing, units: []))
        try await FieldService.sql(database, "INSERT INTO rooms (id, owner, name) VALUES ('\(Chores.id(14))', 'ann', 'r4')")
        try await FieldService.sql(database, "INSERT INTO chores (id, owner, title) VALUES ('\(Chores.id(4))', 'ann', 'c4')")
        #expect(try await device.pull(restarted) == 1)
        var updated = device.updated(to: v2)
        #expect(try await updated.pull(first) == 4)  // the four rooms, the chores go on
        #expect(updated.rows["Room"]?.count == 4 && updated.rows["Chore"]?.count == 4)
        // It goes on answering the new version 503 schema_upcoming.
        let upcoming = await #expect(throws: ProtocolError.self) { try await Chores.pull(restarted, v2, units: ["Chore"]) }
        #expect(upcoming?.code == "schema_upcoming")

        // v3 files Room from scratch by other ids: a server of v2 still running answers
        // Room 503 (retry), never rows by ids of the old form; Chore goes on.
        let third = SyncService(schema: v3, database: database, logger: TestDatabases.logger)
        try await third.prepare()
        let error = await #expect(throws: ProtocolError.self) {
            try await first.pull(PullRequest(subset: "mine", schemaHash: v2.schemaHash, units: ["Room": updated.cursors["Room"] ?? nil], limit: 100),
                                 claims: Chores.ann)
        }
        #expect(error?.status == 503 && error?.code == "schema_upcoming")
        let chores = try await first.pull(PullRequest(subset: "mine", schemaHash: v2.schemaHash, units: ["Chore": updated.cursors["Chore"] ?? nil], limit: 100),
                                          claims: Chores.ann)
        #expect(chores.changes.isEmpty)
        // The v3 server answers the v2 app: Room downloads again, Chore goes on.
        #expect(try await updated.pull(third) == 4)
        try await database.close()
    }
}

extension DeployFilingTests {
    @Test("a unit filed from scratch asks each old cursor once; cursors made after go on, even when the filing left the log shorter",
          arguments: DatabaseKind.underTest)
    func filedAgainOnce(_ kind: DatabaseKind) async throws {
        let database = try await TestDatabases.make(kind)
        let v1 = try Chores.model(Self.addEntity, file: "v1.yaml")
        let v2 = try Chores.model(Self.changeShape, file: "v2.yaml")
        let first = SyncService(schema: v1, database: database, logger: TestDatabases.logger)
        try await first.prepare()
        // The newest entries are rooms' removes: filing Room from scratch deletes them,
        // and files nothing, so the log ends below where the filing began.
        try await FieldService.sql(database, "INSERT INTO chores (id, owner, title) VALUES ('\(Chores.id(1))', 'ann', 'c1')")
        try await FieldService.sql(database, "INSERT INTO rooms (id, owner, name) VALUES ('\(Chores.id(11))', 'ann', 'r1')")
        var device = Device(model: v1, cursors: ["Chore": nil, "Room": nil])
        #expect(try await device.pull(first) == 2)
        try await FieldService.sql(database, "DELETE FROM rooms")
        #expect(try await device.pull(first) == 1)
        let old = device.cursors

        let second = SyncService(schema: v2, database: database, logger: TestDatabases.logger)
        try await second.prepare()
        #expect(second.bucketFiling == BucketFiling(extent: .definitions, units: [
            .init(subset: "mine", unit: "Chore", entries: 0, downloadsAgain: false),  // its narrower filter leaves c1 in
            .init(subset: "mine", unit: "Room", entries: 0, downloadsAgain: true),
        ]))
        let error = await #expect(throws: ProtocolError.self) {
            try await second.pull(PullRequest(subset: "mine", schemaHash: v1.schemaHash, units: old, limit: 100), claims: Chores.ann)
        }
        #expect(error?.units == ["Room"])
        #expect(error?.message.contains("was made before a deploy filed Room into buckets again") == true, "\(error?.message ?? "")")
        // Downloaded again, the unit goes on from its new cursor, page after page.
        var updated = Device(model: v2, cursors: ["Chore": old["Chore"] ?? nil, "Room": nil], rows: device.rows)
        #expect(try await updated.pull(second) == 0)
        try await FieldService.sql(database, "INSERT INTO rooms (id, owner, name) VALUES ('\(Chores.id(12))', 'bob', 'hall')")
        #expect(try await updated.pull(second) == 1)
        #expect(try await updated.pull(second) == 0)
        #expect(updated.rows["Room"] == [Chores.id(12)] && updated.rows["Chore"] == [Chores.id(1)])
        try await database.close()
    }
}
