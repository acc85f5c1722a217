import Foundation
import PackagePlugin

/// `swift package generate-sync-code [--target NAME…]`: writes the generated sync code
/// into each target's `Generated/` folder, for teams that commit the generated files
/// instead of using the build plugin.
@main
struct SyncwrightCommand: CommandPlugin {
    func performCommand(context: PluginContext, arguments: [String]) async throws {
        var extractor = ArgumentExtractor(arguments)
        let requested = extractor.extractOption(named: "target")
        let tool = try context.tool(named: "syncwright")
        let targets = context.package.targets.compactMap { $0 as? SourceModuleTarget }.filter { target in
            requested.isEmpty ? hasSchema(target) : requested.contains(target.name)
        }
        if let missing = requested.first(where: { name in !targets.contains { $0.name == name } }) {
            throw CommandFailure("the package has no source target '\(missing)'")
        }
        if targets.isEmpty {
            throw CommandFailure("no target of this package has a syncwright.yaml; add one to a target's folder")
        }
        for target in targets {
            let schema = target.directoryURL.appending(path: "syncwright.yaml")
            guard FileManager.default.fileExists(atPath: schema.path()) else {
                throw CommandFailure("target '\(target.name)' has no syncwright.yaml; add one at \(schema.path())")
            }
            var toolArguments = ["generate", schema.path(), "--output", target.directoryURL.appending(path: "Generated").path()]
            let config = target.directoryURL.appending(path: "syncwright-config.yaml")
            if FileManager.default.fileExists(atPath: config.path()) { toolArguments += ["--config", config.path()] }
            let process = Process()
            process.executableURL = tool.url
            process.arguments = toolArguments
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw CommandFailure("syncwright generate failed for target '\(target.name)' (exit status \(process.terminationStatus))")
            }
        }
    }

    private func hasSchema(_ target: SourceModuleTarget) -> Bool {
        FileManager.default.fileExists(atPath: target.directoryURL.appending(path: "syncwright.yaml").path())
    }
}

struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
