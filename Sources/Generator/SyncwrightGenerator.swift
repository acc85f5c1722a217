import Foundation
import SyncwrightSchema

/// A file the generator produces.
public struct GeneratedFile: Sendable, Hashable {
    /// The file's name, without folders.
    public var name: String
    /// The Swift source.
    public var contents: String
}

/// The generator's one entry point, running the stages in order: parse → validate →
/// translate (``RenderContext``) → render (templates) → files. Each stage is public
/// too, so tests and tools can run any of them alone.
public enum SyncwrightGenerator {
    /// What a generation produced.
    public struct Result: Sendable {
        /// The schema's diagnostics, exactly as `syncwright validate` reports them.
        public var diagnostics: [Diagnostic]
        /// The files, when the schema had no errors.
        public var files: [GeneratedFile]
    }

    /// Generates the files for one subset of a schema file.
    ///
    /// - Throws: ``GeneratorError`` when the subset is missing or ambiguous, or a
    ///   template is invalid. Schema problems are not thrown: they are in the result.
    public static func generate(
        _ file: SchemaFile, options: GenerationOptions, templates: TemplateSet = .bundled
    ) throws -> Result {
        let loaded = SchemaLoader.load(file)
        guard let model = loaded.model else { return Result(diagnostics: loaded.diagnostics, files: []) }
        let context = try RenderContext(model: model, options: options)
        return Result(diagnostics: loaded.diagnostics, files: try render(context, options: options, templates: templates))
    }

    /// The render stage: the fixed set of files for a context — one registry file and
    /// ``GenerationOptions/entityFileCount`` entity files (empty ones hold only the header).
    public static func render(
        _ context: RenderContext, options: GenerationOptions, templates: TemplateSet = .bundled
    ) throws -> [GeneratedFile] {
        let library = try templates.library()
        func render(_ object: Any, _ template: String) throws -> String {
            guard let text = library.render(object, withTemplate: template) else {
                throw GeneratorError("template '\(template)' is missing")
            }
            return Self.tidy(text)
        }
        var files = [GeneratedFile(name: "\(options.filePrefix)Registry.swift", contents: try render(context, "registry"))]
        for shard in context.shards {
            files.append(GeneratedFile(name: "\(options.filePrefix)Entities\(shard.index).swift", contents: try render(shard, "entities")))
        }
        return files
    }

    /// The names of the files a generation with these options writes, whatever the schema.
    public static func fileNames(options: GenerationOptions) -> [String] {
        ["\(options.filePrefix)Registry.swift"] + (0..<options.entityFileCount).map { "\(options.filePrefix)Entities\($0).swift" }
    }

    /// Trailing spaces removed, runs of blank lines folded to one, one final newline.
    static func tidy(_ text: String) -> String {
        var lines: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var trimmed = line
            while trimmed.last == " " { trimmed = trimmed.dropLast() }
            if trimmed.isEmpty, lines.last?.isEmpty ?? true { continue }
            lines.append(trimmed)
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Writes `files` into `directory`, leaving a file untouched when its contents
    /// haven't changed (so builds that depend on it don't rerun).
    ///
    /// - Returns: The names of the files written.
    @discardableResult
    public static func write(_ files: [GeneratedFile], to directory: String) throws -> [String] {
        let url = URL(fileURLWithPath: directory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        var written: [String] = []
        for file in files {
            let target = url.appendingPathComponent(file.name)
            let data = Data(file.contents.utf8)
            if let existing = FileManager.default.contents(atPath: target.path), existing == data { continue }
            try data.write(to: target, options: .atomic)
            written.append(file.name)
        }
        return written
    }
}
