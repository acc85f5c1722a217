import ArgumentParser
import Foundation
import SyncwrightSchema

/// `syncwright validate FILE… [--format text|json|github]`
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check schema files and report every problem with its position.",
        discussion: """
            Prints one line per problem, 'path:line:column: error: message [rule-id]', followed by \
            'note:' lines. Exits with 0 when there are no errors (warnings allowed), 1 when there \
            are errors, and 2 when a file can't be read or the arguments are wrong.
            """
    )

    @Argument(help: "The schema files to check.", completion: .file(extensions: ["yaml", "yml"]))
    var files: [String]

    @Option(help: "How to print diagnostics: text, json or github (GitHub Actions annotations).")
    var format: DiagnosticFormat = .text

    @Flag(name: .shortAndLong, help: "Print nothing but the diagnostics.")
    var quiet = false

    func validate() throws {
        if files.isEmpty { throw ValidationError("name at least one schema file to validate") }
    }

    func run() throws {
        var diagnostics: [Diagnostic] = []
        var unreadable = false
        for path in files {
            let file: SchemaFile
            do {
                file = try SchemaFile(contentsOf: path)
            } catch {
                FileHandle.standardError.write(Data("\(error)\n".utf8))
                unreadable = true
                continue
            }
            diagnostics += SchemaLoader.load(file).diagnostics
        }
        let output = DiagnosticFormatter.format(diagnostics, as: format)
        if !output.isEmpty {
            FileHandle.standardOutput.write(Data(output.utf8))
        }
        let errors = diagnostics.filter { $0.severity == .error }.count
        let warnings = diagnostics.count - errors
        if format == .text, !quiet {
            let summary = "\(files.count) \(files.count == 1 ? "file" : "files"): "
                + "\(errors) \(errors == 1 ? "error" : "errors"), \(warnings) \(warnings == 1 ? "warning" : "warnings")"
            FileHandle.standardError.write(Data((summary + "\n").utf8))
        }
        if unreadable { throw UnreadableInput() }
        if errors > 0 { throw SchemaErrorsFound() }
    }
}
