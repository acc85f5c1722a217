import Foundation
import Testing
@testable import SyncwrightSchema

/// One example of one rule, as a test argument.
struct RuleExample: Sendable, CustomTestStringConvertible {
    var ruleID: String
    var index: Int
    var triggers: Bool
    var text: String

    var testDescription: String { "\(ruleID) \(triggers ? "triggering" : "passing") #\(index + 1)" }

    static var triggering: [RuleExample] {
        Rules.all.flatMap { rule in
            rule.triggeringExamples.enumerated().map { RuleExample(ruleID: rule.id, index: $0, triggers: true, text: $1) }
        }
    }

    static var passing: [RuleExample] {
        Rules.all.flatMap { rule in
            rule.passingExamples.enumerated().map { RuleExample(ruleID: rule.id, index: $0, triggers: false, text: $1) }
        }
    }
}

@Suite("Rule examples")
struct RuleExampleTests {
    @Test("a triggering example reports its rule at the marked position", arguments: RuleExample.triggering)
    func triggeringExample(_ example: RuleExample) throws {
        let marked = MarkedSchema(example.text)
        let line = try #require(marked.line, "the example has no ↓ marker")
        let column = try #require(marked.column)
        let result = load(bytes: marked.bytes)
        let matching = result.diagnostics.filter { $0.ruleID == example.ruleID }
        #expect(
            matching.contains { $0.location.line == line && $0.location.column == column },
            "expected [\(example.ruleID)] at \(line):\(column); got:\n\(render(result.diagnostics))"
        )
        let severity = try #require(Rules.rule(withID: example.ruleID)).severity
        #expect(matching.allSatisfy { $0.severity == severity })
        if severity == .error {
            #expect(result.model == nil, "a schema with errors must not produce a model")
        }
    }

    @Test("a passing example is free of its rule and of errors", arguments: RuleExample.passing)
    func passingExample(_ example: RuleExample) {
        let result = load(bytes: MarkedSchema(example.text).bytes)
        #expect(!result.diagnostics.contains { $0.ruleID == example.ruleID }, "\(render(result.diagnostics))")
        #expect(!result.diagnostics.containsErrors, "\(render(result.diagnostics))")
        #expect(result.model != nil)
    }

    @Test("every rule has a unique kebab-case id, a summary, and both kinds of example")
    func ruleCatalog() {
        var seen: Set<String> = []
        for rule in Rules.all {
            #expect(seen.insert(rule.id).inserted, "duplicate rule id \(rule.id)")
            #expect(rule.id.range(of: "^[a-z0-9]+(-[a-z0-9]+)*$", options: .regularExpression) != nil, "\(rule.id)")
            #expect(!rule.summary.isEmpty && !rule.summary.hasSuffix("."), "\(rule.id)")
            #expect(!rule.triggeringExamples.isEmpty, "\(rule.id) has no triggering example")
            #expect(!rule.passingExamples.isEmpty, "\(rule.id) has no passing example")
        }
    }

    @Test("docs/schema.md lists every rule in its table")
    func rulesAreDocumented() throws {
        let documentation = try String(contentsOf: repositoryRoot.appending(path: "docs/schema.md"), encoding: .utf8)
        for rule in Rules.all {
            #expect(documentation.contains("| `\(rule.id)` |"), "docs/schema.md does not list \(rule.id)")
        }
    }

    @Test("every rule type declared in the sources is registered in Rules.all")
    func sourcesUseKnownRules() throws {
        let folder = repositoryRoot.appending(path: "Sources/Schema/Validation/Rules")
        let known = Set(Rules.all.map { $0.id })
        let marker = "public static let id = \""
        var declared = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: folder.path()) where name.hasSuffix(".swift") {
            let text = try String(contentsOf: folder.appending(path: name), encoding: .utf8)
            for line in text.split(separator: "\n") {
                guard let range = line.range(of: marker) else { continue }
                let id = line[range.upperBound...].prefix { $0 != "\"" }
                declared += 1
                #expect(known.contains(String(id)), "\(id) in \(name) is missing from Rules.all")
            }
        }
        #expect(declared == Rules.all.count)
    }
}
