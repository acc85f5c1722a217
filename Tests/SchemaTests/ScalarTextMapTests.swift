import Testing
@testable import SyncwrightSchema

/// Errors inside a filter point at the token's own line and column, however the
/// YAML scalar is written.
@Suite("Positions inside scalars")
struct ScalarTextMapTests {
    private func location(of rowsBlock: String) -> (line: Int, column: Int)? {
        let text = """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, price: int, title: string }
            subsets:
              clerk:
                entities:
                  Item:
            \(rowsBlock)
            """
        let marked = MarkedSchema(text)
        guard let diagnostic = load(bytes: marked.bytes).diagnostics.first(where: { $0.ruleID.hasPrefix("filter") }) else {
            return nil
        }
        #expect(diagnostic.location.line == marked.line && diagnostic.location.column == marked.column,
                "expected \(marked.line ?? 0):\(marked.column ?? 0), got \(diagnostic.location)")
        return (diagnostic.location.line, diagnostic.location.column)
    }

    @Test("plain, single-line", arguments: [
        "        rows: price > 1 and ↓pryce < 3",
        "        rows: price > 1 and price < ↓\"3\"",
    ])
    func plain(block: String) { #expect(location(of: block) != nil) }

    @Test("double-quoted with escapes before the error")
    func doubleQuoted() {
        #expect(location(of: "        rows: \"title != \\\"a\\\\\\\"b\\\" or ↓pryce < 3\"") != nil)
        #expect(location(of: "        rows: \"price > 1 or ↓pryce < 3\"") != nil)
    }

    @Test("single-quoted with a doubled quote before the error")
    func singleQuoted() {
        #expect(location(of: "        rows: 'price == 1 or title == ''2'' or ↓pryce < 3'") != nil)
    }

    @Test("folded block over several lines")
    func folded() {
        #expect(location(of: "        rows: >\n          price > 1 and\n          price < 5 and\n          ↓pryce < 3") != nil)
    }

    @Test("literal block over several lines")
    func literal() {
        #expect(location(of: "        rows: |\n          price > 1 and\n            (price < 5 or ↓pryce < 3)") != nil)
    }

    @Test("plain scalar continued on the next lines")
    func plainMultiline() {
        #expect(location(of: "        rows: price > 1 and\n          price < 5\n          and ↓pryce < 3") != nil)
    }

    @Test("an include path points at the broken component")
    func includePath() {
        let text = """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, name: string }
              Order:
                fields: { id: uuid, customer: Customer }
            subsets:
              clerk:
                entities:
                  Order:
                    include: { a: "customer.↓nme" }
            """
        let marked = MarkedSchema(text)
        let diagnostic = load(bytes: marked.bytes).diagnostics.first { $0.severity == .error }
        #expect(diagnostic?.ruleID == "invalid-include")
        #expect(diagnostic?.location.line == marked.line)
        #expect(diagnostic?.location.column == marked.column)
        #expect(diagnostic?.message == "include 'a': 'Customer' has no field 'nme'; did you mean 'name'?")
    }
}
