import Foundation
import Testing
@testable import SyncwrightSchema

@Suite("Schema model")
struct SchemaModelTests {
    private func fieldService() throws -> SchemaModel {
        let path = repositoryRoot.appending(path: "Examples/FieldService/syncwright.yaml").path()
        let result = SchemaLoader.load(try SchemaFile(contentsOf: path))
        return try #require(result.model, "\(render(result.diagnostics))")
    }

    @Test("entities keep file order, tables, keys, and references become <name>Id fields")
    func entities() throws {
        let model = try fieldService()
        #expect(model.name == "FieldService")
        #expect(model.entities.map(\.name) == ["Customer", "Technician", "Product", "WorkOrder", "WorkOrderLine"])
        let workOrder = try #require(model.entity(named: "WorkOrder"))
        #expect(workOrder.tableName == "work_orders")
        #expect(workOrder.keyField.type == .scalar(.uuid))
        #expect(workOrder.fields.map(\.name) == ["id", "number", "customerId", "assigneeId", "status", "scheduledFor", "notes", "signature", "photo"])
        let customer = try #require(workOrder.field(named: "customerId"))
        #expect(customer.reference == Reference(relationName: "customer", targetEntity: "Customer"))
        #expect(customer.columnName == "customer_id")
        #expect(!customer.isNullable)
        #expect(workOrder.field(named: "assigneeId")?.isNullable == true)
        #expect(workOrder.field(named: "status")?.type == .enumeration(["open", "scheduled", "inProgress", "done", "cancelled"]))
        #expect(workOrder.field(named: "status")?.defaultValue == .string("open"))
        #expect(workOrder.field(named: "version")?.isServerManaged == true)
        #expect(model.entity(named: "Product")?.field(named: "discontinued")?.defaultValue == .bool(false))
        #expect(model.entity(named: "Product")?.field(named: "sku")?.documentation == "Stock keeping unit")
    }

    @Test("a subset resolves columns, includes, filters, access, conflicts and units")
    func subset() throws {
        let model = try fieldService()
        let subset = try #require(model.subset(named: "technician"))
        #expect(subset.parameters.map(\.name) == ["userId", "region", "role"])
        #expect(subset.allow?.description == "$role == \"technician\"")
        #expect(subset.parameters.first?.type == .uuid)
        let product = try #require(subset.entity(named: "Product"))
        #expect(product.columns == ["id", "sku", "name", "unitPrice", "stock"])
        #expect(product.rowFilter?.description == "not discontinued")
        #expect(product.access == .readOnly)
        let workOrder = try #require(subset.entity(named: "WorkOrder"))
        #expect(workOrder.access == .readWrite)
        #expect(workOrder.conflictPolicy == .serverWins)
        #expect(workOrder.includes.map(\.name) == ["customerName", "customerPhone"])
        #expect(workOrder.includes.first?.path.type == .scalar(.string))
        #expect(workOrder.includes.last?.path.isNullable == true)
        #expect(workOrder.rowFilter?.parameterNames == ["userId"])
        let lines = try #require(subset.entity(named: "WorkOrderLine"))
        #expect(lines.columns == ["id", "workOrderId", "productId", "quantity"])
        #expect(lines.rowFilter?.paths.first?.hops.map(\.targetEntity) == ["WorkOrder"])
        #expect(lines.rowFilter?.paths.first?.firstFieldName == "workOrderId")
        #expect(subset.units.map(\.name) == ["jobs", "Customer", "catalog", "profile"])
        #expect(subset.units.first?.priority == 0)
        #expect(subset.units.first?.entityNames == ["WorkOrder", "WorkOrderLine"])
    }

    @Test("names convert to snake_case")
    func snakeCase() {
        #expect(NameConversion.snakeCase("WorkOrderLine") == "work_order_line")
        #expect(NameConversion.snakeCase("userID") == "user_id")
        #expect(NameConversion.snakeCase("URLPath") == "url_path")
        #expect(NameConversion.snakeCase("item2Name") == "item2_name")
        #expect(NameConversion.snakeCase("already_snake") == "already_snake")
    }

    @Test("suggestions find near misses and ignore far ones")
    func suggestions() {
        #expect(NameSuggestion.closest(to: "custmer", in: ["customer", "product"]) == "customer")
        #expect(NameSuggestion.closest(to: "Customer", in: ["customer", "product"]) == "customer")
        #expect(NameSuggestion.closest(to: "entites", in: ["syncwright", "name", "entities", "subsets"]) == "entities")
        #expect(NameSuggestion.closest(to: "zzz", in: ["customer", "product"]) == nil)
    }
}

@Suite("Schema hash")
struct SchemaHashTests {
    private let base = """
        syncwright: 1
        name: Shop
        entities:
          Item:
            fields:
              id: uuid
              title: string
              price: decimal
        subsets:
          clerk:
            parameters:
              region: { claim: region, type: string }
            entities:
              Item:
                rows: title != "x" and price > 3
                access: read-write
        """

    private func hash(_ text: String) throws -> String {
        let result = load(text)
        return try #require(result.model, "\(render(result.diagnostics))").schemaHash
    }

    @Test("the hash is 64 hex digits and stable across runs")
    func format() throws {
        let value = try hash(base)
        #expect(value.count == 64)
        #expect(value.allSatisfy { $0.isHexDigit })
        #expect(try hash(base) == value)
    }

    @Test("comments, whitespace, quoting, flow style, key order and docs don't change the hash")
    func unchanged() throws {
        let original = try hash(base)
        let rewritten = """
            # A comment
            name: "Shop"
            syncwright: 1
            subsets:
              clerk:
                entities:
                  Item: { access: 'read-write', rows: "title!='x'   and   price>3" }
                parameters: { region: { type: string, claim: region } }
            entities:
              Item:
                doc: Things we sell
                fields: { id: uuid, price: "decimal", title: { type: string, doc: The name } }
            """
        #expect(try hash(rewritten) == original)
        #expect(try hash(base.replacingOccurrences(of: "Item:\n                rows", with: "Item:\n                columns: all\n                rows")) == original)
    }

    @Test("a change of meaning changes the hash", arguments: [
        ("title: string", "title: string?"),
        ("price: decimal", "price: double"),
        ("price > 3", "price > 4"),
        ("access: read-write", "access: read-only"),
        ("claim: region", "claim: area"),
        ("name: Shop", "name: Store"),
        ("Item:\n    fields", "Item:\n    table: items\n    fields"),
    ])
    func changed(from: String, to: String) throws {
        let changedText = base.replacingOccurrences(of: from, with: to)
        #expect(changedText != base)
        let changedHash = try hash(changedText)
        #expect(try changedHash != hash(base))
    }

    @Test("SHA-256 matches the standard test vectors", arguments: [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        ("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
    ])
    func sha256(input: String, digest: String) {
        #expect(ContentHasher.hexDigest(Array(input.utf8)) == digest)
    }

    @Test("SHA-256 of a million 'a's")
    func sha256Long() {
        #expect(ContentHasher.hexDigest([UInt8](repeating: 0x61, count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("SHA-256 fed in uneven pieces equals the digest of the whole")
    func sha256InPieces() {
        let bytes = (0..<10_000).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        var hasher = ContentHasher()
        var start = 0
        for size in [1, 63, 64, 65, 0, 127, 3_000, 6_680] {
            hasher.update(bytes[start..<start + size])
            start += size
        }
        #expect(start == bytes.count)
        #expect(hasher.byteCount == 10_000)
        #expect(hasher.finalize() == ContentHasher.hexDigest(bytes))
        #expect(hasher.finalize() != ContentHasher.hexDigest(Array(bytes.dropLast())))
    }
}

@Suite("Diagnostic formats")
struct DiagnosticFormatterTests {
    private let diagnostic = Diagnostic(
        .error, "column 'title' is listed twice", at: SourceLocation(file: "dir/a,b.yaml", line: 9, column: 26),
        rule: "duplicate-column",
        notes: [.init("'title' is first listed here", at: SourceLocation(file: "dir/a,b.yaml", line: 9, column: 19))]
    )

    @Test("text is compiler style with note lines")
    func text() {
        #expect(DiagnosticFormatter.format([diagnostic], as: .text) == """
            dir/a,b.yaml:9:26: error: column 'title' is listed twice [duplicate-column]
            dir/a,b.yaml:9:19: note: 'title' is first listed here

            """)
    }

    @Test("github annotations escape properties and data")
    func github() {
        let line = DiagnosticFormatter.github(diagnostic)
        #expect(line == "::error file=dir/a%2Cb.yaml,line=9,col=26,title=syncwright [duplicate-column]::"
                + "column 'title' is listed twice%0Anote: 9:19: 'title' is first listed here")
    }

    @Test("json is one document with counts")
    func json() throws {
        let output = DiagnosticFormatter.format([diagnostic], as: .json)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(object["errors"] as? Int == 1)
        #expect(object["warnings"] as? Int == 0)
        let entries = try #require(object["diagnostics"] as? [[String: Any]])
        #expect(entries.first?["rule"] as? String == "duplicate-column")
        #expect(entries.first?["line"] as? Int == 9)
        #expect(entries.first?["column"] as? Int == 26)
        #expect((entries.first?["notes"] as? [[String: Any]])?.first?["column"] as? Int == 19)
    }

    @Test("a reference and a field of the same generated name collide once")
    func oneCollisionPerPair() throws {
        let text = """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid }
              Order:
                fields:
                  id: uuid
                  customer: Customer
                  customerId: uuid
            """
        let diagnostics = load(text).diagnostics
        #expect(diagnostics.map(\.ruleID) == ["name-collision"])
        #expect(diagnostics.first?.message == "field 'customerId' and 'customer' both become the Swift property 'customerId'")
        #expect(diagnostics.first?.notes.first?.location?.line == 9)
    }

    @Test("all diagnostics of a file come in one run, in file order")
    func collected() {
        let text = """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields:
                  id: uuid?
                  title: strng
                  state: { enum: [a, a] }
            subsets:
              clerk:
                entities:
                  Itme: {}
            """
        #expect(load(text).diagnostics.map(\.ruleID) == ["nullable-key", "unknown-type", "duplicate-enum-case", "unknown-entity"])
    }
}
