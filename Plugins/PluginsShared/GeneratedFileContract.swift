// The one statement of which files `syncwright generate` reads and writes. It is shared,
// as this same file, by the generator (Sources/Generator/Contract), the build plugin and
// the command plugin (Plugins/*/PluginsShared), so the three can't disagree. It may use
// nothing but the standard library: plugins can't import the project's modules.

/// The names of the files Syncwright reads from a target's folder and the files a
/// generation writes.
///
/// A build plugin must declare its output files before the tool runs, so the set of
/// generated files is fixed whatever the schema holds: one registry file and
/// ``entityFileCount`` entity files, some of which may hold only their header.
public enum GeneratedFileContract {
    /// The names a target's schema file may have, in the order they are looked for.
    /// A target holds at most one of them.
    public static let schemaFileNames = ["syncwright.yaml", "syncwright.yml"]

    /// The names a target's settings file (`subset:` and `access:`) may have.
    /// A target holds at most one of them.
    public static let settingsFileNames = ["syncwright-config.yaml", "syncwright-config.yml"]

    /// The folder of a target that the command plugin writes the generated files into.
    public static let committedFolderName = "Generated"

    /// The prefix of the generated file names unless `--file-prefix` says otherwise.
    public static let defaultFilePrefix = "Syncwright"

    /// How many entity files a generation writes. Entities are assigned to them by a
    /// hash of their name, so adding or removing one entity changes only its own file
    /// (and the registry).
    public static let entityFileCount = 8

    /// The name of the registry file.
    public static func registryFileName(prefix: String = defaultFilePrefix) -> String {
        "\(prefix)Registry.swift"
    }

    /// The name of entity file `index` (0 ..< ``entityFileCount``).
    public static func entityFileName(_ index: Int, prefix: String = defaultFilePrefix) -> String {
        "\(prefix)Entities\(index).swift"
    }

    /// Every file a generation writes, registry first.
    public static func outputFileNames(prefix: String = defaultFilePrefix, entityFiles: Int = entityFileCount) -> [String] {
        [registryFileName(prefix: prefix)] + (0..<entityFiles).map { entityFileName($0, prefix: prefix) }
    }
}
