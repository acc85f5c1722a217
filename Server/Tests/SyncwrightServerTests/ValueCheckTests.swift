import Foundation
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// Values other systems write into the synced tables are checked where they are
/// written: a value that isn't one of its column's type is refused by the triggers with
/// a message naming the table, the column and what it takes; rows that got in before
/// are listed at start and not sent until repaired.
@Suite("Values other systems write are checked where they are written")
struct ValueCheckTests {
    static let schemaText = """
        syncwright: 1
        name: Checks
        entities:
          Thing:
            table: things
            fields:
              id: int
              label: string?
              status: { enum: [planned, done] }
              weight: double?
              count: int?
              flag: bool?
              price: decimal?
              data: blob?
              extra: json?
              photo: attachment?
              day: date?
              at: timestamp?
        subsets:
          all:
            entities:
              Thing: { columns: all }
        """

    static let schema: SchemaModel = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("checks-\(UUID().uuidString).yaml")
        try! schemaText.write(to: url, atomically: true, encoding: .utf8)
        return try! SyncServer.loadSchema(url.path)
    }()

    static func service(_ kind: DatabaseKind, database: (any ServerDatabase)? = nil) async throws -> SyncService {
        let opened: any ServerDatabase
        if let database { opened = database } else { opened = try await TestDatabases.make(kind) }
        let service = SyncService(schema: schema, database: opened, logger: TestDatabases.logger)
        try await service.prepare()
        return service
    }

    static let hash = String(repeating: "ab", count: 32)

    /// Writes that every database refuses, each as another system would send it, with
    /// the column its message must name.
    static func refusedWrites(_ kind: DatabaseKind) -> [(sql: String, column: String)] {
        var writes: [(String, String)] = [
            ("INSERT INTO things (id, status) VALUES (10, 'cancelled')", "things.status takes one of planned, done"),
            ("UPDATE things SET status = 'Done' WHERE id = 1", "things.status takes one of planned, done"),
            ("UPDATE things SET photo = 'a photo' WHERE id = 1", "things.photo takes an attachment reference"),
            ("UPDATE things SET photo = 'sha256:\(hash) 01 image/jpeg' WHERE id = 1", "things.photo takes an attachment reference"),
            ("UPDATE things SET photo = 'sha256:\(hash) 5 image' WHERE id = 1", "things.photo takes an attachment reference"),
            ("UPDATE things SET photo = 'sha256:\(hash) 2000000000000 image/jpeg' WHERE id = 1", "things.photo takes an attachment reference"),
        ]
        switch kind {
        case .sqlite:
            writes += [
                ("UPDATE things SET weight = 'seventy' WHERE id = 1", "things.weight takes a finite double"),
                ("UPDATE things SET weight = 9e999 WHERE id = 1", "things.weight takes a finite double"),
                ("UPDATE things SET count = 'many' WHERE id = 1", "things.count takes an int"),
                ("UPDATE things SET count = 2.5 WHERE id = 1", "things.count takes an int"),
                ("UPDATE things SET flag = 2 WHERE id = 1", "things.flag takes a bool"),
                ("UPDATE things SET price = '1.2.3' WHERE id = 1", "things.price takes a decimal"),
                ("UPDATE things SET price = '1e5' WHERE id = 1", "things.price takes a decimal"),
                ("UPDATE things SET price = '-' WHERE id = 1", "things.price takes a decimal"),
                ("UPDATE things SET label = x'00ff' WHERE id = 1", "things.label takes text"),
                ("UPDATE things SET data = 'text' WHERE id = 1", "things.data takes bytes"),
                ("UPDATE things SET extra = '{not json' WHERE id = 1", "things.extra takes JSON text"),
                ("UPDATE things SET day = '2024-13-45' WHERE id = 1", "things.day holds a value that is not a date"),
            ]
        case .postgres:
            writes += [
                ("UPDATE things SET weight = 'NaN' WHERE id = 1", "things.weight takes a finite double"),
                ("UPDATE things SET weight = 'Infinity' WHERE id = 1", "things.weight takes a finite double"),
                ("UPDATE things SET price = 'NaN' WHERE id = 1", "things.price takes a decimal"),
                ("UPDATE things SET price = 1e70 WHERE id = 1", "things.price takes a decimal"),
                ("UPDATE things SET day = 'infinity' WHERE id = 1", "things.day takes a date"),
                ("UPDATE things SET at = '-infinity' WHERE id = 1", "things.at takes a timestamp"),
            ]
        }
        return writes
    }

    @Test(arguments: DatabaseKind.underTest)
    func aValueThatIsNotOfItsTypeIsRefusedWhereItIsWritten(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind)
        let good = "INSERT INTO things (id, label, status, weight, count, flag, price, extra, photo, day, at) VALUES "
            + "(1, 'one', 'planned', 70.5, 3, \(kind == .sqlite ? "1" : "TRUE"), '-12.50', '{\"a\": [1, 2]}', "
            + "'sha256:\(Self.hash.uppercased()) 48213 Image/JPEG', '2024-02-29', '2024-01-31T09:30:00Z')"
        try await FieldService.sql(service.database, good)
        for (sql, column) in Self.refusedWrites(kind) {
            do {
                try await FieldService.sql(service.database, sql)
                Issue.record("accepted: \(sql)")
            } catch {
                #expect("\(error)".contains("syncwright: \(column)"), "\(sql): \(error)")
            }
        }
        // Nothing refused got in: the row is as the good write left it.
        let page = try await service.pull(PullRequest(subset: "all", schemaHash: Self.schema.schemaHash, units: ["Thing": nil], limit: 10),
                                          claims: [:])
        let row = try #require(page.changes.first?.row)
        #expect(page.changes.count == 1)
        #expect(row["status"] == .string("planned"))
        #expect(row["weight"] == .number(70.5))
        #expect(row["count"] == .integer(3))
        #expect(row["price"] == .string("-12.50"))
        #expect(row["photo"] == .string("sha256:\(Self.hash) 48213 image/jpeg"))
        #expect(service.invalidValues.isEmpty)
    }

    /// A database from before the checks holds a bad value: the start lists it,
    /// located; devices receive every other row, and that one once it is repaired.
    @Test(arguments: DatabaseKind.underTest)
    func rowsThatGotInBeforeAreReportedAndNotSentUntilRepaired(_ kind: DatabaseKind) async throws {
        let older = try await Self.service(kind)
        let dropChecks = kind == .sqlite
            ? ["DROP TRIGGER syncwright_things_check_insert", "DROP TRIGGER syncwright_things_check_update"]
            : ["DROP TRIGGER syncwright_things_check ON things"]
        for statement in dropChecks { try await FieldService.sql(older.database, statement) }
        try await FieldService.sql(older.database, "INSERT INTO things (id, status) VALUES (1, 'planned'), (2, 'cancelled'), (3, 'done')")
        if kind == .sqlite {
            try await FieldService.sql(older.database, "UPDATE things SET weight = 'seventy' WHERE id = 3")
        }

        let service = try await Self.service(kind, database: older.database)
        let found = service.invalidValues.map { "\($0.table).\($0.column) \($0.key) \($0.value)" }
        #expect(found.contains("things.status 2 cancelled"), "\(found)")
        if kind == .sqlite { #expect(found.contains("things.weight 3 seventy"), "\(found)") }
        #expect(service.invalidValues.first?.description.contains("but takes one of planned, done") == true)

        func keys() async throws -> Set<Int64> {
            let page = try await service.pull(PullRequest(subset: "all", schemaHash: Self.schema.schemaHash, units: ["Thing": nil], limit: 10),
                                              claims: [:])
            return Set(page.changes.compactMap(\.key.integerValue))
        }
        #expect(try await keys() == (kind == .sqlite ? [1] : [1, 3]))
        // The checks are back, and a repair goes through them.
        await #expect(throws: (any Error).self) { try await FieldService.sql(service.database, "UPDATE things SET status = 'gone' WHERE id = 1") }
        try await FieldService.sql(service.database, "UPDATE things SET status = 'done' WHERE id = 2")
        if kind == .sqlite { try await FieldService.sql(service.database, "UPDATE things SET weight = 70 WHERE id = 3") }
        #expect(try await keys() == [1, 2, 3])
    }
}

/// Passes requests through, but writes `value` into `field` of the pulled rows of
/// `entity` keyed `key`: a server that lets a value through which the device can't read.
actor CorruptingTransport: SyncTransport {
    let base: any SyncTransport
    let entity: String, key: String, field: String
    var value: JSONValue?

    init(_ base: any SyncTransport, entity: String, key: String, field: String, value: JSONValue) {
        self.base = base
        self.entity = entity
        self.key = key
        self.field = field
        self.value = value
    }

    func stop() { value = nil }

    func push(_ request: PushRequest) async throws -> PushResponse { try await base.push(request) }
    func schema() async throws -> SchemaResponse { try await base.schema() }
    func pull(_ request: PullRequest) async throws -> PullResponse {
        var page = try await base.pull(request)
        guard let value else { return page }
        for index in page.changes.indices where page.changes[index].entity == entity && page.changes[index].key.stringValue == key {
            page.changes[index].row?[field] = value
        }
        return page
    }
}

/// Defence in depth on the device, against the real server over HTTP: a pulled row the
/// model can't store is set aside, explained and logged with the pull's request id,
/// and everything else syncs; the server's next version of the row takes it back.
@Suite("A pulled row that doesn't fit is set aside; everything else syncs")
struct SetAsideEndToEndTests {
    @Test(arguments: DatabaseKind.underTest)
    func aRowTheDeviceCantReadDoesntStopTheSync(_ kind: DatabaseKind) async throws {
        let service = SyncService(schema: FieldService.schema, database: try await TestDatabases.make(kind), logger: TestDatabases.logger)
        try await service.prepare()
        try await FieldService.seed(service.database)
        let server = try await LiveServer.start(service: service)
        let order = FieldService.id("e", 1)
        let corrupting = Locked<CorruptingTransport?>(nil)
        let ann = try await Device(server: server, claims: FieldService.annClaims, transport: { base in
            let transport = CorruptingTransport(base, entity: "WorkOrder", key: order, field: "status", value: .string("closed"))
            corrupting.withValue { $0 = transport }
            return transport
        })
        let report = try await ann.engine.sync()
        #expect(report.setAside.map(\.row.key.wireValue) == [.string(order)])
        #expect(report.setAside.first?.requestID != nil)
        #expect(report.setAside.first?.problem.contains("closed") == true, "\(report.setAside)")
        // Everything else synced: the order's line, the customer, the catalog.
        #expect(try ann.keys("work_order_lines") == [FieldService.id("f", 1)])
        #expect(try ann.keys("work_orders").isEmpty)
        #expect(try !ann.keys("products").isEmpty)
        let explanation = try ann.store.explain(entity: "WorkOrder", key: UUID(uuidString: order)!.databaseValue)
        #expect(explanation.verdict.hasPrefix("set aside"), "\(explanation.verdict)")

        // The server's next version fits: the row arrives and is no longer set aside.
        await corrupting.withValue { $0 }?.stop()
        try await FieldService.sql(service.database, "UPDATE work_orders SET notes = 'fixed' WHERE id = '\(order)'")
        let next = try await ann.engine.sync()
        #expect(next.setAside.isEmpty)
        #expect(try ann.store.setAsideRows().isEmpty)
        #expect(try ann.value("work_orders", "notes", id: order) == "fixed".databaseValue)
        await server.stop()
    }
}
