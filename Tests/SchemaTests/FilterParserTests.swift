import Testing
@testable import SyncwrightSchema

@Suite("Filter parser")
struct FilterParserTests {
    /// Parses and type-checks `rows` against a small Shop schema; returns the canonical
    /// spelling, or the diagnostics.
    private func check(_ rows: String) -> (filter: String?, diagnostics: [Diagnostic]) {
        let text = """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, name: string, region: string, vip: bool }
              Order:
                fields:
                  id: uuid
                  customer: Customer
                  owner: uuid
                  state: { enum: [open, paid, shipped] }
                  total: decimal
                  count: int
                  placed: timestamp
                  due: date?
                  paid: bool
            subsets:
              clerk:
                parameters:
                  userId: { claim: sub, type: uuid }
                  regions: { claim: regions, type: "[string]" }
                entities:
                  Order:
                    rows: '\(rows.replacingOccurrences(of: "'", with: "''"))'
            """
        let result = load(text)
        let filter = result.model?.subsets.first?.entities.first?.rowFilter
        // The subset has no `allow:`, so a filter without parameters also warns
        // `subset-open-to-all`; these tests are about the filter.
        return (filter?.description, result.diagnostics.filter { $0.ruleID != "unused-parameter" && $0.ruleID != "subset-open-to-all" })
    }

    @Test("precedence: not binds tighter than and, and tighter than or", arguments: [
        ("paid or count > 1 and not paid", "paid or (count > 1 and not paid)"),
        ("(paid or count > 1) and paid", "(paid or count > 1) and paid"),
        ("not (paid and count == 2)", "not (paid and count == 2)"),
        ("paid and paid and paid", "paid and paid and paid"),
    ])
    func precedence(source: String, canonical: String) {
        let result = check(source)
        #expect(result.filter == canonical, "\(render(result.diagnostics))")
    }

    @Test("every predicate form resolves and prints canonically", arguments: [
        ("owner == $userId", "owner == $userId"),
        ("customer.region in $regions", "customer.region in $regions"),
        ("customer.vip", "customer.vip"),
        ("state in ['open', \"paid\"]", "state in [\"open\", \"paid\"]"),
        ("total >= 10.50 and count < -3", "total >= 10.50 and count < -3"),
        ("due is null or due > \"2024-02-29\"", "due is null or due > \"2024-02-29\""),
        ("placed < '2024-01-31T09:30:00.125+02:00'", "placed < \"2024-01-31T09:30:00.125+02:00\""),
        ("customerId is not null", "customerId is not null"),
        ("version > 3 and updatedAt > \"2024-01-01T00:00:00Z\"", "version > 3 and updatedAt > \"2024-01-01T00:00:00Z\""),
        ("customer.name == 'O\\'Brien'", "customer.name == \"O'Brien\""),
    ])
    func predicates(source: String, canonical: String) {
        let result = check(source)
        #expect(result.filter == canonical, "\(render(result.diagnostics))")
    }

    @Test("syntax errors point at the offending token", arguments: [
        ("paid and", 9, "expected a condition; found the end of the expression"),
        ("count = 3", 7, "use '==' to compare, not '='"),
        ("paid && paid", 6, "use 'and' to combine conditions, not '&'"),
        ("(paid or paid", 14, "expected ')' to close this '('; found the end of the expression"),
        ("paid)", 5, "unbalanced ')'"),
        ("state in []", 11, "an 'in' list needs at least one value"),
        ("customer.name == \"x", 18, "unterminated string; add the closing \""),
        ("count > owner", 9, "compare with a literal or a $parameter, not with the field 'owner'"),
        ("state not in ['open']", 7, "write 'not (state in …)' instead of 'not in'"),
        ("3 == count", 1, "a condition must start with a field path; found '3'"),
        ("count > 3x", 10, "unexpected 'x' after a number"),
        ("customer. == 1", 11, "expected a field name after '.'; found '=='"),
    ])
    func syntaxErrors(source: String, offset: Int, message: String) throws {
        let diagnostic = try #require(check(source).diagnostics.first)
        #expect(diagnostic.ruleID == "filter-syntax")
        #expect(diagnostic.message == message)
        // The filter is single-quoted on line 24 after "        rows: '", so offset 1 is column 16.
        #expect(diagnostic.location.line == 24)
        #expect(diagnostic.location.column == 15 + offset)
    }

    @Test("type errors are all reported, each at its operand", arguments: [
        ("count == \"many\"", ["filter-type-mismatch"]),
        ("state == \"closed\"", ["unknown-enum-case"]),
        ("owner == \"not-a-uuid\"", ["filter-type-mismatch"]),
        ("due == \"2023-02-29\"", ["filter-type-mismatch"]),
        ("paid < true", ["filter-type-mismatch"]),
        ("state > \"open\"", ["filter-type-mismatch"]),
        ("count == null", ["filter-type-mismatch"]),
        ("owner == $regions", ["filter-type-mismatch"]),
        ("customer.region in $userId", ["filter-type-mismatch"]),
        ("count", ["filter-type-mismatch"]),
        ("customer == $userId", ["filter-unknown-field"]),
        ("count.id == 1", ["filter-unknown-field"]),
        ("customr.name == \"x\"", ["filter-unknown-field"]),
        ("owner == $nobody", ["unknown-parameter"]),
        ("count == \"a\" and total == true and state == \"x\"",
         ["filter-type-mismatch", "filter-type-mismatch", "unknown-enum-case"]),
        ("count is null", ["filter-redundant-null-check"]),
    ])
    func typeErrors(source: String, rules: [String]) {
        #expect(check(source).diagnostics.map(\.ruleID) == rules, "\(render(check(source).diagnostics))")
    }

    @Test("a misspelled field gets a suggestion")
    func suggestion() throws {
        let diagnostic = try #require(check("customer.regoin == \"north\"").diagnostics.first)
        #expect(diagnostic.message == "'Customer' has no field 'regoin'; did you mean 'region'?")
        #expect(diagnostic.location.column == 15 + 10)
    }

    @Test("a reference used as a value explains the field to use")
    func referenceAsValue() throws {
        let diagnostic = try #require(check("customer == $userId").diagnostics.first)
        #expect(diagnostic.message.contains("use 'customerId' for its key"))
    }

    @Test("dates and timestamps are checked for real calendar values", arguments: [
        ("2024-02-29", true), ("2023-02-29", false), ("2024-13-01", false), ("24-01-01", false), ("2024-1-01", false),
    ])
    func dates(text: String, valid: Bool) {
        #expect(ValueChecker.isDate(text) == valid)
    }

    @Test("timestamps need a time zone", arguments: [
        ("2024-01-31T09:30:00Z", true), ("2024-01-31T09:30Z", true), ("2024-01-31T09:30:00.5-05:00", true),
        ("2024-01-31T09:30:00", false), ("2024-01-31T25:00:00Z", false), ("2024-01-31 09:30:00Z", false),
    ])
    func timestamps(text: String, valid: Bool) {
        #expect(ValueChecker.isTimestamp(text) == valid)
    }
}
