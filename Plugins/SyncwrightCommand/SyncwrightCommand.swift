import Foundation
import PackagePlugin

/// `swift package generate-sync-code [--target NAME…]`: writes the generated sync code
/// into each target's `Generated/` folder, for teams that commit the generated files
/// instead of using the build plugin. It finds the same files as the build plugin
/// (``GeneratedFileContract``).
@main
struct SyncwrightCommand: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let requested = extractor.extractOption(named: "target")
        let tool = try context.tool(named: "syncwright")
        let targets = context.package.targets.compactMap { $0 as? SourceModuleTarget }.filter { target in
            requested.isEmpty ? PluginInputs.hasSchema(target) : requested.contains(target.name)
        }
        if let missing = requested.first(where: { name in !targets.contains { $0.name == name } }) {
            throw PluginFailure("the package has no source target '\(missing)'")
        }
        if targets.isEmpty {
            throw PluginFailure("""
                no target of this package has a \(GeneratedFileContract.schemaFileNames.joined(separator: " or ")); \
                add one to a target's folder
                """)
        }
        for target in targets {
            let inputs = try PluginInputs(target: target)
            let output = target.directoryURL.appending(path: GeneratedFileContract.committedFolderName)
            let process = Process()
            process.executableURL = tool.url
            process.arguments = inputs.generateArguments(output: output)
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw PluginFailure("syncwright generate failed for target '\(target.name)' (exit status \(process.terminationStatus))")
            }
        }
    }
}
