import Foundation
import Testing
@testable import SyncwrightSchema

/// Hostile and broken input yields diagnostics: never a crash, never a hang.
@Suite("Malformed input", .timeLimit(.minutes(2)))
struct MalformedInputTests {
    @Test("an empty file is reported at 1:1")
    func emptyFile() {
        let result = load("")
        #expect(result.diagnostics.map(\.ruleID) == ["empty-schema"])
        #expect(result.diagnostics.first?.location == SourceLocation(file: "schema.yaml", line: 1, column: 1))
        #expect(result.model == nil)
    }

    @Test("a file of only whitespace and comments is empty")
    func onlyComments() {
        #expect(load("\n\n   \n# a comment\n").diagnostics.map(\.ruleID) == ["empty-schema"])
    }

    @Test("a scalar, a list or several documents instead of a mapping")
    func wrongRoot() {
        #expect(load("just text\n").diagnostics.map(\.ruleID) == ["invalid-structure"])
        #expect(load("- a\n- b\n").diagnostics.map(\.ruleID) == ["invalid-structure"])
        let documents = load("syncwright: 1\n---\nname: x\n")
        #expect(documents.diagnostics.map(\.ruleID) == ["yaml-syntax"])
        #expect(documents.diagnostics.first?.location.line == 2)
    }

    @Test("every tab used for indentation is reported, each at its own line")
    func tabs() {
        let text = "syncwright: 1\nname: Shop\nentities:\n\tItem:\n\t\tfields: { id: uuid }\n"
        let result = load(text)
        #expect(result.diagnostics.map(\.ruleID) == ["yaml-tab-indentation", "yaml-tab-indentation"])
        #expect(result.diagnostics.map(\.location.line) == [4, 5])
        #expect(result.diagnostics.allSatisfy { $0.location.column == 1 })
    }

    @Test("a tab inside a value is not an indentation error")
    func tabInValue() {
        let result = load("syncwright: 1\nname: Shop\nentities:\n  Item:\n    doc: \"a\\tb\"\n    fields: { id: uuid }\n")
        #expect(result.diagnostics.isEmpty, "\(render(result.diagnostics))")
    }

    @Test("a duplicate key points at the second occurrence with a note at the first")
    func duplicateKey() throws {
        let text = """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid }
              Other:
                fields: { id: uuid }
              Item:
                fields: { id: uuid }
            """
        let diagnostic = try #require(load(text).diagnostics.first)
        #expect(diagnostic.ruleID == "yaml-duplicate-key")
        #expect(diagnostic.message == "duplicate key 'Item'")
        #expect((diagnostic.location.line, diagnostic.location.column) == (8, 3))
        #expect(diagnostic.notes.first?.location?.line == 4)
        #expect(diagnostic.notes.first?.location?.column == 3)
    }

    @Test("an unterminated quoted string names where it starts")
    func unterminatedString() throws {
        let diagnostic = try #require(load("syncwright: 1\nname: \"Shop\nentities: {}\n").diagnostics.first)
        #expect(diagnostic.ruleID == "yaml-syntax")
        #expect(diagnostic.message == "unterminated quoted string")
        #expect(diagnostic.notes.first?.location == SourceLocation(file: "schema.yaml", line: 2, column: 7))
    }

    @Test("bad indentation is a syntax error on its own line, not a dump of the document")
    func badIndentation() throws {
        let text = "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields:\n      id: uuid\n     title: string\n"
        let diagnostic = try #require(load(text).diagnostics.first)
        #expect(diagnostic.ruleID == "yaml-syntax")
        #expect(diagnostic.location.line == 7)
        #expect(!diagnostic.message.contains("\n"))
        #expect(diagnostic.message.count < 120)
    }

    @Test("invalid UTF-8 is reported at the first bad byte")
    func invalidUTF8() throws {
        var bytes = Data("syncwright: 1\nname: Sh".utf8)
        bytes.append(contentsOf: [0xC3, 0x28])
        bytes.append(contentsOf: Array("op\n".utf8))
        let diagnostic = try #require(load(bytes: bytes).diagnostics.first)
        #expect(diagnostic.ruleID == "invalid-utf8")
        #expect((diagnostic.location.line, diagnostic.location.column) == (2, 9))
    }

    @Test("control characters are reported, not passed on")
    func controlCharacters() {
        let result = load(bytes: Data("syncwright: 1\nname: Sh\u{0}op\n".utf8))
        #expect(result.diagnostics.map(\.ruleID) == ["yaml-syntax"])
        #expect(result.diagnostics.first?.location.line == 2)
    }

    @Test("10,000 levels of flow nesting are refused before composition", arguments: ["[", "{a: "])
    func deepFlowNesting(opening: String) {
        let closing = opening == "[" ? "]" : "}"
        let text = "syncwright: 1\nname: " + String(repeating: opening, count: 10_000) + "x"
            + String(repeating: closing, count: 10_000) + "\n"
        let result = load(text)
        #expect(result.diagnostics.map(\.ruleID) == ["yaml-too-deep"])
        #expect(result.diagnostics.first?.location.line == 2)
    }

    @Test("10,000 levels of block nesting are refused before composition")
    func deepBlockNesting() {
        var text = "syncwright: 1\nname: Shop\nentities:\n"
        for depth in 0..<10_000 { text += String(repeating: " ", count: depth + 2) + "k\(depth):\n" }
        #expect(load(text).diagnostics.map(\.ruleID) == ["yaml-too-deep"])
        let compact = String(repeating: "- ", count: 10_000) + "x\n"
        #expect(load(compact).diagnostics.map(\.ruleID) == ["yaml-too-deep"])
    }

    @Test("a 5 MB schema of 5,200 entities validates")
    func largeSchema() {
        var text = "syncwright: 1\nname: Big\nentities:\n"
        for entity in 0..<5_200 {
            text += "  Entity\(entity):\n    doc: \(String(repeating: "words ", count: 100))\n    fields:\n      id: uuid\n"
            for field in 0..<15 { text += "      field\(field): string?\n" }
        }
        #expect(text.utf8.count > 5_000_000)
        let result = load(text)
        #expect(result.diagnostics.isEmpty, "\(render(Array(result.diagnostics.prefix(5))))")
        #expect(result.model?.entities.count == 5_200)
    }

    @Test("a 5 MB file of garbage yields diagnostics")
    func largeGarbage() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("abc:- []{}'\"#&*!|>%@`,?\n  ")
        let text = String((0..<5_000_000).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
        let result = load(text)
        #expect(!result.diagnostics.isEmpty)
        #expect(result.model == nil)
    }

    @Test("a one-megabyte row filter is parsed and checked in linear time")
    func hugeExpression() {
        let condition = Array(repeating: "price > 1", count: 100_000).joined(separator: " and ")
        let text = """
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid, price: int }
            subsets:
              clerk:
                entities:
                  Item:
                    rows: \(condition) or price < 0
            """
        let result = load(text)
        let diagnostics = result.diagnostics.filter { $0.ruleID != "subset-open-to-all" }
        #expect(diagnostics.isEmpty, "\(render(Array(diagnostics.prefix(3))))")
        guard case .or(let operands)? = result.model?.subsets.first?.entities.first?.rowFilter else {
            Issue.record("expected an 'or' at the top")
            return
        }
        guard case .and(let conditions) = operands[0] else {
            Issue.record("expected an 'and' chain")
            return
        }
        #expect(conditions.count == 100_000)
    }

    @Test("a huge expression full of errors reports every one without blowing up")
    func hugeExpressionWithErrors() {
        let condition = Array(repeating: "price > \"x\"", count: 20_000).joined(separator: " or ")
        let text = "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, price: int }\n"
            + "subsets:\n  clerk:\n    entities:\n      Item:\n        rows: \(condition)\n"
        let result = load(text)
        #expect(result.diagnostics.count == 20_000)
        #expect(result.diagnostics.allSatisfy { $0.ruleID == "filter-type-mismatch" && $0.location.line == 10 })
        #expect(result.diagnostics.last?.location.column == 15 + (20_000 - 1) * 15 + 8)
    }

    @Test("deeply parenthesized and negated filters stop at the nesting limit", arguments: ["(", "not "])
    func deepExpression(prefix: String) throws {
        let suffix = prefix == "(" ? ")" : ""
        let expression = String(repeating: prefix, count: 100_000) + "active" + String(repeating: suffix, count: 100_000)
        let text = "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid, active: bool }\n"
            + "subsets:\n  clerk:\n    entities:\n      Item:\n        rows: \"\(expression)\"\n"
        let diagnostic = try #require(load(text).diagnostics.first)
        #expect(diagnostic.ruleID == "filter-syntax")
        #expect(diagnostic.message.contains("nests more than 64 levels"))
        #expect(diagnostic.location.column == 16 + 64 * prefix.count)
    }

    @Test("alias expansion is bounded")
    func billionLaughs() {
        var text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
        for (index, name) in ["b", "c", "d", "e", "f", "g", "h", "i"].enumerated() {
            let previous = index == 0 ? "a" : ["b", "c", "d", "e", "f", "g", "h"][index - 1]
            text += "\(name): &\(name) [" + Array(repeating: "*\(previous)", count: 10).joined(separator: ", ") + "]\n"
        }
        #expect(load(text).diagnostics.map(\.ruleID) == ["yaml-too-large"])
    }
}
