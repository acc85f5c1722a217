import Foundation
import Testing
@testable import SyncwrightSchema

@Suite("Example schemas and the JSON Schema")
struct ExampleSchemaTests {
    static let examples = ["Examples/FieldService/syncwright.yaml", "Examples/Todo/syncwright.yaml"]

    @Test("each example validates clean and yields a model", arguments: examples)
    func exampleValidates(path: String) throws {
        let file = try SchemaFile(contentsOf: repositoryRoot.appending(path: path).path())
        let result = SchemaLoader.load(file)
        #expect(result.diagnostics.isEmpty, "\(render(result.diagnostics))")
        let model = try #require(result.model)
        #expect(!model.subsets.isEmpty)
        #expect(model.subsets.allSatisfy { !$0.entities.isEmpty })
    }

    @Test("the Todo example keeps each user's own rows")
    func todoFilters() throws {
        let file = try SchemaFile(contentsOf: repositoryRoot.appending(path: "Examples/Todo/syncwright.yaml").path())
        let subset = try #require(SchemaLoader.load(file).model?.subset(named: "owner"))
        #expect(subset.entity(named: "TodoList")?.rowFilter?.description == "ownerId == $userId")
        #expect(subset.entity(named: "TodoItem")?.rowFilter?.description == "list.ownerId == $userId")
        #expect(subset.parameters.map(\.claim) == ["sub"])
    }

    @Test("the examples and every rule's passing example conform to schema/syncwright.schema.json")
    func jsonSchemaAcceptsValidSchemas() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-json-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var paths = Self.examples.map { repositoryRoot.appending(path: $0).path() }
        for rule in Rules.all {
            for (index, example) in rule.passingExamples.enumerated() {
                let url = folder.appending(path: "\(rule.id)-\(index).yaml")
                try MarkedSchema(example).bytes.write(to: url)
                paths.append(url.path())
            }
        }
        let run = try runJSONSchemaCheck(paths)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\(paths.count) passed, 0 failed"), "\(run.output)")
    }

    @Test("the JSON Schema rejects a misspelled key, a bad access mode and a missing 'fields'")
    func jsonSchemaRejects() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-json-schema-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let documents = [
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    tabel: items\n    fields: { id: uuid }\n",
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    fields: { id: uuid }\nsubsets:\n  s:\n    entities:\n      Item: { access: readwrite }\n",
            "syncwright: 1\nname: Shop\nentities:\n  Item:\n    table: items\n",
        ]
        var paths: [String] = []
        for (index, document) in documents.enumerated() {
            let url = folder.appending(path: "bad-\(index).yaml")
            try Data(document.utf8).write(to: url)
            paths.append(url.path())
        }
        let run = try runJSONSchemaCheck(paths)
        #expect(run.status == 1)
        #expect(run.output.contains("0 passed, 3 failed"), "\(run.output)")
    }

    /// Runs scripts/check-json-schema.py (the reference Python validator) on `paths`.
    private func runJSONSchemaCheck(_ paths: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", repositoryRoot.appending(path: "scripts/check-json-schema.py").path(),
                             repositoryRoot.appending(path: "schema/syncwright.schema.json").path()] + paths
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
