import Foundation
import GRDB
import Syncwright
@testable import SyncwrightServer
import SyncwrightTesting
import Testing

/// Many server processes on one PostgreSQL database: writers don't wait for each other,
/// pulls never step over a change that commits later, and a commit through any process
/// (or straight into the tables) wakes the devices waiting on every other.
@Suite("PostgreSQL scale-out", .enabled(if: DatabaseKind.postgresUnderTest, "this run leaves PostgreSQL out"))
struct ScaleOutTests {
    /// Runs `body`, failing when it takes longer than `limit` (a writer stuck behind
    /// another would hang the test otherwise).
    static func within<T: Sendable>(_ limit: Duration, _ what: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let work = Task { try await body() }
        let deadline = ContinuousClock.now + limit
        let finished = Locked(false)
        let watchdog = Task {
            try await Task.sleep(until: deadline)
            if !finished.withValue({ $0 }) { work.cancel() }
        }
        defer { watchdog.cancel() }
        let value = try await work.value
        finished.withValue { $0 = true }
        guard ContinuousClock.now < deadline else { throw TestSetupError(description: "\(what) took longer than \(limit)") }
        return value
    }

    /// Whether a session of this test's database waits for a lock another one holds.
    static func someoneWaitsForALock(_ database: any ServerDatabase) async throws -> Bool {
        try await database.read(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'", []
        ).first?.first?.integer ?? 0 > 0
    }

    @Test(.timeLimit(.minutes(2))) func aPullNeverStepsOverAnEntryThatCommitsLater() async throws {
        let service = try await LivePullTests.service(.postgres)
        let database = service.database
        let cursor = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        // Another system's transaction adds an order for Ann and stays open: its log
        // entry has a sequence number but isn't visible yet.
        let open = try await OpenTransaction.begin(database,
            "INSERT INTO work_orders (id, number, customer_id, assignee_id, status, notes) VALUES "
                + "('\(FieldService.id("e", 9))', 9, '\(FieldService.id("c", 1))', '\(FieldService.ann)', 'open', 'slow')")
        // A push through the server writes Ann's line meanwhile, with a later number, and
        // commits at once: it doesn't wait for the open transaction.
        try await Self.within(.seconds(20), "a push beside an open transaction") {
            let results = try await service.push(PushRequest(
                clientId: "scale-out", subset: "technician", schemaHash: service.schema.schemaHash,
                ops: [SyncServicePushTests.op(.update, "WorkOrderLine", FieldService.id("f", 1), base: nil, ["quantity": .integer(7)])]),
                claims: FieldService.annClaims).results
            #expect(results.first?.status == .applied)
        }
        // A pull now must not hand out a cursor past the open transaction's entry: it
        // sends nothing beyond the horizon.
        let early = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: cursor)
        #expect(early.changes.isEmpty, "nothing past an entry that hasn't committed")
        try await open.commit()
        // Once it commits, the next pull from that cursor has both changes.
        let later = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: early.cursor)
        #expect(Set(later.changes.map(\.key)) == [.string(FieldService.id("e", 9)), .string(FieldService.id("f", 1))])
        #expect(later.changes.first { $0.key == .string(FieldService.id("e", 9)) }?.row?["notes"] == .string("slow"))
    }

    @Test(.timeLimit(.minutes(2))) func aLineAddedWhileItsOrderIsReassignedIsFiledByTheNewAssignee() async throws {
        let service = try await LivePullTests.service(.postgres)
        let database = service.database
        let order = FieldService.id("e", 1)
        // The office gives Ann's order to Bob in a transaction that stays open a moment…
        let office = try await OpenTransaction.begin(database,
            "UPDATE work_orders SET assignee_id = '\(FieldService.bob)' WHERE id = '\(order)'")
        // …while Ann's phone, which doesn't know yet, adds a line to it.
        let line = "99999999-0000-4000-8000-000000000001"
        let pushed = Locked(false)
        let push = Task {
            defer { pushed.withValue { $0 = true } }
            return try await service.push(PushRequest(
                clientId: "ann-phone", subset: "technician", schemaHash: service.schema.schemaHash,
                ops: [SyncServicePushTests.op(.insert, "WorkOrderLine", line, base: nil, [
                    "id": .string(line), "workOrderId": .string(order), "productId": .string(FieldService.id("d", 1)), "quantity": .integer(1),
                ])]), claims: FieldService.annClaims).results
        }
        // The office commits once the push has gone as far as it can: waiting for the
        // office's locks, or answered.
        try await waitUntil("the push to wait for the office's transaction, or to be answered") {
            if pushed.withValue({ $0 }) { return true }
            return try await Self.someoneWaitsForALock(database)
        }
        try await office.commit()
        let results = try await push.value
        // Filed by what both committed: whether the line went in or was refused, Ann's
        // subset doesn't have it and Bob's has every line of his order.
        let ann = try await service.pullAll("jobs", claims: FieldService.annClaims)
        let bob = try await service.pullAll("jobs", claims: FieldService.bobClaims)
        #expect(!ann.changes.contains { $0.key == .string(line) }, "\(results)")
        let stored = try await database.read("SELECT count(*) FROM work_order_lines WHERE id = '\(line)'", []).first?.first?.integer
        #expect(bob.changes.contains { $0.key == .string(line) } == (stored == 1), "\(results)")
        #expect(!bob.changes.contains { $0.key == .string(order) } == false, "Bob has the order")
    }

    @Test(.timeLimit(.minutes(2))) func aLineAddedWhileItsProductIsRenamedEndsWithTheNewName() async throws {
        let service = try await LivePullTests.service(.postgres)
        let database = service.database
        let start = try await service.pullAll("jobs", claims: FieldService.annClaims).cursor
        let line = FieldService.id("9", 1)
        // Another system adds a line for Ann's order and stays open…
        let adding = try await OpenTransaction.begin(database,
            "INSERT INTO work_order_lines (id, work_order_id, product_id, quantity) VALUES "
                + "('\(line)', '\(FieldService.id("e", 1))', '\(FieldService.id("d", 1))', 1)")
        // …while the office renames the product the line shows by name, in a transaction
        // that also stays open until told (its statement waits for the line, or not).
        let renaming = try await OpenTransaction.begin(database,
            "UPDATE products SET name = 'Hex bolt' WHERE id = '\(FieldService.id("d", 1))'", waitForStatement: false)
        try await waitUntil("the rename to wait for the line's transaction, or to have run") {
            if renaming.statementRan { return true }
            return try await Self.someoneWaitsForALock(database)
        }
        // The line commits and Ann's phone pulls before the rename commits.
        try await adding.commit()
        let first = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: start)
        try await renaming.commit()
        let second = try await service.pullAll("jobs", claims: FieldService.annClaims, cursor: first.cursor)
        // Whatever the first pull showed, the phone ends with the name that committed.
        let last = (first.changes + second.changes).last { $0.key == .string(line) }
        #expect(last?.row?["productName"] == .string("Hex bolt"), "\(String(describing: last))")
    }

    @Test(.timeLimit(.minutes(2))) func aCommitThroughOneServerWakesDevicesWaitingOnAnother() async throws {
        let url = try TestDatabases.postgresURL(database: "sw_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())
        // Log reads at intervals are off in effect (60 s): only the notifications wake.
        let first = SyncService(schema: FieldService.schema, database: try PostgresServerDatabase(url: url, logger: TestDatabases.logger),
                                logger: TestDatabases.logger, changeLogInterval: .seconds(60))
        try await first.prepare()
        try await FieldService.seed(first.database)
        let second = SyncService(schema: FieldService.schema, database: try PostgresServerDatabase(url: url, logger: TestDatabases.logger),
                                 logger: TestDatabases.logger, changeLogInterval: .seconds(60))
        try await second.prepare()
        let clock = ContinuousClock()

        // A push of Ann's order through the first process wakes Ann's pull waiting on the
        // second (Bob's doesn't), by the notification: the log isn't read for 60 s.
        let page = try await LivePullTests.expectOnlyAnnsChangeWakes(waiting: second, writer: first, notes: "through the first")

        // A row written straight into the table wakes it too.
        let waiting = try await LivePullTests.waitingPull(second, from: try #require(page.units["jobs"]))
        let started = clock.now
        try await FieldService.sql(first.database, "UPDATE work_orders SET notes = 'straight in' WHERE id = '\(FieldService.id("e", 1))'")
        let next = try await waiting.value
        #expect(next.changes.first?.row?["notes"] == .string("straight in"))
        #expect(clock.now - started < .seconds(20), "\(clock.now - started)")
    }

    /// Eight technicians' devices, each talking to one of two `syncwright-server`
    /// processes sharing one database, push while another system reassigns, renames,
    /// cancels and adds orders; afterwards every device holds exactly its subset.
    @Test(.timeLimit(.minutes(5)))
    func twoServerProcessesServeManyDevicesAndEveryReplicaEqualsItsSubset() async throws {
        let url = try TestDatabases.postgresURL(database: "sw_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())
        // Both start at once on the empty database: preparing takes turns.
        async let startA = Task.detached { try ServerProcess(database: url) }.value
        async let startB = Task.detached { try ServerProcess(database: url) }.value
        let servers = try await [startA, startB]
        defer { for server in servers { server.stop() } }
        let database = try PostgresServerDatabase(url: url, logger: TestDatabases.logger)
        defer { Task { try? await database.close() } }

        let technicians = (1...8).map { FieldService.id("a", $0) }
        @Sendable func region(_ index: Int) -> String { index % 2 == 0 ? "north" : "south" }
        let customers = (1...4).map { FieldService.id("c", $0) }
        let customersByRegion = ["north": [customers[0], customers[2]], "south": [customers[1], customers[3]]]
        try await database.write { connection in
            for (index, id) in technicians.enumerated() {
                try await connection.execute("INSERT INTO technicians (id, name, region) VALUES ('\(id)', 'Tech \(index)', '\(region(index))')")
            }
            for (index, id) in customers.enumerated() {
                try await connection.execute("INSERT INTO customers (id, name, region) VALUES ('\(id)', 'Customer \(index)', '\(region(index))')")
            }
            try await connection.execute("INSERT INTO products (id, sku, name, unit_price) VALUES ('\(FieldService.id("d", 1))', 'B-1', 'Bolt', 1.5)")
            for (index, technician) in technicians.enumerated() {
                for k in 0..<3 {
                    let order = FieldService.id("e", index * 3 + k + 1)
                    try await connection.execute(
                        "INSERT INTO work_orders (id, number, customer_id, assignee_id, status) VALUES "
                            + "('\(order)', \(index * 3 + k), '\(customersByRegion[region(index)]![k % 2])', '\(technician)', 'open')")
                    try await connection.execute(
                        "INSERT INTO work_order_lines (id, work_order_id, product_id, quantity) VALUES "
                            + "('\(FieldService.id("f", index * 3 + k + 1))', '\(order)', '\(FieldService.id("d", 1))', 1)")
                }
            }
        }

        var devices: [Device] = []
        for (index, technician) in technicians.enumerated() {
            let claims: [String: JSONValue] = ["sub": .string(technician), "region": .string(region(index)), "role": .string("technician")]
            devices.append(try await Device(baseURL: servers[index % 2].baseURL, claims: claims))
        }
        for device in devices { try await device.engine.sync() }

        // Devices push through both processes while another system writes.
        let rounds = 6
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, device) in devices.enumerated() {
                group.addTask {
                    for round in 0..<rounds {
                        if let order = try device.keys("work_orders").sorted().first {
                            try await device.update("WorkOrder", id: order, ["notes": "device \(index) round \(round)".databaseValue])
                            try await device.insert("WorkOrderLine", [
                                "id": UUID().databaseValue, "workOrderId": UUID(uuidString: order)!.databaseValue,
                                "productId": UUID(uuidString: FieldService.id("d", 1))!.databaseValue, "quantity": round.databaseValue])
                        }
                        try await device.engine.sync()
                    }
                }
            }
            group.addTask {
                var random = SimulationRandom(seed: 19)
                for step in 0..<40 {
                    let order = FieldService.id("e", Int(random.next() % 24) + 1)
                    let statement: String
                    switch random.next() % 5 {
                    case 0: statement = "UPDATE work_orders SET assignee_id = '\(technicians[Int(random.next() % 8)])' WHERE id = '\(order)'"
                    case 1: statement = "UPDATE customers SET name = 'Renamed \(step)' WHERE id = '\(customers[Int(random.next() % 4)])'"
                    case 2: statement = "UPDATE work_orders SET status = '\(random.next() % 2 == 0 ? "cancelled" : "open")' WHERE id = '\(order)'"
                    case 3: statement = "UPDATE work_orders SET notes = 'office \(step)' WHERE id = '\(order)'"
                    default:
                        let technician = Int(random.next() % 8)
                        statement = "INSERT INTO work_orders (id, number, customer_id, assignee_id, status) VALUES "
                            + "('\(FieldService.id("e", 100 + step))', \(100 + step), '\(customersByRegion[region(technician)]![0])', '\(technicians[technician])', 'open')"
                    }
                    try await database.write { connection in try await connection.execute(statement) }
                    try await Task.sleep(for: .milliseconds(Int(random.next() % 20)))
                }
            }
            try await group.waitForAll()
        }

        // Every device catches up, then holds exactly its subset: nothing missed, nothing extra.
        for device in devices {
            try await device.engine.sync()
            try await device.engine.sync()
        }
        for (index, device) in devices.enumerated() {
            let technician = technicians[index]
            let orders = try await database.read(
                "SELECT id::text, coalesce(notes, '') FROM work_orders WHERE assignee_id = '\(technician)' AND status <> 'cancelled'", [])
            let expectedOrders = Dictionary(uniqueKeysWithValues: orders.map { ($0[0].text!, $0[1].text!) })
            let heldOrders = try device.keys("work_orders")
            #expect(heldOrders == Set(expectedOrders.keys), "device \(index)'s orders")
            for (order, notes) in expectedOrders where heldOrders.contains(order) {
                let held = try device.value("work_orders", "notes", id: order).flatMap { String.fromDatabaseValue($0) } ?? ""
                #expect(held == notes, "device \(index), order \(order)")
            }
            let lines = try await database.read(
                "SELECT l.id::text FROM work_order_lines AS l JOIN work_orders AS o ON o.id = l.work_order_id WHERE o.assignee_id = '\(technician)'", [])
            // A line the device added to an order the office had just given someone else
            // is refused (owner_mismatch) and stays on the device, with its refusal, for
            // the app to settle: it is the only kind of row a device may hold beyond its subset.
            let refusedInserts = Set(try device.store.rejectedChanges().compactMap { change -> String? in
                guard change.kind == .insert, change.row.entity == "WorkOrderLine", case .uuid(let id) = change.row.key else { return nil }
                return id.uuidString.lowercased()
            })
            let expectedLines = Set(lines.compactMap { $0[0].text }), heldLines = try device.keys("work_order_lines").subtracting(refusedInserts)
            #expect(heldLines == expectedLines,
                    "device \(index)'s lines: missing \(expectedLines.subtracting(heldLines).sorted()), extra \(heldLines.subtracting(expectedLines).sorted())")
            let regionCustomers = try await database.read("SELECT id::text FROM customers WHERE region = '\(region(index))'", [])
            #expect(try device.keys("customers") == Set(regionCustomers.compactMap { $0[0].text }), "device \(index)'s customers")
            #expect(try await device.store.pendingChangeCount() == 0, "device \(index) has nothing left to push")
        }
        for server in servers { #expect(server.stop() == 0, "\(server.log)") }
    }
}

/// Another system's transaction: it runs one statement, then stays open until
/// ``commit()``, so a test can act while its writes are uncommitted.
struct OpenTransaction {
    private let task: Task<Void, any Error>
    private let release: AsyncStream<Void>.Continuation
    private let ran: Locked<Bool>

    /// Whether its statement has run (it may wait for a lock first).
    var statementRan: Bool { ran.withValue { $0 } }

    /// Starts the transaction. Returns once its statement ran, or at once when
    /// `waitForStatement` is false (a statement that may wait for a lock).
    static func begin(_ database: any ServerDatabase, _ statement: String, waitForStatement: Bool = true) async throws -> OpenTransaction {
        let (ran, ranSignal) = AsyncStream<Void>.makeStream()
        let (release, releaseSignal) = AsyncStream<Void>.makeStream()
        let statementRan = Locked(false)
        let task = Task {
            try await database.write { connection in
                try await connection.execute(statement)
                statementRan.withValue { $0 = true }
                ranSignal.yield()
                for await _ in release { break }
            }
        }
        if waitForStatement {
            for await _ in ran { break }
        }
        return OpenTransaction(task: task, release: releaseSignal, ran: statementRan)
    }

    /// Lets the transaction commit, and waits for it.
    func commit() async throws {
        release.yield()
        try await task.value
    }
}
