import Foundation
import Testing

@Suite("syncwright init")
struct InitCommandTests {
    let cli = ValidateCommandTests()

    @Test("writes a schema that validates and a config, prints the Package.swift lines, and never overwrites")
    func startsAProject() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-init-\(UUID().uuidString)/Sources/NotesModel")
        defer { try? FileManager.default.removeItem(at: folder.deletingLastPathComponent().deletingLastPathComponent()) }
        let first = try cli.syncwright("init", folder.path())
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains(#".product(name: "Syncwright", package: "syncwright")"#))
        #expect(first.standardOutput.contains(#"plugins: [.plugin(name: "SyncwrightPlugin", package: "syncwright")]"#))
        #expect(first.standardOutput.contains(#"name: "NotesModel""#))
        #expect(first.standardOutput.contains(".package(path: "))
        let schema = try String(contentsOf: folder.appending(path: "syncwright.yaml"), encoding: .utf8)
        #expect(schema.contains("name: NotesModel"))
        #expect(schema.contains("allow: $role == \"member\""))
        #expect(schema.contains("userId: { claim: sub, type: uuid }"))
        let config = try String(contentsOf: folder.appending(path: "syncwright-config.yaml"), encoding: .utf8)
        #expect(config.contains("subset: member"))

        let validate = try cli.syncwright("validate", folder.appending(path: "syncwright.yaml").path())
        #expect(validate.status == 0, "\(validate.standardOutput)")
        #expect(!validate.standardOutput.contains("warning"), "\(validate.standardOutput)")
        let generate = try cli.syncwright("generate", folder.appending(path: "syncwright.yaml").path(),
                                         "--config", folder.appending(path: "syncwright-config.yaml").path(),
                                         "--output", folder.appending(path: "Generated").path())
        #expect(generate.status == 0, "\(generate.standardError)")

        // A second init refuses and changes nothing.
        try Data("name: Mine\n".utf8).write(to: folder.appending(path: "syncwright-config.yaml"))
        let again = try cli.syncwright("init", folder.path())
        #expect(again.status == 2)
        #expect(again.standardError.contains("syncwright.yaml exists"))
        #expect(again.standardError.contains("syncwright-config.yaml exists"))
        #expect(try String(contentsOf: folder.appending(path: "syncwright.yaml"), encoding: .utf8) == schema)
        #expect(try String(contentsOf: folder.appending(path: "syncwright-config.yaml"), encoding: .utf8) == "name: Mine\n")
    }

    @Test("--name must be an identifier")
    func badName() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "syncwright-init-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try cli.syncwright("init", folder.path(), "--name", "my app")
        #expect(result.status == 2)
        #expect(result.standardError.contains("--name must be an identifier"))
        #expect(!FileManager.default.fileExists(atPath: folder.path()))
    }
}
