import Foundation
import Syncwright
import SyncwrightServer

/// What a team's push rule costs: pushes of order lines through the reference server's
/// sync logic on SQLite (in process, no HTTP), with a stock rule that reads the product
/// and takes the quantity off it, beside the same pushes without rules.
enum RuleBenchmarks {
    static let schema = """
        syncwright: 1
        name: Shop
        entities:
          Product:
            table: products
            fields:
              id: uuid
              name: string
              stock: int
          Line:
            table: lines
            fields:
              id: uuid
              product: Product
              quantity: int
        subsets:
          clerk:
            entities:
              Product: { unit: catalog }
              Line: { access: read-write, unit: lines }
        """

    static let products = 100

    static var stockRule: PushRules {
        var rules = PushRules()
        rules.on("Line", .insert, name: "stock") { line in
            guard let after = line.after, let quantity = after.int("quantity") else { return }
            let product = after.column("productId")
            let rows = try await line.database.query("SELECT name, stock FROM products WHERE id = \(product)")
            guard let stock = rows.first?[1].integer else { return }
            guard quantity <= stock else {
                throw PushRefusal(code: "out_of_stock", message: "\(rows[0][0].text ?? "?") is out of stock")
            }
            try await line.database.execute("UPDATE products SET stock = stock - \(quantity) WHERE id = \(product)")
        }
        return rules
    }

    static func makeService(folder: URL, name: String, rules: PushRules) async throws -> SyncService {
        let schemaPath = folder.appending(path: "shop.yaml").path()
        try schema.write(toFile: schemaPath, atomically: true, encoding: .utf8)
        let database = try SQLiteServerDatabase(path: folder.appending(path: "\(name).sqlite").path())
        let service = SyncService(schema: try SyncServer.loadSchema(schemaPath), database: database, rules: rules)
        try await service.prepare()
        try await database.write { connection in
            for index in 0..<products {
                try await connection.execute("INSERT INTO products (id, name, stock) VALUES (?, ?, ?)",
                                             [.text(ApplyBenchmarks.uuid(index)), .text("Product \(index)"), .integer(1_000_000)])
            }
        }
        return service
    }

    /// Pushes `lines` line inserts in pushes of 1,000; the seconds taken.
    static func push(_ service: SyncService, lines: Int) async throws -> Double {
        let hash = service.schema.schemaHash
        return try await SyncBenchmarks.seconds {
            for start in stride(from: 0, to: lines, by: 1_000) {
                let ops = (start..<min(start + 1_000, lines)).map { index in
                    let key = UUID().uuidString.lowercased()
                    return PushOperation(opId: "op-\(index)", entity: "Line", kind: .insert, key: .string(key), baseVersion: nil,
                                         values: ["id": .string(key), "productId": .string(ApplyBenchmarks.uuid(index % products)),
                                                  "quantity": .integer(1)])
                }
                let results = try await service.push(PushRequest(clientId: "bench", subset: "clerk", schemaHash: hash, ops: ops),
                                                      claims: [:]).results
                guard results.allSatisfy({ $0.status == .applied }) else {
                    throw BenchmarkFailure("a line was refused: \(results.first { $0.status != .applied }?.code ?? "")")
                }
            }
        }
    }

    static func run(_ runner: inout BenchmarkRunner, lines: Int) async throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-rule-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = try await makeService(folder: folder, name: "plain", rules: PushRules())
        let ruled = try await makeService(folder: folder, name: "ruled", rules: stockRule)
        let without = try await push(plain, lines: lines)
        let with = try await push(ruled, lines: lines)
        let left = try await ruled.database.read("SELECT sum(stock) FROM products", []).first?.first?.integer
        guard left == Int64(products * 1_000_000 - lines) else {
            throw BenchmarkFailure("the rule took \(Int64(products * 1_000_000) - (left ?? 0)) off the stock, not \(lines)")
        }
        try await plain.database.close()
        try await ruled.database.close()
        runner.record(.init(
            name: String(format: "push of \(lines) line inserts with a stock rule (reads the product, updates its stock), in process: %.0f ops/s",
                         Double(lines) / with),
            seconds: with, baselineName: "the same pushes without rules", baselineSeconds: without))
    }
}
