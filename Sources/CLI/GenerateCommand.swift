import ArgumentParser
import Foundation
import SyncwrightGenerator
import SyncwrightSchema

/// `syncwright generate SCHEMA [--subset NAME] --output DIR [--access public|internal] [--templates DIR]`
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate the Swift code of one subset: entities, Sync actions and the model registry.",
        discussion: """
            Writes a fixed set of files into the output folder: \(GeneratedFileContract.registryFileName(prefix: "<prefix>")) \
            and \(GeneratedFileContract.entityFileName(0, prefix: "<prefix>")) … \
            \(GeneratedFileContract.entityFileName(GeneratedFileContract.entityFileCount - 1, prefix: "<prefix>")). \
            Files whose contents didn't change are left untouched. Schema errors print exactly as \
            'syncwright validate' prints them.
            """
    )

    @Argument(help: "The schema file.", completion: .file(extensions: ["yaml", "yml"]))
    var schema: String

    @Option(help: "The subset to generate; needed when the schema has more than one.")
    var subset: String?

    @Option(help: "Settings file (subset, access), as syncwright-config.yaml next to a target's schema.")
    var config: String?

    @Option(help: "The folder to write the files into.")
    var output: String

    @Option(help: "The access level of generated declarations: public or internal.")
    var access: GenerationOptions.AccessLevel?

    @Option(help: "A folder of templates (NAME.mustache) that replace the bundled ones by name.")
    var templates: String?

    @Option(help: "The prefix of the generated file names.")
    var filePrefix: String = GeneratedFileContract.defaultFilePrefix

    @Flag(name: .shortAndLong, help: "Print nothing but diagnostics.")
    var quiet = false

    func run() throws {
        let file: SchemaFile
        do {
            file = try SchemaFile(contentsOf: schema)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw UnreadableInput()
        }
        var options = GenerationOptions(subset: subset, access: access ?? .public, filePrefix: filePrefix)
        if let config {
            options = try Self.settings(at: config).applied(to: options, subsetGiven: subset != nil, accessGiven: access != nil)
        }
        let result: SyncwrightGenerator.Result
        do {
            result = try SyncwrightGenerator.generate(file, options: options, templates: try TemplateSet.bundled(overriddenBy: templates))
        } catch let error as GeneratorError {
            FileHandle.standardError.write(Data("\(schema): error: \(error.message)\n".utf8))
            throw UnreadableInput()
        }
        let printed = DiagnosticFormatter.format(result.diagnostics, as: .text)
        if !printed.isEmpty { FileHandle.standardError.write(Data(printed.utf8)) }
        if result.diagnostics.containsErrors { throw SchemaErrorsFound() }
        let written = try SyncwrightGenerator.write(result.files, to: output)
        if !quiet {
            let unchanged = result.files.count - written.count
            print("generated \(result.files.count) files in \(output) (\(written.count) written, \(unchanged) unchanged)")
        }
    }
}

extension GenerationOptions.AccessLevel: ExpressibleByArgument {}

extension GenerateCommand {
    /// Reads the settings file (`--config`); its problems print as located diagnostics,
    /// and any error stops the run with the usage exit status.
    static func settings(at path: String) throws -> GeneratorSettings {
        let file: SchemaFile
        do {
            file = try SchemaFile(contentsOf: path)
        } catch let error as SchemaFileError {
            FileHandle.standardError.write(Data("\(path): error: cannot read the settings file: \(error.reason)\n".utf8))
            throw UnreadableInput()
        }
        let result = GeneratorSettings.parse(file)
        let printed = DiagnosticFormatter.format(result.diagnostics, as: .text)
        if !printed.isEmpty { FileHandle.standardError.write(Data(printed.utf8)) }
        guard let settings = result.settings else { throw UnreadableInput() }
        return settings
    }
}
