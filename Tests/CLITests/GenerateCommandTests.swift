import Foundation
import SyncwrightGenerator
import Testing

@Suite("syncwright generate")
struct GenerateCommandTests {
    let cli = ValidateCommandTests()

    private func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appending(path: "syncwright-generate-\(UUID().uuidString)")
    }

    @Test("generates the fixed set of files, and a second run writes nothing")
    func generate() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: output) }
        let first = try cli.syncwright("generate", "Examples/Todo/syncwright.yaml", "--output", output.path())
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("9 written, 0 unchanged"))
        let files = try FileManager.default.contentsOfDirectory(atPath: output.path()).sorted()
        #expect(files == GeneratedFileContract.outputFileNames().sorted())
        let second = try cli.syncwright("generate", "Examples/Todo/syncwright.yaml", "--output", output.path())
        #expect(second.standardOutput.contains("0 written, 9 unchanged"))
    }

    @Test("schema errors print exactly as validate prints them, with exit status 1")
    func schemaErrors() throws {
        let schema = try cli.temporarySchema(cli.broken)
        defer { try? FileManager.default.removeItem(at: schema) }
        let output = temporaryFolder()
        let generate = try cli.syncwright("generate", schema.path(), "--output", output.path())
        let validate = try cli.syncwright("validate", schema.path())
        #expect(generate.status == 1)
        #expect(generate.standardError == validate.standardOutput)
        #expect(!FileManager.default.fileExists(atPath: output.path()))
    }

    @Test("several subsets without --subset is a usage error that lists them")
    func subsetRequired() throws {
        let schema = try cli.temporarySchema("""
            syncwright: 1
            name: Shop
            entities:
              Item:
                fields: { id: uuid }
            subsets:
              clerk:
                entities: { Item: {} }
              manager:
                entities: { Item: {} }
            """)
        defer { try? FileManager.default.removeItem(at: schema) }
        let run = try cli.syncwright("generate", schema.path(), "--output", temporaryFolder().path())
        #expect(run.status == 2)
        #expect(run.standardError.contains("choose one with --subset: clerk, manager"))
    }

    @Test("a settings file chooses the subset and access level; a bad one is reported with its line")
    func settingsFile() throws {
        let output = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: output) }
        let config = output.appending(path: "syncwright-config.yaml")
        try FileManager.default.createDirectory(at: output, withIntermediateDirectories: true)
        try Data("subset: owner\naccess: internal\n".utf8).write(to: config)
        let run = try cli.syncwright("generate", "Examples/Todo/syncwright.yaml", "--config", config.path(), "--output", output.path())
        #expect(run.status == 0, "\(run.standardError)")
        let registry = try String(contentsOf: output.appending(path: "SyncwrightRegistry.swift"), encoding: .utf8)
        #expect(registry.contains("internal enum TodoOwner {"))
        try Data("subset: owner\nacces: public\n".utf8).write(to: config)
        let bad = try cli.syncwright("generate", "Examples/Todo/syncwright.yaml", "--config", config.path(), "--output", output.path())
        #expect(bad.status == 2)
        #expect(bad.standardError.contains("syncwright-config.yaml:2:1: error: unknown settings key 'acces'; did you mean 'access'? [settings-unknown-key]"))
    }

    @Test("templates export writes the bundled templates, and --templates reads them back")
    func templates() throws {
        let folder = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let export = try cli.syncwright("templates", "export", folder.path())
        #expect(export.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path()).sorted()
                == ["entities.mustache", "header.mustache", "registry.mustache"])
        let header = folder.appending(path: "header.mustache")
        try Data("{{% CONTENT_TYPE: TEXT }}\n// Custom header\n".utf8).write(to: header)
        let output = folder.appending(path: "out")
        let run = try cli.syncwright("generate", "Examples/Todo/syncwright.yaml", "--output", output.path(), "--templates", folder.path())
        #expect(run.status == 0, "\(run.standardError)")
        #expect(try String(contentsOf: output.appending(path: "SyncwrightRegistry.swift"), encoding: .utf8).hasPrefix("// Custom header\n"))
    }
}
