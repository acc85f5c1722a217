import ArgumentParser
import Foundation
import SyncwrightGenerator

/// `syncwright templates export DIR`
struct TemplatesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates",
        abstract: "Work with the code templates.",
        subcommands: [Export.self]
    )

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the bundled templates into a folder, to start your own from (use them with --templates)."
        )

        @Argument(help: "The folder to write into; created if needed.")
        var directory: String

        func run() throws {
            for path in try TemplateSet.bundled.export(to: directory) { print(path) }
        }
    }
}
