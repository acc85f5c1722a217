import Foundation
import PackagePlugin

/// The build tool plugin: generates a target's sync code from the schema in the target's
/// folder (and the optional settings file beside it) on every build where either, or the
/// syncwright tool itself, changed. The file names are ``GeneratedFileContract``'s.
@main
struct SyncwrightPlugin: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SourceModuleTarget else {
            throw PluginFailure("the Syncwright plugin works on source targets only; '\(target.name)' is not one")
        }
        let inputs = try PluginInputs(target: target)
        let tool = try context.tool(named: "syncwright")
        let output = context.pluginWorkDirectoryURL.appending(path: "GeneratedSources")
        return [
            .buildCommand(
                displayName: "Generating sync code for \(target.name) from \(inputs.schema.lastPathComponent)",
                executable: tool.url,
                arguments: inputs.generateArguments(output: output) + ["--quiet"],
                inputFiles: [inputs.schema, tool.url] + (inputs.settings.map { [$0] } ?? []),
                outputFiles: GeneratedFileContract.outputFileNames().map { output.appending(path: $0) }
            ),
        ]
    }
}
