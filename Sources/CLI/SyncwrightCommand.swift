import ArgumentParser
import Foundation
import SyncwrightSchema

/// `syncwright`: validate schemas (and, as the project grows, generate code from them).
@main
struct SyncwrightCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "syncwright",
        abstract: "Declarative offline sync: validate a Syncwright schema and generate code from it.",
        version: SyncwrightVersion.current,
        subcommands: [InitCommand.self, ValidateCommand.self, DiffCommand.self, GenerateCommand.self, TemplatesCommand.self]
    )

    /// Runs the command with Syncwright's exit statuses: 0 success, 1 schema errors or
    /// breaking changes, 2 usage errors or unreadable input.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch is SchemaErrorsFound {
            Foundation.exit(ExitStatus.schemaErrors)
        } catch is BreakingChangesFound {
            Foundation.exit(ExitStatus.schemaErrors)
        } catch is UnreadableInput {
            Foundation.exit(ExitStatus.usageOrInput)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(ExitStatus.usageOrInput)
        }
    }
}

/// The process exit statuses.
enum ExitStatus {
    /// Schema errors (`validate`) or breaking changes (`diff`).
    static let schemaErrors: Int32 = 1
    static let usageOrInput: Int32 = 2
}

/// Thrown after printing diagnostics that include errors.
struct SchemaErrorsFound: Error {}

/// Thrown after reporting a file that can't be read.
struct UnreadableInput: Error {}

extension DiagnosticFormat: ExpressibleByArgument {}
