import SyncwrightServer
import SyncwrightServerCommand

/// The FieldService example's server: the reference server, with the office's rule that
/// a job's line may use only what is in stock, and takes it off.
///
///     swift run --package-path Server fieldservice-server --schema Examples/FieldService/syncwright.yaml
@main
struct FieldServiceServer {
    static func main() async {
        var rules = PushRules()
        rules.on("WorkOrderLine", .insert, name: "stock") { line in
            guard let after = line.after, let quantity = after.int("quantity") else { return }
            let product = after.column("productId")
            // Take it off first, then look: the update holds the product's row until the
            // push commits, so two technicians' lines for the last valve take turns on
            // every database, and a refusal rolls the update back with the line.
            try await line.database.execute("UPDATE products SET stock = stock - \(quantity) WHERE id = \(product)")
            let rows = try await line.database.query("SELECT name, stock FROM products WHERE id = \(product)")
            guard let name = rows.first?[0].text, let left = rows.first?[1].integer else { return }
            guard left >= 0 else {
                throw PushRefusal(code: "out_of_stock",
                                  message: "\(name) is out of stock: \(left + quantity) left, the line needs \(quantity)")
            }
        }
        await SyncwrightServerCommand.main(rules: rules)
    }
}
