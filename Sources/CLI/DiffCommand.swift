import ArgumentParser
import Foundation
import SyncwrightSchema

/// `syncwright diff OLD NEW [--format text|json|github]`
struct DiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Classify every change between two schema versions for the apps already installed.",
        discussion: """
            Compares OLD, the schema the apps in the field were built against (the last release's), \
            with NEW, the one about to be deployed. Prints one line per change, \
            'path:line:column: breaking: message [rule-id]' or '… compatible: …', located in OLD for \
            what was removed and in NEW for the rest. Then, per subset unit, what the deploy makes \
            devices download: apps built against OLD and apps updated to NEW, each going on from its \
            cursors (nothing, the difference of a changed filter, or the whole unit again). Exits with 0 when no change is breaking, 1 when \
            one is, and 2 when a file can't be read or isn't a valid schema, or the arguments are wrong.
            """
    )

    @Argument(help: "The schema the installed apps were built against.", completion: .file(extensions: ["yaml", "yml"]))
    var old: String

    @Argument(help: "The schema about to be deployed.", completion: .file(extensions: ["yaml", "yml"]))
    var new: String

    @Option(help: "How to print changes: text, json or github (GitHub Actions annotations).")
    var format: DiagnosticFormat = .text

    @Flag(name: .shortAndLong, help: "Print nothing but the changes: no downloads, no summary.")
    var quiet = false

    func run() throws {
        guard let oldModel = try load(old), let newModel = try load(new) else { throw UnreadableInput() }
        let changes = SchemaDiff.compare(old: oldModel, new: newModel)
        // What the deploy makes devices download follows the changes, unless --quiet.
        let downloads = quiet ? nil : UnitDownload.plan(old: oldModel, new: newModel)
        let output = SchemaChangeFormatter.format(changes, downloads: downloads, as: format)
        if !output.isEmpty {
            FileHandle.standardOutput.write(Data(output.utf8))
        }
        let breaking = changes.filter { $0.impact == .breaking }.count
        if format == .text, !quiet {
            let compatible = changes.count - breaking
            let summary = "\(breaking) breaking, \(compatible) compatible \(compatible + breaking == 1 ? "change" : "changes")"
                + (breaking > 0 ? "; apps built against \(old) would stop syncing" : "")
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
        if breaking > 0 { throw BreakingChangesFound() }
    }

    /// The validated model of `path`, or nil after printing why there is none.
    private func load(_ path: String) throws -> SchemaModel? {
        let file: SchemaFile
        do {
            file = try SchemaFile(contentsOf: path)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            return nil
        }
        let result = SchemaLoader.load(file)
        guard let model = result.model else {
            let errors = result.diagnostics.filter { $0.severity == .error }
            FileHandle.standardError.write(Data(DiagnosticFormatter.format(errors, as: .text).utf8))
            FileHandle.standardError.write(Data("\(path) is not a valid schema; run `syncwright validate \(path)`\n".utf8))
            return nil
        }
        return model
    }
}

/// Thrown after printing changes of which one or more is breaking.
struct BreakingChangesFound: Error {}
