import Foundation
import PackagePlugin

/// The build tool plugin: generates a target's sync code from the `syncwright.yaml` in
/// the target's folder (and the optional `syncwright-config.yaml` beside it) on every
/// build where either, or the syncwright tool itself, changed.
@main
struct SyncwrightPlugin: BuildToolPlugin {
    /// The generated files: fixed, so they can be declared before the tool runs.
    static let outputFileNames = ["SyncwrightRegistry.swift"] + (0..<8).map { "SyncwrightEntities\($0).swift" }

    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else {
            throw PluginFailure("the Syncwright plugin works on source targets only; '\(target.name)' is not one")
        }
        let inputs = try PluginInputs(target: target)
        let tool = try context.tool(named: "syncwright")
        let output = context.pluginWorkDirectoryURL.appending(path: "GeneratedSources")
        var arguments = ["generate", inputs.schema.path(), "--output", output.path(), "--quiet"]
        var inputFiles = [inputs.schema, tool.url]
        if let config = inputs.config {
            arguments += ["--config", config.path()]
            inputFiles.append(config)
        }
        return [
            .buildCommand(
                displayName: "Generating sync code for \(target.name) from syncwright.yaml",
                executable: tool.url,
                arguments: arguments,
                inputFiles: inputFiles,
                outputFiles: Self.outputFileNames.map { output.appending(path: $0) }
            ),
        ]
    }
}

/// The schema and settings files of a target, found by their fixed names.
struct PluginInputs {
    var schema: URL
    var config: URL?

    init(target: SourceModuleTarget) throws {
        let folder = target.directoryURL
        let manager = FileManager.default
        let schemas = ["syncwright.yaml", "syncwright.yml"].map { folder.appending(path: $0) }
            .filter { manager.fileExists(atPath: $0.path()) }
        guard let schema = schemas.first else {
            throw PluginFailure("""
                target '\(target.name)' uses the Syncwright plugin but has no syncwright.yaml; \
                add one at \(folder.appending(path: "syncwright.yaml").path()) \
                (Examples/Todo/syncwright.yaml is a small one to start from)
                """)
        }
        guard schemas.count == 1 else {
            throw PluginFailure("target '\(target.name)' has both syncwright.yaml and syncwright.yml; keep exactly one")
        }
        self.schema = schema
        let config = folder.appending(path: "syncwright-config.yaml")
        self.config = manager.fileExists(atPath: config.path()) ? config : nil
    }
}

struct PluginFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
