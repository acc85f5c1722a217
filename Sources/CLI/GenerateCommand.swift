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
            Writes a fixed set of files into the output folder: <prefix>Registry.swift and \
            <prefix>Entities0.swift … <prefix>Entities7.swift. Files whose contents didn't change \
            are left untouched. Schema errors print exactly as 'syncwright validate' prints them.
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
    var filePrefix: String = "Syncwright"

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
            let settings = try GeneratorSettings.load(config)
            options.subset = subset ?? settings.subset
            options.access = access ?? settings.access ?? .public
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

/// `syncwright-config.yaml`: `subset:` and `access:` for a target's generated code.
struct GeneratorSettings {
    var subset: String?
    var access: GenerationOptions.AccessLevel?

    static func load(_ path: String) throws -> GeneratorSettings {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            FileHandle.standardError.write(Data("\(path): error: cannot read the settings file\n".utf8))
            throw UnreadableInput()
        }
        var settings = GeneratorSettings()
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            let parts = line.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let value = parts.count == 2 ? parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) : ""
            switch parts[0] {
            case "subset" where !value.isEmpty:
                settings.subset = value
            case "access" where GenerationOptions.AccessLevel(rawValue: value) != nil:
                settings.access = GenerationOptions.AccessLevel(rawValue: value)
            default:
                FileHandle.standardError.write(Data(
                    "\(path):\(index + 1):1: error: expected 'subset: NAME' or 'access: public|internal'\n".utf8))
                throw UnreadableInput()
            }
        }
        return settings
    }
}
