import Foundation
import Testing
@testable import SyncwrightSchema

/// One example of one diff rule, as a test argument.
struct DiffRuleExample: Sendable, CustomTestStringConvertible {
    var ruleID: String
    var index: Int
    var triggers: Bool
    var example: DiffExample

    var testDescription: String { "\(ruleID) \(triggers ? "triggering" : "passing") #\(index + 1)" }

    static var triggering: [DiffRuleExample] {
        DiffRules.all.flatMap { rule in
            rule.triggeringExamples.enumerated().map { DiffRuleExample(ruleID: rule.id, index: $0, triggers: true, example: $1) }
        }
    }

    static var passing: [DiffRuleExample] {
        DiffRules.all.flatMap { rule in
            rule.passingExamples.enumerated().map { DiffRuleExample(ruleID: rule.id, index: $0, triggers: false, example: $1) }
        }
    }
}

/// Loads both schemas of an example (as old.yaml and new.yaml) and compares them.
func diff(_ example: DiffExample) throws -> [SchemaChange] {
    let oldResult = load(bytes: MarkedSchema(example.old).bytes, path: "old.yaml")
    let newResult = load(bytes: MarkedSchema(example.new).bytes, path: "new.yaml")
    let old = try #require(oldResult.model, "the old schema doesn't load:\n\(render(oldResult.diagnostics))")
    let new = try #require(newResult.model, "the new schema doesn't load:\n\(render(newResult.diagnostics))")
    return SchemaDiff.compare(old: old, new: new)
}

@Suite("Diff rule examples")
struct DiffRuleExampleTests {
    @Test("a triggering example reports its rule at the marked position", arguments: DiffRuleExample.triggering)
    func triggeringExample(_ example: DiffRuleExample) throws {
        let oldMark = MarkedSchema(example.example.old)
        let newMark = MarkedSchema(example.example.new)
        #expect((oldMark.line == nil) != (newMark.line == nil), "exactly one of the schemas carries the ↓ marker")
        let file = oldMark.line != nil ? "old.yaml" : "new.yaml"
        let mark = oldMark.line != nil ? oldMark : newMark
        let changes = try diff(example.example)
        let matching = changes.filter { $0.ruleID == example.ruleID }
        let expected = SourceLocation(file: file, line: try #require(mark.line), column: try #require(mark.column))
        #expect(matching.contains { $0.location == expected },
                "expected [\(example.ruleID)] at \(expected); got:\n\(changes.map(\.description).joined(separator: "\n"))")
        let impact = try #require(DiffRules.rule(withID: example.ruleID)).impact
        #expect(matching.allSatisfy { $0.impact == impact })
        #expect(changes.containsBreakingChanges == changes.contains { DiffRules.rule(withID: $0.ruleID)?.impact == .breaking })
    }

    @Test("a passing example is free of its rule", arguments: DiffRuleExample.passing)
    func passingExample(_ example: DiffRuleExample) throws {
        let changes = try diff(example.example)
        #expect(!changes.contains { $0.ruleID == example.ruleID }, "\(changes.map(\.description).joined(separator: "\n"))")
    }

    @Test("every diff rule has a unique kebab-case id, a summary, examples, and a line in docs/schema-evolution.md")
    func ruleCatalog() throws {
        let documentation = try String(contentsOf: repositoryRoot.appending(path: "docs/schema-evolution.md"), encoding: .utf8)
        var seen = Set(Rules.all.map { $0.id })
        for rule in DiffRules.all {
            #expect(seen.insert(rule.id).inserted, "\(rule.id) is already a rule id")
            #expect(rule.id.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) != nil, "\(rule.id)")
            #expect(!rule.summary.isEmpty && !rule.summary.hasSuffix("."), "\(rule.id)")
            #expect(!rule.triggeringExamples.isEmpty && !rule.passingExamples.isEmpty, "\(rule.id)")
            #expect(documentation.contains("| `\(rule.id)` | \(rule.impact.rawValue) |"), "docs/schema-evolution.md does not list \(rule.id)")
        }
    }

    @Test("every diff rule declared in the sources is registered in DiffRules.all")
    func sourcesUseKnownRules() throws {
        let folder = repositoryRoot.appending(path: "Sources/Schema/Evolution")
        let marker = "public static let id = \""
        var declared: [String] = []
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path()) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appending(path: name), encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let range = line.range(of: marker) else { continue }
                declared.append(String(line[range.upperBound...].prefix { $0 != "\"" }))
            }
        }
        #expect(declared.sorted() == DiffRules.all.map { $0.id }.sorted())
    }

    @Test("the same schema has no changes, and reformatting it has none either")
    func identicalSchemas() throws {
        #expect(try diff(DiffExample(old: DiffRules.base, new: DiffRules.base)).isEmpty)
        let reordered = DiffRules.base.replacingOccurrences(of: "{ columns: [id, title], access: read-write }",
                                                            with: "{ access: read-write, columns: [title, id] }")
        #expect(try diff(DiffExample(old: DiffRules.base, new: reordered)).isEmpty)
    }

    @Test("FieldService against itself plus a nullable field, a defaulted field and a new entity is compatible")
    func fieldServiceCompatibleChange() throws {
        let text = try String(contentsOf: repositoryRoot.appending(path: "Examples/FieldService/syncwright.yaml"), encoding: .utf8)
        let v2 = text
            .replacingOccurrences(of: "      notes: string?\n", with: "      notes: string?\n      fragile: bool?\n      visits: { type: int, default: 0 }\n")
            .replacingOccurrences(of: "\nsubsets:", with: "\n  Note:\n    fields: { id: uuid, text: string }\n\nsubsets:")
        #expect(v2 != text)
        let changes = try diff(DiffExample(old: text, new: v2))
        #expect(!changes.containsBreakingChanges, "\(changes.map(\.description))")
        #expect(Set(changes.map(\.ruleID)) == ["field-added", "entity-added"])
    }
}
