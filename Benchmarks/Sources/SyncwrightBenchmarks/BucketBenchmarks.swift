import Foundation
import GRDB
import Syncwright
import SyncwrightServer

/// The server's pull cost with many users: it must follow the caller's own rows and
/// changes, not the table's size or other users' changes. Measured in process, against
/// the reference server's sync logic on SQLite.
enum BucketBenchmarks {
    static let schema = """
        syncwright: 1
        name: Couriers
        entities:
          Parcel:
            table: parcels
            fields:
              id: uuid
              courierId: uuid
              status: string
              label: string
          Stop:
            table: stops
            fields:
              id: uuid
              courierId: uuid
              address: string
        subsets:
          courier:
            parameters:
              me: { claim: sub, type: uuid }
            entities:
              Parcel:
                rows: courierId == $me and status != "lost"
                unit: parcels
        """

    static func courier(_ index: Int) -> String { ApplyBenchmarks.uuid(1_000_000_000 + index) }

    /// A server database with `users` couriers holding `rowsPerUser` parcels each.
    static func makeService(folder: URL, name: String, users: Int, rowsPerUser: Int) async throws -> SyncService {
        let schemaPath = folder.appending(path: "couriers.yaml").path()
        try schema.write(toFile: schemaPath, atomically: true, encoding: .utf8)
        let path = folder.appending(path: "\(name).sqlite").path()
        let database = try SQLiteServerDatabase(path: path)
        let service = SyncService(schema: try SyncServer.loadSchema(schemaPath), database: database)
        try await service.prepare()
        let pool = try DatabasePool(path: path)
        try await pool.write { db in
            let statement = try db.makeStatement(sql: "INSERT INTO parcels (id, courier_id, status, label) VALUES (?, ?, ?, ?)")
            for user in 0..<users {
                for row in 0..<rowsPerUser {
                    let index = user * rowsPerUser + row
                    try statement.execute(arguments: [ApplyBenchmarks.uuid(index), courier(user), index % 50 == 0 ? "lost" : "open", "parcel \(index)"])
                }
            }
        }
        try pool.close()
        return service
    }

    static func claims(_ user: Int) -> [String: JSONValue] { ["sub": .string(courier(user))] }

    /// Every page of the unit after `cursor`; the changes and the cursor after them.
    static func pullAll(_ service: SyncService, user: Int, cursor: String?, schemaHash: String? = nil)
        async throws -> (changes: Int, cursor: String)
    {
        var cursor = cursor
        var count = 0
        while true {
            let page = try await service.pull(PullRequest(subset: "courier", schemaHash: schemaHash ?? service.schema.schemaHash,
                                                          units: ["parcels": cursor], limit: 1_000), claims: claims(user))
            count += page.changes.count
            cursor = page.units["parcels"] ?? nil
            if !page.more { return (count, cursor!) }
        }
    }

    static func best(of runs: Int, _ body: () async throws -> Void) async rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<runs { best = min(best, try await SyncBenchmarks.seconds(body)) }
        return best
    }

    /// A deploy that adds an entity to the subset, in a unit of its own: the start files
    /// only its rows, an app on the previous version continues from `cursor` and receives
    /// nothing, an updated app downloads only the new unit. Then, as the baseline of the
    /// start, the whole log filed again (which every device pays for with a download).
    static func deploy(_ runner: inout BenchmarkRunner, _ service: SyncService, folder: URL, users: Int, rowsPerUser: Int, cursor: String,
                       emptyPull: Double, checkTargets: Bool) async throws {
        let stopsPerUser = 10
        try await service.database.write { connection in
            for user in 0..<users {
                for stop in 0..<stopsPerUser {
                    try await connection.execute("INSERT INTO stops (id, courier_id, address) VALUES (?, ?, ?)", [
                        .text(ApplyBenchmarks.uuid(2_000_000_000 + user * stopsPerUser + stop)), .text(courier(user)), .text("street \(stop)"),
                    ])
                }
            }
        }
        let v2Path = folder.appending(path: "couriers-stops.yaml").path()
        try (schema + "\n      Stop:\n        rows: courierId == $me\n        unit: stops\n").write(toFile: v2Path, atomically: true, encoding: .utf8)
        let deployed = SyncService(schema: try SyncServer.loadSchema(v2Path), database: service.database)
        let start = try await SyncBenchmarks.seconds { try await deployed.prepare() }
        guard deployed.bucketFiling.keepsEveryCursor, deployed.bucketFiling.units.map(\.entries) == [users * stopsPerUser] else {
            throw BenchmarkFailure("the deploy filed \(deployed.bucketFiling), not only the \(users * stopsPerUser) stops")
        }
        var oldReceived = -1
        let oldPull = try await best(of: 15) {
            oldReceived = try await pullAll(deployed, user: 0, cursor: cursor, schemaHash: service.schema.schemaHash).changes
        }
        guard oldReceived == 0 else { throw BenchmarkFailure("an app on the previous version received \(oldReceived) changes after the deploy") }
        runner.record(.init(
            name: "after a deploy adding an entity, the next pull of an app on the previous version: \(oldReceived) changes received",
            seconds: oldPull, baselineName: "an empty pull before the deploy", baselineSeconds: emptyPull,
            target: "0 changes, ≤ 2.00×", meetsTarget: checkTargets ? oldPull <= emptyPull * 2 : nil))

        // The updated app keeps the parcels' cursor and downloads the stops unit.
        var parcels = -1, stops = -1
        let newPull = try await best(of: 15) {
            var cursors: [String: String?] = ["parcels": cursor, "stops": nil]
            parcels = 0
            stops = 0
            while true {
                let page = try await deployed.pull(PullRequest(subset: "courier", schemaHash: deployed.schema.schemaHash, units: cursors, limit: 1_000),
                                                   claims: claims(0))
                parcels += page.changes.filter { $0.entity == "Parcel" }.count
                stops += page.changes.filter { $0.entity == "Stop" }.count
                for (unit, next) in page.units { cursors[unit] = next }
                if !page.more { break }
            }
        }
        guard parcels == 0, stops == stopsPerUser else {
            throw BenchmarkFailure("the updated app received \(parcels) parcels and \(stops) stops, not 0 and \(stopsPerUser)")
        }
        runner.record(.init(
            name: "the updated app's next pull: the new unit only (\(stops) stops, \(parcels) parcels)",
            seconds: newPull, baselineName: "an empty pull before the deploy", baselineSeconds: emptyPull))

        // A narrower filter whose bucket ids keep their form: filed as the difference.
        // One parcel of each courier's is marked gone before; the new filter drops them.
        // (It reads every row and every entry of the definition, so it costs a good part
        // of a full refile's time on the server; what it saves is every device's download.)
        try await service.database.write { connection in
            for user in 0..<users {
                try await connection.execute("UPDATE parcels SET status = 'gone' WHERE id = ?", [.text(ApplyBenchmarks.uuid(user * rowsPerUser + 1))])
            }
        }
        let afterMarking = try await pullAll(deployed, user: 0, cursor: cursor, schemaHash: service.schema.schemaHash).cursor
        let v3Path = folder.appending(path: "couriers-gone.yaml").path()
        try String(contentsOfFile: v2Path, encoding: .utf8)
            .replacingOccurrences(of: "status != \"lost\"", with: "status != \"lost\" and status != \"gone\"")
            .write(toFile: v3Path, atomically: true, encoding: .utf8)
        let narrowed = SyncService(schema: try SyncServer.loadSchema(v3Path), database: service.database)
        let narrowing = try await SyncBenchmarks.seconds { try await narrowed.prepare() }
        guard narrowed.bucketFiling.keepsEveryCursor, narrowed.bucketFiling.units.map(\.entries) == [users] else {
            throw BenchmarkFailure("the narrower filter filed \(narrowed.bucketFiling), not \(users) removes")
        }
        let removes = try await pullAll(narrowed, user: 0, cursor: afterMarking, schemaHash: service.schema.schemaHash).changes
        guard removes == 1 else { throw BenchmarkFailure("after the narrower filter the old app received \(removes) changes, not 1 remove") }

        // The baseline: the same start with no record of how the log was filed.
        try await service.database.write { connection in
            try await connection.execute("DELETE FROM syncwright_state WHERE name = 'bucket_layout'")
        }
        let refiling = SyncService(schema: narrowed.schema, database: service.database)
        let full = try await SyncBenchmarks.seconds { try await refiling.prepare() }
        guard refiling.bucketFiling.extent == .everything else { throw BenchmarkFailure("the baseline start didn't file everything") }
        runner.record(.init(
            name: "the deploy's start, filing the \(users * stopsPerUser) stops' entries",
            seconds: start, baselineName: "a start filing every row again (every device downloads everything)", baselineSeconds: full,
            target: "≤ 0.50×", meetsTarget: checkTargets ? start <= full * 0.5 : nil))
        runner.record(.init(
            name: "a deploy narrowing the parcels' filter: its start, filing the difference (\(users) removes; an app on the previous version then receives \(removes))",
            seconds: narrowing, baselineName: "a start filing every row again", baselineSeconds: full))
    }

    static func run(_ runner: inout BenchmarkRunner, users: Int, rowsPerUser: Int, othersChanges: Int, checkTargets: Bool) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-bucket-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let large = try await makeService(folder: folder, name: "large", users: users, rowsPerUser: rowsPerUser)
        let small = try await makeService(folder: folder, name: "small", users: max(1, users / 10), rowsPerUser: rowsPerUser)
        let user = 0
        var expected = 0
        let largeInitial = try await best(of: 15) { expected = try await pullAll(large, user: user, cursor: nil).changes }
        var smallCount = 0
        let smallInitial = try await best(of: 15) { smallCount = try await pullAll(small, user: user, cursor: nil).changes }
        guard expected == smallCount, expected == rowsPerUser - (0..<rowsPerUser).filter({ $0 % 50 == 0 }).count else {
            throw BenchmarkFailure("courier 0 pulled \(expected) parcels from the large table and \(smallCount) from the small one")
        }
        let ratio = largeInitial / smallInitial
        runner.record(.init(
            name: "one courier's initial pull of its \(expected) parcels, \(users) couriers × \(rowsPerUser) parcels (\(users * rowsPerUser) rows)",
            seconds: largeInitial, baselineName: "the same pull on a 10× smaller table", baselineSeconds: smallInitial,
            target: "≤ 1.50×", meetsTarget: checkTargets ? ratio <= 1.5 : nil))

        // Other couriers' parcels change; courier 0 must hear nothing of it.
        let cursor = try await pullAll(large, user: user, cursor: nil).cursor
        let empty = try await best(of: 15) { _ = try await pullAll(large, user: user, cursor: cursor) }
        try await large.database.write { connection in
            for index in 0..<othersChanges {
                let row = rowsPerUser + (index * 7919) % ((users - 1) * rowsPerUser)
                try await connection.execute("UPDATE parcels SET label = ? WHERE id = ?",
                                             [.text("changed \(index)"), .text(ApplyBenchmarks.uuid(row))])
            }
        }
        var received = 0
        let afterOthers = try await best(of: 15) { received = try await pullAll(large, user: user, cursor: cursor).changes }
        guard received == 0 else {
            throw BenchmarkFailure("courier 0 received \(received) changes after \(othersChanges) changes to other couriers' parcels")
        }
        runner.record(.init(
            name: "one courier's incremental pull after \(othersChanges) changes to other couriers' parcels: \(received) changes received",
            seconds: afterOthers, baselineName: "the same pull with nothing changed", baselineSeconds: empty,
            target: "0 changes, ≤ 2.00×", meetsTarget: checkTargets ? afterOthers <= empty * 2 : nil))

        // A restart: the triggers keep uuids canonical, so a start doesn't scan the rows
        // for values written in another form; without its record of that, it does.
        let restart = try await best(of: 3) {
            try await SyncService(schema: large.schema, database: large.database).prepare()
        }
        let scanning = try await best(of: 3) {
            try await large.database.write { connection in
                try await connection.execute("DELETE FROM syncwright_state WHERE name = 'canonical_columns'")
            }
            try await SyncService(schema: large.schema, database: large.database).prepare()
        }
        runner.record(.init(
            name: "a server start on the \(users * rowsPerUser)-row database (prepare)",
            seconds: restart, baselineName: "the same start scanning every row for non-canonical values", baselineSeconds: scanning))
        try await deploy(&runner, large, folder: folder, users: users, rowsPerUser: rowsPerUser, cursor: cursor, emptyPull: empty, checkTargets: checkTargets)
        try await large.database.close()

        // A compatible deploy: the server now serves v2 and, for installed apps, v1 in
        // v1's shape. An old app's pull costs what a current one's does.
        let v2Path = folder.appending(path: "couriers-v2.yaml").path()
        try schema.replacingOccurrences(of: "      label: string\n", with: "      label: string\n      note: string?\n")
            .write(toFile: v2Path, atomically: true, encoding: .utf8)
        let deployed = SyncService(schema: try SyncServer.loadSchema(v2Path), database: small.database)
        try await deployed.prepare()
        var current = 0
        let currentPull = try await best(of: 15) { current = try await pullAll(deployed, user: user, cursor: nil).changes }
        var old = 0
        let oldPull = try await best(of: 15) {
            old = try await pullAll(deployed, user: user, cursor: nil, schemaHash: small.schema.schemaHash).changes
        }
        guard old == current, old == expected else {
            throw BenchmarkFailure("after the deploy courier 0 pulled \(old) parcels on v1 and \(current) on v2, not \(expected)")
        }
        runner.record(.init(
            name: "one courier's initial pull of \(old) parcels by an app on the previous schema version, served in its shape",
            seconds: oldPull, baselineName: "the same pull by an app on the current version", baselineSeconds: currentPull,
            target: "≤ 1.25×", meetsTarget: checkTargets ? oldPull <= currentPull * 1.25 : nil))
        try await small.database.close()
    }
}
