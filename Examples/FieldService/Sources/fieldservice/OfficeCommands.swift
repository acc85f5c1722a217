import ArgumentParser
import Foundation
import Syncwright

/// The office's side, written straight into the server's SQLite database as another
/// system would: the server's triggers pick the rows up and sync them.
struct OfficeOptions: ParsableArguments {
    @Option(help: "The server's SQLite file (the server must have started once to create its tables).")
    var database = "syncwright.sqlite"

    func open() throws -> DatabaseQueue {
        guard FileManager.default.fileExists(atPath: database) else {
            throw CommandFailure("\(database) doesn't exist; start syncwright-server once (in this folder) to create it")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let queue = try DatabaseQueue(path: database, configuration: configuration)
        let ready = try queue.read { try $0.tableExists("work_orders") && $0.tableExists("syncwright_log") }
        guard ready else { throw CommandFailure("\(database) has no FieldService tables; start syncwright-server with its schema first") }
        return queue
    }

    /// Runs one UPDATE as the office; whether it changed exactly one row.
    func updateOne(_ sql: String, _ arguments: StatementArguments) throws -> Bool {
        try open().write { db in
            try db.execute(sql: sql, arguments: arguments)
            return db.changesCount == 1
        }
    }
}

enum Crew {
    static let ann = "a0000000-0000-4000-8000-000000000001"
    static let bob = "b0000000-0000-4000-8000-000000000002"
}

struct Seed: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill the server with technicians, customers, products and work orders (office).")
    @OptionGroup var office: OfficeOptions

    func run() throws {
        let queue = try office.open()
        try queue.write { db in
            for (id, name, region) in [(Crew.ann, "Ann", "north"), (Crew.bob, "Bob", "south")] {
                try db.execute(sql: "INSERT OR IGNORE INTO technicians (id, name, region) VALUES (?, ?, ?)", arguments: [id, name, region])
            }
            let customers = [("c0000000-0000-4000-8000-000000000001", "Acme Plumbing", "north", "555-0101"),
                             ("c0000000-0000-4000-8000-000000000002", "Globex", "north", "555-0102"),
                             ("c0000000-0000-4000-8000-000000000003", "Initech", "south", "555-0103")]
            for (id, name, region, phone) in customers {
                try db.execute(sql: "INSERT OR IGNORE INTO customers (id, name, region, phone) VALUES (?, ?, ?, ?)",
                               arguments: [id, name, region, phone])
            }
            let products = [("d0000000-0000-4000-8000-000000000001", "B-10", "Brass bolt", "0.40", 500),
                            ("d0000000-0000-4000-8000-000000000002", "V-20", "Ball valve", "12.50", 2),
                            ("d0000000-0000-4000-8000-000000000003", "P-30", "Copper pipe, 1 m", "8.75", 40)]
            for (id, sku, name, price, stock) in products {
                try db.execute(sql: "INSERT OR IGNORE INTO products (id, sku, name, unit_price, stock) VALUES (?, ?, ?, ?, ?)",
                               arguments: [id, sku, name, price, stock])
            }
            let orders = [("e0000000-0000-4000-8000-000000001001", 1001, customers[0].0, Crew.ann, "scheduled", "Leaking valve in the basement"),
                          ("e0000000-0000-4000-8000-000000001002", 1002, customers[1].0, Crew.ann, "open", nil),
                          ("e0000000-0000-4000-8000-000000001003", 1003, customers[2].0, Crew.bob, "open", "Annual check")]
            for (id, number, customer, assignee, status, notes) in orders {
                try db.execute(sql: """
                    INSERT OR IGNORE INTO work_orders (id, number, customer_id, assignee_id, status, notes) VALUES (?, ?, ?, ?, ?, ?)
                    """, arguments: [id, number, customer, assignee, status, notes])
            }
            try db.execute(sql: """
                INSERT OR IGNORE INTO work_order_lines (id, work_order_id, product_id, quantity) VALUES (?, ?, ?, ?)
                """, arguments: ["f0000000-0000-4000-8000-000000000001", orders[0].0, products[1].0, 1])
        }
        print("seeded \(office.database): technicians Ann (north) and Bob (south), 3 customers, 3 products (2 ball valves in stock), work orders 1001–1003")
        print("Ann's id is \(Crew.ann); Bob's is \(Crew.bob)")
    }
}

struct Reassign: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Give a work order to another technician (office).")
    @OptionGroup var office: OfficeOptions
    @Argument(help: "The work order's number.") var number: Int
    @Option(help: "The technician's id, or ann or bob.") var to: String

    func run() throws {
        let technician = switch to.lowercased() {
        case "ann": Crew.ann
        case "bob": Crew.bob
        default: to.lowercased()
        }
        guard UUID(uuidString: technician) != nil else { throw ValidationError("--to must be ann, bob or a technician's id") }
        guard try office.updateOne("UPDATE work_orders SET assignee_id = ? WHERE number = ?", [technician, number]) else {
            throw CommandFailure("no work order \(number) in \(office.database)")
        }
        print("work order \(number) is now assigned to \(to)")
    }
}

struct Restock: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Set how many of a product the office has (office).")
    @OptionGroup var office: OfficeOptions
    @Option(help: "The product's SKU.") var sku: String
    @Option(help: "How many are in stock now.") var stock: Int

    func run() throws {
        guard try office.updateOne("UPDATE products SET stock = ? WHERE sku = ?", [stock, sku]) else {
            throw CommandFailure("no product \(sku) in \(office.database)")
        }
        print("\(sku): \(stock) in stock")
    }
}
