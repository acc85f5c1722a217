import Foundation
import GRDB
import Syncwright
@testable import SyncwrightServer
import SyncwrightTesting
import Testing

/// A refused change keeps the device's values until the app retries or discards it, and
/// a retry sends those values — rebased on the row as the server now has it, or
/// answered as a conflict under the entity's policy — never a value the user didn't choose.
@Suite("Retrying a refused change sends what was refused")
struct RetryRefusedChangeTests {
    /// A team's rule: a work order is done only with notes.
    static var notesRule: PushRules {
        var rules = PushRules()
        rules.on("WorkOrder", .update, .insert, name: "notes") { order in
            guard let after = order.after, after.string("status") == "done" else { return }
            guard let notes = after.string("notes"), !notes.isEmpty else {
                throw PushRefusal(code: "notes_required", message: "a done work order needs notes")
            }
        }
        return rules
    }

    static func service(_ kind: DatabaseKind) async throws -> SyncService {
        let service = SyncService(schema: FieldService.schema, database: try await TestDatabases.make(kind),
                                  logger: TestDatabases.logger, rules: notesRule)
        try await service.prepare()
        try await FieldService.seed(service.database)
        return service
    }

    static let order = FieldService.id("e", 1)

    static func serverValue(_ service: SyncService, _ column: String) async throws -> String? {
        try await service.database.read("SELECT \(column) FROM work_orders WHERE id = '\(order)'", []).first?.first?.text
    }

    /// A server with the rule, and Ann's device after "done" without notes was refused.
    static func refusedDone(_ kind: DatabaseKind) async throws -> (SyncService, LiveServer, Device, RejectedChange) {
        let service = try await Self.service(kind)
        let server = try await LiveServer.start(service: service)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        try await ann.engine.sync()
        try await ann.update("WorkOrder", id: order, ["status": "done".databaseValue])
        let refused = try await ann.engine.sync()
        #expect(refused.rejected == 1)
        return (service, server, ann, try #require(try ann.store.rejectedChanges().first))
    }

    /// The nurse's sequence: done without notes is refused; notes added and synced; the
    /// refusal retried: the order is done on the server, with her notes.
    @Test(arguments: DatabaseKind.underTest)
    func aRetryAfterALaterEditSendsTheRefusedValues(_ kind: DatabaseKind) async throws {
        let (service, server, ann, refusal) = try await Self.refusedDone(kind)
        #expect(refusal.code.rawValue == "notes_required")
        #expect(try ann.value("work_orders", "status", id: Self.order) == "done".databaseValue, "the row keeps the device's values")

        try await ann.update("WorkOrder", id: Self.order, ["notes": "replaced the valve".databaseValue])
        let notes = try await ann.engine.sync()
        #expect(notes.pushed == 1 && notes.rejected == 0)
        #expect(try await Self.serverValue(service, "status") == "open")
        #expect(try ann.value("work_orders", "status", id: Self.order) == "done".databaseValue,
                "the answer to a later change doesn't overwrite a refused change's values")
        #expect(try ann.value("work_orders", "notes", id: Self.order) == "replaced the valve".databaseValue)
        #expect(try ann.store.rejectedChanges().count == 1)

        try ann.store.retry(refusal)
        let retried = try await ann.engine.sync()
        #expect(retried.pushed == 1 && retried.rejected == 0 && retried.conflicts == 0)
        #expect(try await Self.serverValue(service, "status") == "done")
        #expect(try await Self.serverValue(service, "notes") == "replaced the valve")
        #expect(try ann.store.rejectedChanges().isEmpty)
        #expect(try ann.value("work_orders", "status", id: Self.order) == "done".databaseValue)
        await server.stop()
    }

    /// Someone else changed the row after the refusal: the retry is a conflict under
    /// the entity's policy (server-wins here), and the device's "done" is reported as
    /// overwritten — not sent over the other change, not lost in silence.
    @Test(arguments: DatabaseKind.underTest)
    func aRetryOverAnotherWritersChangeIsAConflict(_ kind: DatabaseKind) async throws {
        let (service, server, ann, refusal) = try await Self.refusedDone(kind)

        try await FieldService.sql(service.database, "UPDATE work_orders SET status = 'inProgress', notes = 'customer called' WHERE id = '\(Self.order)'")
        try await ann.engine.sync()
        #expect(try ann.value("work_orders", "status", id: Self.order) == "done".databaseValue, "a pull keeps the refused value too")
        #expect(try ann.value("work_orders", "notes", id: Self.order) == "customer called".databaseValue)

        try ann.store.retry(refusal)
        let retried = try await ann.engine.sync()
        #expect(retried.conflicts == 1)
        #expect(try await Self.serverValue(service, "status") == "inProgress")
        let overwritten = try ann.store.overwrittenChanges()
        #expect(overwritten.first?.localValues?["status"] == .string("done"))
        #expect(try ann.value("work_orders", "status", id: Self.order) == "inProgress".databaseValue)
        await server.stop()
    }

    // MARK: - Against a model

    static var seeds: [UInt64] { propertySeeds(from: 9_100, ciCount: 3) }

    /// Random edits of one order's status and notes by the device, writes by the office,
    /// syncs, retries and discards. After every sync: each value the user chose is on the
    /// server, or kept on the device with its refusal listed or its change pending, or
    /// reported as overwritten by a server-wins conflict; and a row with nothing
    /// pending, refused or reported holds exactly the server's values.
    @Test(arguments: DatabaseKind.underTest)
    func refuseEditRetryDiscardAgainstAModel(_ kind: DatabaseKind) async throws {
        for seed in Self.seeds {
            try await run(kind, seed: seed, steps: 40)
        }
    }

    private func run(_ kind: DatabaseKind, seed: UInt64, steps: Int) async throws {
        var random = SimulationRandom(seed: seed)
        let service = try await Self.service(kind)
        let server = try await LiveServer.start(service: service)
        let ann = try await Device(server: server, claims: FieldService.annClaims)
        try await ann.engine.sync()
        // What the user chose last, per column, until the app is told it didn't stand.
        var chosen: [String: String?] = [:]
        var trace: [String] = []
        func fail(_ message: String) {
            Issue.record("seed \(seed) (\(kind)): \(message)\nsteps:\n\(trace.suffix(12).joined(separator: "\n"))")
        }
        func local(_ column: String) throws -> String? {
            try ann.value("work_orders", column, id: Self.order).flatMap { String.fromDatabaseValue($0) }
        }
        for step in 0..<steps {
            switch Int.random(in: 0..<10, using: &random) {
            case 0, 1:
                let status = ["open", "done", "scheduled"].randomElement(using: &random)!
                trace.append("\(step): user sets status \(status)")
                // Setting the value the row shows changes nothing, and records nothing.
                if try local("status") != status { chosen["status"] = status }
                try await ann.update("WorkOrder", id: Self.order, ["status": status.databaseValue])
            case 2, 3:
                let notes: String? = random.chance(0.5) ? nil : "notes \(step)"
                trace.append("\(step): user sets notes \(notes ?? "nil")")
                if try local("notes") != notes { chosen["notes"] = .some(notes) }
                try await ann.update("WorkOrder", id: Self.order, ["notes": notes?.databaseValue ?? .null])
            case 4:
                let status = ["open", "inProgress"].randomElement(using: &random)!
                trace.append("\(step): office sets status \(status)")
                try await FieldService.sql(service.database, "UPDATE work_orders SET status = '\(status)' WHERE id = '\(Self.order)'")
            case 5:
                let groups = try ann.store.rejectedChangeGroups()
                trace.append("\(step): user retries \(groups.count)")
                for group in groups { try ann.store.retry(group.cause) }
            case 6:
                let groups = try ann.store.rejectedChangeGroups()
                trace.append("\(step): user discards \(groups.count)")
                for group in groups {
                    for change in group.changes {
                        for column in change.values?.keys.map({ $0 }) ?? [] { chosen[column] = nil }
                    }
                    try ann.store.discard(group.cause)
                }
                if !groups.isEmpty {
                    // Discarding settles what the user chose: the row is the server's now.
                    chosen = [:]
                }
            default:
                let report = try await ann.engine.sync()
                trace.append("\(step): sync: \(report.changes.map { "\($0.kind) \($0.outcome)" })")
                // A server-wins conflict tells the app what it dropped: the user is told.
                for change in try ann.store.overwrittenChanges() {
                    trace.append("   overwritten \(change.changedColumns)")
                    for column in change.changedColumns { chosen[column] = nil }
                }
                try ann.store.dismiss(try ann.store.overwrittenChanges())
                let refused = try ann.store.rejectedChanges()
                let pending = try await ann.store.pendingChangeCount()
                for (column, value) in chosen {
                    // Nothing lost: the device keeps the user's value.
                    if try local(column) != value {
                        fail("the device shows \(column) \(String(describing: try local(column))), the user chose \(String(describing: value))")
                    }
                    // Nothing refused or pending for the row: the server has it.
                    if refused.isEmpty, pending == 0, try await Self.serverValue(service, column) != value {
                        fail("nothing is refused or pending, but the server has \(column) \(String(describing: try await Self.serverValue(service, column))), the user chose \(String(describing: value))")
                    }
                }
                if refused.isEmpty, pending == 0 {
                    // Settled: the device holds the server's row, and the user's choices are in it.
                    try await ann.engine.sync()
                    for column in ["status", "notes"] where try local(column) != (try await Self.serverValue(service, column)) {
                        fail("settled, but the device has \(column) \(String(describing: try local(column))) and the server \(String(describing: try await Self.serverValue(service, column)))")
                    }
                    chosen = [:]
                }
            }
        }
        await server.stop()
    }
}
