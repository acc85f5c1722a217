import Foundation
import Syncwright
import SyncwrightSchema
import SyncwrightServer
import SyncwrightTesting

/// The FieldService example under the fault simulator: its schema, its generated model
/// (the golden files, through a link), three technicians in two regions with five
/// devices, and the rows the office starts with.
public enum FieldServiceScenario {
    /// The example's schema file, found from this source file's place in the repository.
    public static let schemaPath = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appending(path: "Examples/FieldService/Sources/FieldServiceModel/syncwright.yaml").path

    /// Three times the default fault rates.
    public static let heavyFaults = FaultSimulator.Faults(
        dropRequest: 0.15, delayPush: 0.12, dropAnswer: 0.25, duplicateRequest: 0.15, replayLatePush: 0.15, killDevice: 0.2,
        restartServer: 0.05, systemWrite: 0.15)

    /// The simulation of `rounds` rounds from `seed`.
    public static func configuration(
        seed: UInt64, rounds: Int, faults: FaultSimulator.Faults = .init()
    ) throws -> FaultSimulator.Configuration {
        FaultSimulator.Configuration(
            schema: try SyncServer.loadSchema(schemaPath), model: FieldServiceTechnician.model,
            users: [
                .init(name: "ann", claims: ["sub": .string(Seed.ann), "region": .string("north"), "role": .string("technician")], devices: 2),
                .init(name: "bob", claims: ["sub": .string(Seed.bob), "region": .string("south"), "role": .string("technician")], devices: 2),
                .init(name: "cy", claims: ["sub": .string(Seed.cy), "region": .string("north"), "role": .string("technician")], devices: 1),
            ],
            seed: seed, rounds: rounds, faults: faults, seedData: Seed.write)
    }
}

/// What the FieldService example's server holds before the first round: three
/// technicians in two regions, their customers, two products, and two orders with two
/// lines each per technician.
public enum Seed {
    public static let ann = "a0000000-0000-4000-8000-000000000001"
    public static let bob = "b0000000-0000-4000-8000-000000000002"
    public static let cy = "c0000000-0000-4000-8000-000000000003"

    public static func id(_ prefix: Character, _ number: Int) -> String {
        String(repeating: prefix, count: 8) + "-0000-4000-8000-" + String(format: "%012d", number)
    }

    @Sendable public static func write(_ database: any ServerDatabase) async throws {
        let d = database.dialect
        let p: @Sendable (Int, ScalarType) -> String = { index, type in d.placeholder(index) + d.cast(for: type) }
        try await database.write { connection in
            for (tech, name, region) in [(ann, "Ann", "north"), (bob, "Bob", "south"), (cy, "Cy", "north")] {
                try await connection.execute(
                    "INSERT INTO technicians (id, name, region) VALUES (\(p(1, .uuid)), \(p(2, .string)), \(p(3, .string)))",
                    [.text(tech), .text(name), .text(region)])
            }
            for (index, (name, region)) in [("Acme", "north"), ("Globex", "south"), ("Initech", "north")].enumerated() {
                try await connection.execute(
                    "INSERT INTO customers (id, name, region) VALUES (\(p(1, .uuid)), \(p(2, .string)), \(p(3, .string)))",
                    [.text(id("c", index + 1)), .text(name), .text(region)])
            }
            for (index, name) in ["Bolt", "Valve"].enumerated() {
                try await connection.execute(
                    "INSERT INTO products (id, sku, name, unit_price) VALUES (\(p(1, .uuid)), \(p(2, .string)), \(p(3, .string)), \(p(4, .decimal)))",
                    [.text(id("d", index + 1)), .text("P-\(index)"), .text(name), .text("1.50")])
            }
            var order = 0
            for (techIndex, tech) in [ann, bob, cy].enumerated() {
                for _ in 0..<2 {
                    order += 1
                    try await connection.execute(
                        "INSERT INTO work_orders (id, number, customer_id, assignee_id, status) VALUES (\(p(1, .uuid)), \(p(2, .int)), \(p(3, .uuid)), \(p(4, .uuid)), 'open')",
                        [.text(id("e", order)), .integer(Int64(1000 + order)), .text(id("c", techIndex == 1 ? 2 : 1)), .text(tech)])
                    for line in 0..<2 {
                        try await connection.execute(
                            "INSERT INTO work_order_lines (id, work_order_id, product_id, quantity) VALUES (\(p(1, .uuid)), \(p(2, .uuid)), \(p(3, .uuid)), 2)",
                            [.text(id("f", order * 10 + line)), .text(id("e", order)), .text(id("d", line + 1))])
                    }
                }
            }
        }
    }
}
