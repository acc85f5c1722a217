import Foundation
import PackagePlugin

/// The schema and settings files of a target, found by the names
/// ``GeneratedFileContract`` gives. Both plugins find them the same way.
struct PluginInputs {
    /// The target's schema file.
    var schema: URL
    /// The target's settings file, if it has one.
    var settings: URL?

    /// Finds the files of `target`.
    ///
    /// - Throws: ``PluginFailure`` when the target has no schema file, or two files of
    ///   the same kind.
    init(target: SourceModuleTarget) throws {
        let folder = target.directoryURL
        guard let schema = try Self.single(of: GeneratedFileContract.schemaFileNames, in: folder, target: target) else {
            throw PluginFailure("""
                target '\(target.name)' has no \(GeneratedFileContract.schemaFileNames[0]); \
                add one at \(folder.appending(path: GeneratedFileContract.schemaFileNames[0]).path()) \
                (Examples/Todo/syncwright.yaml is a small one to start from)
                """)
        }
        self.schema = schema
        self.settings = try Self.single(of: GeneratedFileContract.settingsFileNames, in: folder, target: target)
    }

    /// Whether `target` holds a schema file at all.
    static func hasSchema(_ target: SourceModuleTarget) -> Bool {
        GeneratedFileContract.schemaFileNames.contains { name in
            FileManager.default.fileExists(atPath: target.directoryURL.appending(path: name).path())
        }
    }

    /// The one file of `names` present in `folder`, nil when none is.
    private static func single(of names: [String], in folder: URL, target: SourceModuleTarget) throws -> URL? {
        let present = names.map { folder.appending(path: $0) }.filter { FileManager.default.fileExists(atPath: $0.path()) }
        guard present.count <= 1 else {
            throw PluginFailure("target '\(target.name)' has both \(names.joined(separator: " and ")); keep exactly one")
        }
        return present.first
    }

    /// The arguments of `syncwright generate` that write this target's code into `output`.
    func generateArguments(output: URL) -> [String] {
        var arguments = ["generate", schema.path(), "--output", output.path()]
        if let settings { arguments += ["--config", settings.path()] }
        return arguments
    }
}

/// A failure a plugin reports to the person building.
struct PluginFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
