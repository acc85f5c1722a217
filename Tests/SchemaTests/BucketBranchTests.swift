import Testing
@testable import SyncwrightSchema

@Suite("Bucket branches")
struct BucketBranchTests {
    /// The branches of `rows` on an Order entity, each written as `conditions | bindings`.
    private func branches(_ rows: String) throws -> [String] {
        let text = """
            syncwright: 1
            name: Shop
            entities:
              Customer:
                fields: { id: uuid, district: string }
              Order:
                fields: { id: uuid, owner: uuid, customer: Customer, state: string, shared: bool, level: int }
            subsets:
              clerk:
                parameters:
                  me: { claim: sub, type: uuid }
                  districts: { claim: districts, type: "[string]" }
                  level: { claim: level, type: int }
                entities:
                  Order:
                    rows: '\(rows)'
            """
        let result = load(text)
        let entity = try #require(result.model?.subsets.first?.entities.first, "\(render(result.diagnostics))")
        let branches = try #require(entity.bucketBranches)
        return branches.map { branch in
            branch.conditions.map(\.description).joined(separator: ", ") + " | "
                + branch.bindings.map { "\($0.expression)\($0.isDirect ? "" : " (scanned)")" }.joined(separator: ", ")
        }
    }

    @Test("a conjunction is one branch: parameter comparisons name the bucket, the rest decide membership")
    func conjunction() throws {
        #expect(try branches(#"owner == $me and state != "lost""#) == [#"state != "lost" | owner == $me"#])
        #expect(try branches("customer.district in $districts") == [" | customer.district in $districts"])
    }

    @Test("or, not and nesting are rewritten as an or of ands")
    func normalForm() throws {
        #expect(try branches("owner == $me or shared") == [" | owner == $me", "shared | "])
        #expect(try branches(#"(owner == $me or shared) and state == "open""#)
            == [#"state == "open" | owner == $me"#, #"shared, state == "open" | "#])
        // not (a and b) is not a or not b.
        #expect(try branches(#"not (shared and state == "x")"#) == ["not shared | ", #"not state == "x" | "#])
    }

    @Test("comparisons other than == and in, and negated ones, are scanned")
    func scanned() throws {
        #expect(try branches("level <= $level") == [" | level <= $level (scanned)"])
        #expect(try branches("not (owner == $me)") == [" | not owner == $me (scanned)"])
    }

    @Test("a filter with more than 32 branches has none, and the validator says so at its start")
    func tooComplex() {
        let rows = (1...6).map { "(level == \($0) or level == \($0 + 10))" }.joined(separator: " and ")
        let result = load("""
            syncwright: 1
            name: Shop
            entities:
              Order:
                fields: { id: uuid, level: int }
            subsets:
              clerk:
                entities:
                  Order:
                    rows: \(rows)
            """)
        #expect(result.diagnostics.map(\.ruleID).contains("filter-too-complex"))
        #expect(result.diagnostics.first { $0.ruleID == "filter-too-complex" }?.location.column == 15)
    }
}
