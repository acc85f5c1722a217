import Foundation
import Testing
import SyncwrightGenerator
import SyncwrightSchema

@Suite("Settings file")
struct GeneratorSettingsTests {
    /// The text without its `↓`, and the line and column the marker stood at.
    private func marked(_ text: String) -> (text: String, line: Int, column: Int)? {
        guard let marker = text.firstIndex(of: "↓") else { return nil }
        let before = text[..<marker]
        let line = before.filter { $0 == "\n" }.count + 1
        let column = before.split(separator: "\n", omittingEmptySubsequences: false).last!.unicodeScalars.count + 1
        return (text.replacingOccurrences(of: "↓", with: ""), line, column)
    }

    private func parse(_ text: String) -> GeneratorSettings.ParseResult {
        GeneratorSettings.parse(SchemaFile(path: "syncwright-config.yaml", text: text))
    }

    @Test("each rule's triggering examples report it at the marked position, and stop the settings")
    func triggering() throws {
        for rule in SettingsRules.all {
            #expect(!rule.triggeringExamples.isEmpty && !rule.passingExamples.isEmpty, "\(rule.id)")
            for example in rule.triggeringExamples {
                let (text, line, column) = try #require(marked(example), "\(rule.id): no ↓ in \(example)")
                let result = parse(text)
                #expect(result.diagnostics.contains { $0.ruleID == rule.id && $0.location.line == line && $0.location.column == column },
                        "\(rule.id) at \(line):\(column) in \(text.debugDescription); got \(result.diagnostics)")
                #expect(result.settings == nil)
            }
            for example in rule.passingExamples {
                let result = parse(example)
                #expect(result.diagnostics.isEmpty, "\(rule.id): \(example.debugDescription) gave \(result.diagnostics)")
                #expect(result.settings != nil)
            }
        }
    }

    @Test("a good file gives both settings with their places; options given on the command line win")
    func values() throws {
        let result = parse("# for the app target\nsubset: technician\naccess: internal\n")
        let settings = try #require(result.settings)
        #expect(settings.subset?.value == "technician")
        #expect(settings.subset?.location.line == 2)
        #expect(settings.access?.value == .internal)
        #expect(settings.access?.location.column == 9)
        let fromFile = settings.applied(to: GenerationOptions(), subsetGiven: false, accessGiven: false)
        #expect(fromFile.subset == "technician" && fromFile.access == .internal)
        let fromFlags = settings.applied(to: GenerationOptions(subset: "office", access: .public), subsetGiven: true, accessGiven: true)
        #expect(fromFlags.subset == "office" && fromFlags.access == .public)
    }

    @Test("YAML errors are the schema's YAML diagnostics; an empty or comment-only file sets nothing")
    func yamlAndEmpty() {
        let broken = parse("subset: [owner\n")
        #expect(broken.settings == nil)
        #expect(broken.diagnostics.contains { $0.ruleID == Rules.YAMLSyntax.id })
        for empty in ["", "\n\n", "# nothing yet\n"] {
            let result = parse(empty)
            #expect(result.diagnostics.isEmpty, "\(empty.debugDescription): \(result.diagnostics)")
            #expect(result.settings == GeneratorSettings())
        }
    }
}
