import Foundation
import Syncwright
import SyncwrightSchema
@testable import SyncwrightServer
import Testing

/// A team's rules run inside the push: they refuse with their own code, set values the
/// server owns, read and write other tables in the same transaction, and a failing rule
/// refuses only its change. Ops that need a refused one are refused with it.
@Suite("Push rules and dependent refusals")
struct PushRuleTests {
    typealias Op = SyncServicePushTests

    static let product = FieldService.id("d", 1)
    static let annsOrder = FieldService.id("e", 1)

    /// The FieldService example's rule: a line may use only what is in stock, and takes
    /// it off.
    static var stockRules: PushRules {
        var rules = PushRules()
        rules.on("WorkOrderLine", .insert, name: "stock") { line in
            let after = try #require(line.after)
            let quantity = after.int("quantity") ?? 0
            // Taken first, then checked: the update holds the product's row, so concurrent
            // pushes take turns on PostgreSQL too.
            try await line.database.execute("UPDATE products SET stock = stock - \(quantity) WHERE id = \(after.column("productId"))")
            let product = try await line.database.query(
                "SELECT name, stock FROM products WHERE id = \(after.column("productId"))")
            guard let name = product.first?[0].text, let left = product.first?[1].integer else { return }
            guard left >= 0 else {
                throw PushRefusal(code: "out_of_stock", message: "\(name): \(left + quantity) in stock, the line needs \(quantity)")
            }
        }
        return rules
    }

    static func service(_ kind: DatabaseKind, rules: PushRules, stock: Int = 5) async throws -> SyncService {
        let service = SyncService(schema: FieldService.schema, database: try await TestDatabases.make(kind),
                                  logger: TestDatabases.logger, rules: rules)
        try await service.prepare()
        try await FieldService.seed(service.database)
        try await FieldService.sql(service.database, "UPDATE products SET stock = \(stock)")
        return service
    }

    static func stock(_ service: SyncService) async throws -> Int64? {
        try await service.database.read("SELECT stock FROM products", []).first?.first?.integer
    }

    static func line(_ id: String, quantity: Int64, order: String = annsOrder) -> PushOperation {
        Op.op(.insert, "WorkOrderLine", id, ["workOrderId": .string(order), "productId": .string(product), "quantity": .integer(quantity)])
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRuleReadsAnotherTableRefusesWithItsCodeAndAdjustsIt(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind, rules: Self.stockRules)
        let results = try await service.push([
            Self.line(FieldService.id("8", 1), quantity: 3),
            Self.line(FieldService.id("8", 2), quantity: 3),
            Self.line(FieldService.id("8", 3), quantity: 2),
        ], claims: FieldService.annClaims)
        #expect(results.map(\.status) == [.applied, .rejected, .applied])
        #expect(results[1].code == "out_of_stock")
        #expect(results[1].reason == "Bolt: 2 in stock, the line needs 3", "the rule saw the stock the first line left")
        #expect(try await Self.stock(service) == 0)
        let lines = try await service.database.read("SELECT count(*) FROM work_order_lines", [])
        #expect(lines.first?.first?.integer == 4, "two seeded lines and the two applied; the refused one is rolled back")

        // The stock the rule wrote reaches the catalog through the triggers.
        let catalog = try await service.pullAll("catalog", claims: FieldService.annClaims).changes
        #expect(catalog.first { $0.entity == "Product" }?.row?["stock"] == .integer(0))
    }

    @Test(arguments: DatabaseKind.underTest)
    func concurrentPushesNeverBothTakeTheLastValve(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind, rules: Self.stockRules, stock: 10)
        // Ten pushes of 3 at once, from Ann and Bob, on their own orders: three fit.
        let results = try await withThrowingTaskGroup(of: [PushResult].self) { group in
            for index in 1...10 {
                let bob = index % 2 == 0
                group.addTask {
                    try await service.push([Self.line(FieldService.id("8", index), quantity: 3, order: FieldService.id("e", bob ? 2 : 1))],
                                           claims: bob ? FieldService.bobClaims : FieldService.annClaims, client: "device-\(index)")
                }
            }
            var all: [PushResult] = []
            for try await results in group { all += results }
            return all
        }
        #expect(results.filter { $0.status == .applied }.count == 3)
        #expect(results.filter { $0.code == "out_of_stock" }.count == 7)
        #expect(try await Self.stock(service) == 1)
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRuleSetsValuesTheServerOwnsAndCantMoveTheRowOutOfTheSubset(_ kind: DatabaseKind) async throws {
        var rules = PushRules()
        rules.on("WorkOrder", .update) { order in
            let notes = order.after?.string("notes") ?? ""
            try order.set("notes", to: .string(notes + " (checked)"))
        }
        rules.on("WorkOrder", .update) { order in
            // A later rule sees the value the one before set.
            if order.after?.string("notes")?.hasSuffix("(checked)") != true { try order.refuse("unchecked", "not checked") }
            if order.values["notes"] == .string("give it to Bob") {
                try order.set("assigneeId", to: .string(FieldService.bob))
            }
        }
        let service = try await Self.service(kind, rules: rules)
        let base = try await Op().version(service, "WorkOrder", Self.annsOrder)
        let first = try await service.push([
            Op.op(.update, "WorkOrder", Self.annsOrder, base: base, ["notes": .string("valve")]),
        ], claims: FieldService.annClaims)
        #expect(first.first?.status == .applied)
        #expect(first.first?.row?["notes"] == .string("valve (checked)"), "the answer carries what the rule set")

        let second = try await service.push([
            Op.op(.update, "WorkOrder", Self.annsOrder, base: first.first?.version, ["notes": .string("give it to Bob")]),
        ], claims: FieldService.annClaims)
        #expect(second.first?.code == "owner_mismatch", "no rule widens what the schema allows")
        let stored = try await service.database.read("SELECT notes FROM work_orders WHERE number = 100", [])
        #expect(stored.first?.first?.text == "valve (checked)")
    }

    @Test(arguments: DatabaseKind.underTest)
    func aRuleThatFailsRefusesItsChangeOnlyAndTheLogHasTheRequestID(_ kind: DatabaseKind) async throws {
        struct Broken: Error {}
        var rules = PushRules()
        rules.on("WorkOrderLine", .insert) { line in
            if line.after?.int("quantity") == 1 { throw Broken() }
            if line.after?.int("quantity") == 2 { _ = try await line.database.query("SELECT nothing FROM no_such_table") }
            if line.after?.int("quantity") == 3 { try line.set("quantity", to: .string("three")) }
            if line.after?.int("quantity") == 4 { throw PushRefusal(code: "Not A Code", message: "x") }
        }
        rules.on("WorkOrderLine", .delete) { line in
            #expect(line.before?.int("quantity") == 2 && line.after == nil)
            try line.set("quantity", to: .integer(1))
        }
        let service = try await Self.service(kind, rules: rules)
        let lineVersion = try await Op().version(service, "WorkOrderLine", FieldService.id("f", 1))
        let ops = [
            Self.line(FieldService.id("8", 1), quantity: 1),
            Self.line(FieldService.id("8", 2), quantity: 2),
            Self.line(FieldService.id("8", 3), quantity: 3),
            Self.line(FieldService.id("8", 4), quantity: 4),
            Op.op(.delete, "WorkOrderLine", FieldService.id("f", 1), base: lineVersion),
            Self.line(FieldService.id("8", 5), quantity: 5),
        ]
        let results = try await service.push(
            PushRequest(clientId: "device-1", subset: "technician", schemaHash: FieldService.schema.schemaHash, ops: ops),
            claims: FieldService.annClaims, requestID: "req-42").results
        #expect(results.map(\.status) == [.rejected, .rejected, .rejected, .rejected, .rejected, .applied])
        #expect(results.prefix(5).allSatisfy { $0.code == "rule_failed" })
        for result in results.prefix(5) {
            let reason = try #require(result.reason)
            #expect(reason.contains("req-42"))
            #expect(!reason.contains("no_such_table") && !reason.contains("Broken") && !reason.contains("SELECT"))
        }
        #expect(results[4].row?["quantity"] == .integer(2), "the refused delete carries the row, still there")
        let lines = try await service.database.read("SELECT count(*) FROM work_order_lines", [])
        #expect(lines.first?.first?.integer == 3)
    }

    @Test(arguments: DatabaseKind.underTest)
    func opsOnTheSameRowAndChildrenOfARefusedInsertAreRefusedWithIt(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind, rules: Self.stockRules, stock: 1)
        let newOrder = FieldService.id("7", 1)
        let line = FieldService.id("8", 1)
        let results = try await service.push([
            // Refused by the rule: out of stock.
            Self.line(line, quantity: 3),
            // The same row again: needs the insert.
            Op.op(.update, "WorkOrderLine", line, base: 1, ["quantity": .integer(1)]),
            Op.op(.delete, "WorkOrderLine", line, base: 1),
            // An order for Bob, refused by the schema (a technician writes their own).
            Op.op(.insert, "WorkOrder", newOrder, ["number": .integer(9), "customerId": .string(FieldService.id("c", 1)),
                                                   "assigneeId": .string(FieldService.bob)]),
            // Its line points at the order that wasn't made.
            Self.line(FieldService.id("8", 2), quantity: 1, order: newOrder),
            // A line of another order goes on, and takes the one in stock.
            Self.line(FieldService.id("8", 3), quantity: 1),
        ], claims: FieldService.annClaims)
        #expect(results.map(\.code) == ["out_of_stock", "depends_on_rejected", "depends_on_rejected", "owner_mismatch",
                                        "depends_on_rejected", nil])
        #expect(results[1].dependsOn == results[0].opId && results[2].dependsOn == results[0].opId)
        #expect(results[4].dependsOn == results[3].opId)
        #expect(results[0].dependsOn == nil && results[3].dependsOn == nil)
        #expect(results[1].reason?.contains(results[0].opId) == true)
        #expect(try await Self.stock(service) == 0)
    }

    @Test(arguments: DatabaseKind.underTest)
    func aReplayedPushReturnsTheSameResultsAndAppliesNothingTwice(_ kind: DatabaseKind) async throws {
        let service = try await Self.service(kind, rules: Self.stockRules, stock: 4)
        let ops = [
            Self.line(FieldService.id("8", 1), quantity: 3),
            Self.line(FieldService.id("8", 2), quantity: 3),
            Op.op(.update, "WorkOrderLine", FieldService.id("8", 2), base: 1, ["quantity": .integer(1)]),
            Self.line(FieldService.id("8", 3), quantity: 1),
        ]
        let first = try await service.push(ops, claims: FieldService.annClaims)
        #expect(first.map(\.code) == [nil, "out_of_stock", "depends_on_rejected", nil])
        // The office restocks: a replay still answers as the first time.
        try await FieldService.sql(service.database, "UPDATE products SET stock = 100")
        let replay = try await service.push(ops, claims: FieldService.annClaims)
        #expect(replay.map(\.code) == first.map(\.code))
        #expect(replay.map(\.dependsOn) == first.map(\.dependsOn))
        #expect(replay.map(\.reason) == first.map(\.reason))
        #expect(try await Self.stock(service) == 100)
    }

    @Test(arguments: DatabaseKind.underTest)
    func rulesOfSeveralSetsRunInOrderOnTheirEntityAndKindsOnly(_ kind: DatabaseKind) async throws {
        let seen = Locked<[String]>([])
        var stock = PushRules()
        stock.on("WorkOrderLine", .insert) { _ in seen.withValue { $0.append("stock") } }
        var jobs = PushRules()
        jobs.on("WorkOrderLine", .insert, .update) { change in seen.withValue { $0.append("jobs \(change.kind.rawValue)") } }
        jobs.on("WorkOrder") { _ in seen.withValue { $0.append("order") } }
        stock.append(contentsOf: jobs)
        let service = try await Self.service(kind, rules: stock)
        let results = try await service.push([Self.line(FieldService.id("8", 1), quantity: 1)], claims: FieldService.annClaims)
        #expect(results.first?.status == .applied)
        #expect(seen.withValue { $0 } == ["stock", "jobs insert"])
    }

    @Test func rulesNamingAnEntityTheSchemaLacksStopTheStart() async throws {
        var rules = PushRules()
        rules.on("Invoice") { _ in }
        let service = SyncService(schema: FieldService.schema, database: try await TestDatabases.make(.sqlite),
                                  logger: TestDatabases.logger, rules: rules)
        await #expect {
            try await service.prepare()
        } throws: { error in
            "\(error)".contains("push rules name Invoice")
        }
    }
}

/// The rules over HTTP, as a device lives them: the refusal with the rule's message, the
/// line of a refused order refused with it, one group to discard, and the stock the rule
/// took reaching the device's catalog.
@Suite("Push rules end to end")
struct PushRuleEndToEndTests {
    @Test(arguments: DatabaseKind.underTest)
    func aDeviceSeesTheRulesRefusalsAsGroupsAndTheirEffects(_ kind: DatabaseKind) async throws {
        let service = try await PushRuleTests.service(kind, rules: PushRuleTests.stockRules, stock: 2)
        let server = try await LiveServer.start(service: service)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        try await ann.engine.sync()
        let order = UUID(uuidString: FieldService.id("e", 1))!, product = UUID(uuidString: FieldService.id("d", 1))!
        let newOrder = UUID(), orphan = UUID(), tooMany = UUID()
        try await ann.insert("WorkOrderLine", ["id": tooMany.databaseValue, "workOrderId": order.databaseValue,
                                               "productId": product.databaseValue, "quantity": 3.databaseValue])
        try await ann.insert("WorkOrder", ["id": newOrder.databaseValue, "number": 9.databaseValue,
                                           "customerId": UUID(uuidString: FieldService.id("c", 1))!.databaseValue,
                                           "assigneeId": UUID(uuidString: FieldService.bob)!.databaseValue,
                                           "status": "open".databaseValue])
        try await ann.insert("WorkOrderLine", ["id": orphan.databaseValue, "workOrderId": newOrder.databaseValue,
                                               "productId": product.databaseValue, "quantity": 1.databaseValue])
        let report = try await ann.engine.sync()
        #expect(report.rejected == 3)
        let groups = try ann.store.rejectedChangeGroups()
        #expect(groups.map(\.cause.code) == ["out_of_stock", .ownerMismatch])
        #expect(groups[0].cause.reason == "Bolt: 2 in stock, the line needs 3")
        #expect(groups[1].dependents.map(\.code) == [.dependsOnRejected])
        #expect(groups[1].dependents.first?.row.key == .uuid(orphan))

        for group in groups { try ann.store.discard(group.cause) }
        #expect(try ann.keys("work_order_lines") == [FieldService.id("f", 1)])
        #expect(!(try ann.keys("work_orders")).contains(newOrder.uuidString.lowercased()))

        // Within the stock: applied, and the stock the rule took reaches the catalog.
        try await ann.insert("WorkOrderLine", ["id": UUID().databaseValue, "workOrderId": order.databaseValue,
                                               "productId": product.databaseValue, "quantity": 2.databaseValue])
        let second = try await ann.engine.sync()
        #expect(second.pushed == 1 && second.rejected == 0)
        #expect(try ann.value("products", "stock", id: FieldService.id("d", 1)) == 0.databaseValue)
        await server.stop()
    }
}

/// docs/server.md shows the example's server whole: the text is the file.
@Test func theServerGuideShowsTheExampleServerAsItIs() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    let guide = try String(contentsOf: root.appendingPathComponent("docs/server.md"), encoding: .utf8)
    let source = try String(contentsOf: root.appendingPathComponent("Server/Sources/fieldservice-server/FieldServiceServer.swift"),
                            encoding: .utf8)
    let start = try #require(guide.range(of: "```swift\n"))
    let end = try #require(guide.range(of: "\n```", range: start.upperBound..<guide.endIndex))
    #expect(String(guide[start.upperBound..<end.lowerBound]) + "\n" == source)
    #expect(source.split(separator: "\n", omittingEmptySubsequences: false).count < 40)
}
